import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { main } from '../app/synth';
import { ExistingWorkload } from '../src/model/existing-workload';
import { PublicIngress } from '../src/model/public-ingress';
import { IstioIngressGateway } from '../src/renderers/istio/ingress-gateway';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { SOMA_INGRESS } from '../app/ingress';
import { CrdSchemas } from './support/crd-schema';
import { isAllowed, Pod } from './support/istio-authz';
import { K8sObject, ofKind, readManifests, SHARED } from './support/manifests';
import { INGRESS_PRINCIPAL } from './support/mesh-model';

/** Issue 6, ingress: the public host, its TLS, and JWT on the API, read back from the render. */
let rendered: K8sObject[];
let renderDir: string;
const GATEWAY_POD: Pod = { namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' }, serviceAccount: 'istio-ingressgateway-service-account', portProtocols: { 8080: 'http', 8443: 'http' } };
const GATEWAY_API_FQDN = 'gateway-api.soma-agent-hub.svc.cluster.local';
const TOKEN = `${SOMA_INGRESS.issuer}/user-1`;

beforeAll(() => {
  renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ingress-'));
  main(renderDir);
  rendered = readManifests(renderDir);
});
afterAll(() => fs.rmSync(renderDir, { recursive: true, force: true }));

const selectsGateway = (o: K8sObject) => Object.entries(o.spec.selector?.matchLabels ?? o.spec.selector ?? {}).every(([k, v]) => GATEWAY_POD.labels[k] === v);

describe('public ingress', () => {
  test('a Gateway on the ingress gateway serves the public host over HTTPS with its credential, and redirects HTTP', () => {
    const gateways = ofKind(rendered, 'Gateway');
    expect(gateways).toHaveLength(1);
    const [gw] = gateways;
    expect(selectsGateway(gw)).toBe(true);
    const https = gw.spec.servers.find((s: any) => s.port.protocol === 'HTTPS');
    const http = gw.spec.servers.find((s: any) => s.port.protocol === 'HTTP');
    expect(https).toMatchObject({ port: { number: 443 }, hosts: [SOMA_INGRESS.host], tls: { mode: 'SIMPLE', credentialName: SOMA_INGRESS.credentialName } });
    expect(http).toMatchObject({ port: { number: 80 }, hosts: [SOMA_INGRESS.host], tls: { httpsRedirect: true } });
    expect(gw.spec.servers).toHaveLength(2);
  });

  test('the public host, and only it, is bound to the Gateway and routed to gateway-api (no VirtualService for its FQDN here)', () => {
    const [gw] = ofKind(rendered, 'Gateway');
    const bound = ofKind(rendered, 'VirtualService').filter(vs => (vs.spec.gateways ?? []).includes(`${gw.metadata.namespace}/${gw.metadata.name}`));
    expect(bound).toHaveLength(1);
    expect(bound[0].spec.hosts).toEqual([SOMA_INGRESS.host]);
    const destinations = bound[0].spec.http.flatMap((r: any) => r.route.map((d: any) => d.destination));
    // Through gateway-api's versions: the stable one, as inside the mesh.
    expect(destinations).toEqual([{ host: GATEWAY_API_FQDN, subset: 'v1', port: { number: 10000 } }]);
    expect(bound[0].spec.http[0].retries).toEqual({ attempts: 0 }); // gateway-api takes POSTs: never replayed
    expect(ofKind(rendered, 'VirtualService').filter(vs => vs.spec.hosts.includes(GATEWAY_API_FQDN) && (vs.spec.gateways ?? []).length > 0)).toEqual([]);
  });

  test('RequestAuthentication on the ingress gateway validates identity-service tokens', () => {
    const ras = ofKind(rendered, 'RequestAuthentication');
    expect(ras).toHaveLength(1);
    expect(ras[0].metadata.namespace).toBe('istio-system');
    expect(selectsGateway(ras[0])).toBe(true);
    expect(ras[0].spec.jwtRules).toEqual([{ issuer: SOMA_INGRESS.issuer, jwks_uri: SOMA_INGRESS.jwksUri, forwardOriginalToken: true }]);
  });

  test('through the gateway, /v1/ routes need a valid JWT and the health endpoints do not', () => {
    const policies = ofKind(rendered, 'AuthorizationPolicy');
    const through = (p: string, host: string, requestPrincipal?: string) => isAllowed(policies, GATEWAY_POD, { principal: '', port: 8443, method: 'POST', path: p, host, requestPrincipal });
    const failures: string[] = [];
    for (const host of [SOMA_INGRESS.host, `${SOMA_INGRESS.host}:443`, SOMA_INGRESS.host.toUpperCase()]) {
      for (const p of ['/v1/sessions', '/v1/wizards/abc/answer', '/v1/status', '/metrics', '/', '/healthz/x', '/ready/../v1/sessions']) {
        if (through(p, host)) failures.push(`${host}${p} open without a token`);
        if (!through(p, host, TOKEN)) failures.push(`${host}${p} refused with a token`);
      }
      for (const p of SOMA_INGRESS.openPaths) if (!through(p, host)) failures.push(`${host}${p} refused without a token`);
    }
    expect(SOMA_INGRESS.openPaths).toEqual(['/healthz', '/ready']);
    // Other hosts on the shared gateway keep their own rules.
    expect(through('/v1/anything', 'other.example.com')).toBe(true);
    expect(failures).toEqual([]);
  });

  test('from outside the graph, only the ingress gateway\'s identity reaches gateway-api', () => {
    const callers = ofKind(rendered, 'AuthorizationPolicy')
      .filter(p => p.metadata.namespace === 'soma-agent-hub' && p.spec.selector?.matchLabels?.app === 'gateway-api')
      .flatMap(p => p.spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals)));
    expect(callers.filter((p: string) => !p.startsWith('cluster.local/ns/soma-agent-hub/')).sort()).toEqual([INGRESS_PRINCIPAL]);
  });

  test('Gateway, VirtualService, RequestAuthentication, AuthorizationPolicy, Sidecar and ServiceEntry are schema-valid', () => {
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    for (const kind of ['Gateway', 'VirtualService', 'RequestAuthentication', 'AuthorizationPolicy', 'Sidecar', 'ServiceEntry']) {
      const objects = ofKind(rendered, kind);
      expect(`${kind}: ${objects.length > 0}`).toBe(`${kind}: true`);
      expect(objects.flatMap(o => schemas.errors(o))).toEqual([]);
    }
  });
});

describe('PublicIngress validation', () => {
  test('gatewayHttpsPort binds the JWT rule to the gateway\'s HTTPS container port', () => {
    const chart = new Chart(Testing.app(), 'test');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const api = new MeshService(mesh.addNamespace('apps'), 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
    const gateway = new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, strictMtls: false }), 'ingress', {
      selector: { istio: 'ingressgateway' }, serviceAccountName: 'ingress',
    });
    api.allowFrom(gateway);
    const ingress = new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt: { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' }, gatewayHttpsPort: 8443 });
    mesh.render();
    expect(IstioIngressGateway.of(ingress).requireJwt!.toJson().spec.rules[0].to[0].operation.ports).toEqual(['8443']);
  });

  function setup() {
    const chart = new Chart(Testing.app(), 'test');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const apps = mesh.addNamespace('apps');
    const api = new MeshService(apps, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
    const gateway = new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, strictMtls: false }), 'ingress', {
      selector: { istio: 'ingressgateway' }, serviceAccountName: 'ingress',
    });
    return { chart, mesh, api, gateway };
  }
  const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/.well-known/jwks.json' };

  test('fails when the gateway may not call the backend', () => {
    const { chart, mesh, api, gateway } = setup();
    new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    expect(() => Testing.synth(chart)).toThrow(/ingress may not call api: declare api.allowFrom\(ingress\)/);
  });

  test('fails on an http JWKS URI, an open path that opens everything, or a host with a port', () => {
    const { mesh, api, gateway } = setup();
    api.allowFrom(gateway);
    expect(() => new PublicIngress(mesh, 'A', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt: { ...jwt, jwksUri: 'http://id:10002/.well-known/jwks.json' } }))
      .toThrow(/\[test\/Mesh\/A\] jwt.jwksUri .* is not an https:\/\/ URL/);
    expect(() => new PublicIngress(mesh, 'B', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt, openPaths: ['*'] }))
      .toThrow(/open path "\*" opens every path/);
    expect(() => new PublicIngress(mesh, 'C', { gateway, backend: api, host: 'api.example.com:443', credentialName: 'api-tls', jwt }))
      .toThrow(/is not a DNS name/);
  });

  test('renders for a declared call and keeps every path behind a token by default', () => {
    const { chart, mesh, api, gateway } = setup();
    api.allowFrom(gateway, { methods: ['GET'] });
    new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    const out = Testing.synth(chart) as K8sObject[];
    const deny = out.find(o => o.kind === 'AuthorizationPolicy' && o.spec.action === 'DENY')!;
    expect(deny.spec.rules[0].to[0].operation.notPaths).toBeUndefined();
    expect(deny.spec.rules[0].to[0].operation.ports).toBeUndefined();
    const vs = out.find(o => o.kind === 'VirtualService' && o.spec.hosts.includes('api.example.com'))!;
    expect(vs.spec.http[0].retries).toBeUndefined(); // GET only: Istio's default retries are harmless
  });
});
