import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { ExistingWorkload, ExternalHost, Mesh, MeshService, Protocol, PublicIngress, Synthesis, IstioRenderer } from '../src';

/** Issue 6's bad input: each mistake fails synth with the construct path and the fix, and leaves dist/ as it was. */
interface Parts { mesh: Mesh; api: MeshService; db: ExistingWorkload; gateway: ExistingWorkload }

function synthWith(mutate: (m: Parts) => void): { error: Error | undefined; unchanged: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bad6-'));
  const out = path.join(dir, 'dist');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
  let error: Error | undefined;
  try {
    Synthesis.atomically(out, { populate: app => {
      const mesh = new Mesh(new Chart(app, 'test', { disableResourceNameHashes: true }), 'Mesh', { renderer: new IstioRenderer() });
      const shop = mesh.addNamespace('shop');
      const api = new MeshService(shop, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
      const db = new ExistingWorkload(mesh.addNamespace('infra', { create: false }), 'db', { selector: { app: 'db' }, serviceAccountName: 'db', ports: [{ port: 5432, protocol: Protocol.TCP }] });
      const gateway = new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, strictMtls: false }), 'ingress', { selector: { istio: 'ingressgateway' }, serviceAccountName: 'ingress' });
      db.allowFrom(api);
      mutate({ mesh, api, db, gateway });
    } });
  } catch (e) {
    error = e as Error;
  }
  const unchanged = fs.readdirSync(out).join() === 'previous.k8s.yaml' && fs.readdirSync(dir).join() === 'dist';
  fs.rmSync(dir, { recursive: true, force: true });
  return { error, unchanged };
}

const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/.well-known/jwks.json' };
const ingress = (m: Parts, extra: Partial<ConstructorParameters<typeof PublicIngress>[2]> = {}) =>
  new PublicIngress(m.mesh, 'Public', { gateway: m.gateway, backend: m.api, host: 'api.example.com', credentialName: 'api-tls', jwt, ...extra });

const cases: Array<[string, (m: Parts) => void, RegExp]> = [
  ['an external host written as a URL', ({ mesh }) => new ExternalHost(mesh, 'Api', { host: 'https://api.example.com/v1' }),
    /\[test\/Mesh\/Api\] host "https:\/\/api.example.com\/v1" is not a DNS name: write a lower-case name/],
  ['an external host nobody calls', ({ mesh }) => new ExternalHost(mesh, 'Api', { host: 'api.example.com' }),
    /\[test\/Mesh\/Api\] no workload calls api.example.com: call allowFrom\(workload\) or remove it/],
  ['an external host called by a peer of another chart', ({ mesh, db }) => new ExternalHost(mesh, 'Api', { host: 'api.example.com' }).allowFrom(db),
    /\[test\/Mesh\/Api <- test\/Mesh\/infra\/db\] db is deployed by another chart/],
  ['unlisted egress without a reason', ({ mesh, api }) => mesh.callGraph.allowUnlistedEgress(api, { reason: ' ' }),
    /\[test\/Mesh\/shop\/api\] unlisted egress needs a reason/],
  ['a public ingress the gateway may not call', m => ingress(m),
    /\[test\/Mesh\/Public\] ingress may not call api: declare api.allowFrom\(ingress\)/],
  ['a public ingress through a deployed workload', m => { m.api.allowFrom(m.gateway); ingress(m, { gateway: m.api }); },
    /api is not an ingress gateway/],
  ['a JWKS URI over plain HTTP', m => { m.api.allowFrom(m.gateway); ingress(m, { jwt: { ...jwt, jwksUri: 'http://id.shop:8080/jwks.json' } }); },
    /jwt.jwksUri "http:\/\/id.shop:8080\/jwks.json" is not an https:\/\/ URL/],
  ['an open path that opens every path', m => { m.api.allowFrom(m.gateway); ingress(m, { openPaths: ['/*'] }); },
    /open path "\/\*" opens every path, or paths of any prefix: list the public prefixes \("\/static\/\*"\) and templates \("\/product\/\{\*\}"\), or declare anonymous: true/],
  ['a public ingress with neither a token issuer nor anonymous', m => { m.api.allowFrom(m.gateway); ingress(m, { jwt: undefined }); },
    /\[test\/Mesh\/Public\] jwt: is missing; give the issuer of the tokens requests must carry, or declare anonymous: true to serve the host to anyone/],
  ['an anonymous public ingress with a token issuer', m => { m.api.allowFrom(m.gateway); ingress(m, { anonymous: true }); },
    /\[test\/Mesh\/Public\] jwt: is given on an anonymous host; leave jwt out to serve the host to anyone, or anonymous out to require its tokens/],
  ['a metrics path without a slash', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }], metrics: { path: 'metrics' } }),
    /\[test\/Mesh\/shop\/web\] metrics path "metrics" is not an HTTP path/],
  ['a metrics port the service does not serve', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }], metrics: { path: '/metrics', port: 9090 } }),
    /metrics port 9090 is not a port of web: use one of 8080/],
];

describe('issue 6 bad input fails synth with the construct path and the fix, and leaves dist/ as it was', () => {
  test.each(cases)('%s', (_what, mutate, message) => {
    const { error, unchanged } = synthWith(mutate);
    expect(error?.message).toMatch(message);
    expect(unchanged).toBe(true);
  });
});
