import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { ExistingWorkload, HealthCheck, Mesh, MeshService, Protocol, synthesizeAtomically } from '../src';

/** Declares a small valid mesh, lets `mutate` add one mistake, and synthesizes into a folder holding a previous render. */
function synthWith(mutate: (m: { mesh: Mesh; api: MeshService; db: ExistingWorkload }) => void): { error: Error | undefined; unchanged: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bad-'));
  const out = path.join(dir, 'dist');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
  let error: Error | undefined;
  try {
    synthesizeAtomically(out, app => {
      const chart = new Chart(app, 'test', { disableResourceNameHashes: true });
      const mesh = new Mesh(chart, 'Mesh');
      const shop = mesh.addNamespace('shop');
      const infra = mesh.addNamespace('infra', { create: false });
      const api = new MeshService(shop, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
      const db = new ExistingWorkload(infra, 'db', { selector: { app: 'db' }, serviceAccountName: 'db', ports: [{ port: 5432, protocol: Protocol.TCP }] });
      db.allowFrom(api);
      mutate({ mesh, api, db });
    });
  } catch (e) {
    error = e as Error;
  }
  const unchanged = fs.readdirSync(out).join() === 'previous.k8s.yaml'
    && fs.readFileSync(path.join(out, 'previous.k8s.yaml'), 'utf8') === 'kind: Previous\n'
    && fs.readdirSync(dir).join() === 'dist';
  fs.rmSync(dir, { recursive: true, force: true });
  return { error, unchanged };
}

/** A second valid service to call from. */
const web = (mesh: Mesh) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });

const cases: Array<[string, (m: { mesh: Mesh; api: MeshService; db: ExistingWorkload }) => void, RegExp]> = [
  ['a duplicate service', ({ mesh }) => new MeshService(mesh.namespaces[0], 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] }),
    /\[test\/Mesh\/shop\/api\].*"shop\/api" is declared twice/],
  ['a call to an undeclared service', ({ mesh, api }) => mesh.workload('billing').allowFrom(api),
    /\[test\/Mesh\] no workload "billing" is declared in the mesh: declare it first, or use one of: api, db/],
  ['a call to an undeclared port', ({ api, db }) => db.allowFrom(api, { port: 5433 }),
    /\[test\/Mesh\/infra\/db <- test\/Mesh\/shop\/api\] db does not serve port 5433 \(it serves 5432\)/],
  ['methods on a TCP port', ({ mesh, db }) => db.allowFrom(web(mesh), { methods: ['GET'] }),
    /\[test\/Mesh\/infra\/db <- test\/Mesh\/shop\/web\] port 5432 of db is TCP: .*remove them or declare the port as HTTP or GRPC/],
  ['paths on a TCP port', ({ mesh, db }) => db.allowFrom(web(mesh), { paths: ['/x'] }),
    /port 5432 of db is TCP/],
  ['a FastAPI path parameter', ({ mesh, api }) => api.allowFrom(web(mesh), { paths: ['/v1/users/{user_id}'] }),
    /path "\/v1\/users\/\{user_id\}" has the parameter "\{user_id\}": .*write "\{\*\}"/],
  ['a path template operator inside a segment', ({ mesh, api }) => api.allowFrom(web(mesh), { paths: ['/v1/a{*}'] }),
    /an operator must fill a whole segment/],
  ['{**} before the end of a path', ({ mesh, api }) => api.allowFrom(web(mesh), { paths: ['/v1/{**}/x'] }),
    /"\{\*\*\}" may only be the last segment/],
  ['a wildcard in the middle of a path', ({ mesh, api }) => api.allowFrom(web(mesh), { paths: ['/v1/*/x'] }),
    /has '\*' inside it/],
  ['a lower-case method', ({ mesh, api }) => api.allowFrom(web(mesh), { methods: ['get'] }),
    /method "get" is not an HTTP method: write "GET"/],
  ['a service name that is not DNS-1123', ({ mesh }) => new MeshService(mesh.namespaces[0], 'Billing_Service', { image: 'example/b:1.0.0', ports: [{ port: 8080 }] }),
    /\[test\/Mesh\/shop\/Billing_Service\] workload name "Billing_Service" is not a DNS-1123 label/],
  ['a namespace name that is not DNS-1123', ({ mesh }) => mesh.addNamespace('Shop'),
    /\[test\/Mesh\/Shop\] namespace name "Shop" is not a DNS-1123 label/],
  ['a :latest image', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:latest', ports: [{ port: 8080 }] }),
    /\[test\/Mesh\/shop\/web\/v1\] image "example\/web:latest" uses the mutable tag "latest": pin a version/],
  ['an image without a tag', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'registry:5000/example/web', ports: [{ port: 8080 }] }),
    /image "registry:5000\/example\/web" has no tag: pin a version/],
  ['a port used twice', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 80 }, { port: 80, protocol: Protocol.GRPC }] }),
    /\[test\/Mesh\/shop\/web\] port 80 is declared twice on web: declare each port once/],
  ['a port out of range', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 70000 }] }),
    /port 70000 is not a port number/],
  ['a port the Istio proxy reserves', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', ports: [{ port: 15020 }] }),
    /port 15020 is reserved by the Istio proxy/],
  ['the default service account', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', serviceAccountName: 'default' }),
    /service account "default" is shared by every pod of the namespace/],
  ['a call with no port on a multi-port callee', ({ mesh, api }) => new ExistingWorkload(mesh.namespaces[1], 'kafka', { selector: { app: 'kafka' }, serviceAccountName: 'kafka', ports: [{ port: 9092, protocol: Protocol.TCP }, { port: 9101, protocol: Protocol.TCP }] }).allowFrom(api),
    /kafka serves ports 9092, 9101: name the one the call uses with \{ port \}/],
  ['a call declared twice', ({ api, db }) => db.allowFrom(api),
    /the call from api to db on port 5432 is declared twice: remove one/],
  ['a call to a workload that serves no port', ({ mesh, api }) => new MeshService(mesh.namespaces[0], 'worker', { image: 'example/w:1.0.0', liveness: HealthCheck.command(['true']) }).allowFrom(api),
    /worker serves no port, so nothing can call it: declare its ports or remove the call/],
  ['a worker without a health check', ({ mesh }) => new MeshService(mesh.namespaces[0], 'worker', { image: 'example/w:1.0.0' }),
    /worker serves no port, so its health checks need a port or a command/],
  ['a namespace declared twice', ({ mesh }) => mesh.addNamespace('shop'),
    /namespace "shop" is declared twice/],
  ['a peer with an empty selector', ({ mesh }) => new ExistingWorkload(mesh.namespaces[1], 'cache', { selector: {}, serviceAccountName: 'cache', ports: [{ port: 11211, protocol: Protocol.TCP }] }),
    /\[test\/Mesh\/infra\/cache\] selector is empty/],
  ['a workload calling itself', ({ api }) => api.allowFrom(api),
    /api calls itself/],
  ['the Istio proxy user', ({ mesh }) => new MeshService(mesh.namespaces[0], 'web', { image: 'example/web:1.0.0', runAsUser: 1337 }),
    /runAsUser 1337 is the Istio proxy's user/],
];

describe('bad input fails synth with the construct path and the fix, and leaves dist/ as it was', () => {
  test.each(cases)('%s', (_what, mutate, message) => {
    const { error, unchanged } = synthWith(mutate);
    expect(error?.message).toMatch(message);
    expect(unchanged).toBe(true);
  });

  test('a valid declaration replaces the previous render', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-good-'));
    const out = path.join(dir, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
    synthesizeAtomically(out, app => {
      const mesh = new Mesh(new Chart(app, 'test', { disableResourceNameHashes: true }), 'Mesh');
      new MeshService(mesh.addNamespace('shop'), 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
    });
    expect(fs.readdirSync(out)).toEqual(['test.k8s.yaml']);
    expect(fs.readdirSync(dir)).toEqual(['dist']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
