import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { Analyzer } from '../src/renderers/istio/analyzer-validation';
import { main } from '../app/synth';
import { ExistingWorkload } from '../src/model/existing-workload';
import { HealthCheck } from '../src/model/health-check';
import { Mesh } from '../src/model/mesh';
import { MeshNamespace } from '../src/model/mesh-namespace';
import { MeshService } from '../src/model/mesh-service';
import { Protocol } from '../src/model/protocol';
import { synthesizeAtomically } from '../src/synthesize';

/** A small valid mesh each bad declaration is added to: web (HTTP 8080, 9090), db (TCP 5432), redis (a peer). */
interface Base {
  readonly app: App;
  readonly chart: Chart;
  readonly mesh: Mesh;
  readonly shop: MeshNamespace;
  readonly infra: MeshNamespace;
  readonly web: MeshService;
  readonly db: MeshService;
  readonly redis: ExistingWorkload;
}

function base(app: App): Base {
  const chart = new Chart(app, 'shop-app', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const shop = mesh.addNamespace('shop');
  const infra = mesh.addNamespace('infra', { create: false });
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }, { port: 9090, protocol: Protocol.GRPC }] });
  const db = new MeshService(shop, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }] });
  const redis = new ExistingWorkload(infra, 'redis', { selector: { app: 'redis' }, serviceAccountName: 'redis', ports: [{ port: 6379, protocol: Protocol.TCP }] });
  db.allowFrom(web);
  return { app, chart, mesh, shop, infra, web, db, redis };
}

const image = 'example/x:1.0.0';
const WEB = 'shop-app/Mesh/shop/web';
const DB = 'shop-app/Mesh/shop/db';
const DNS = 'is not a DNS-1123 label: use at most 63 lower-case letters, digits and \'-\', starting and ending with a letter or digit';

/** Each bad declaration, and the message it must be rejected with (the error contains it). */
const CASES: Array<[string, (b: Base) => void, string]> = [
  ['namespace name', b => b.mesh.addNamespace('Shop_1'), `[shop-app/Mesh/Shop_1] namespace name "Shop_1" ${DNS}`],
  ['namespace twice', b => b.mesh.addNamespace('shop'), '[shop-app/Mesh/shop] namespace "shop" is declared twice: declare it once and put every workload in it'],
  ['workload name', b => new ExistingWorkload(b.infra, 'Web', { selector: { app: 'web' }, serviceAccountName: 'web' }), `[shop-app/Mesh/infra/Web] workload name "Web" ${DNS}`],
  ['workload twice', b => new MeshService(b.infra, 'redis', { image, ports: [{ port: 1 }] }), '[shop-app/Mesh/infra/redis] workload "infra/redis" is declared twice: declare each service once, and add versions with addVersion()'],
  ['image without tag', b => new MeshService(b.shop, 'x', { image: 'example/x', ports: [{ port: 80 }] }), '[shop-app/Mesh/shop/x/v1] image "example/x" has no tag: pin a version, for example "example/x:1.4.2" or a digest "@sha256:..."'],
  ['image latest', b => new MeshService(b.shop, 'x', { image: 'example/x:latest', ports: [{ port: 80 }] }), '[shop-app/Mesh/shop/x/v1] image "example/x:latest" uses the mutable tag "latest": pin a version, for example "example/x:1.4.2"'],
  ['image floating tag', b => new MeshService(b.shop, 'x', { image: 'redis:alpine', ports: [{ port: 80 }] }), '[shop-app/Mesh/shop/x/v1] image "redis:alpine" uses the tag "alpine", which names no version (its publisher moves it): pin a version, for example "redis:1.4.2-alpine", or a digest "@sha256:..."'],
  ['image bad tag', b => new MeshService(b.shop, 'x', { image: 'example/x:-bad', ports: [{ port: 80 }] }), '[shop-app/Mesh/shop/x/v1] image "example/x:-bad" has an invalid tag "-bad": a tag is up to 128 letters, digits, \'_\', \'.\' and \'-\''],
  ['port 0', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 0 }] }), '[shop-app/Mesh/shop/x] ports[0].port: 0 is out of range; write an integer from 1 to 65535'],
  ['port twice', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 80 }, { port: 80, protocol: Protocol.TCP }] }), '[shop-app/Mesh/shop/x] port 80 is declared twice on x: declare each port once'],
  ['proxy port', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 15020 }] }), '[shop-app/Mesh/shop/x] port 15020 is taken by the Istio proxy in every pod (15000-15008, 15020, 15021, 15090): serve the application on another port'],
  ['service account name', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 80 }], serviceAccountName: 'X_sa' }), `[shop-app/Mesh/shop/x] service account name "X_sa" ${DNS}`],
  ['default service account', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 80 }], serviceAccountName: 'default' }), '[shop-app/Mesh/shop/x] service account "default" is shared by every pod of the namespace, so callers could not be told apart: leave serviceAccountName unset to use the service\'s own'],
  ['root user', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 80 }], runAsUser: 0 }), '[shop-app/Mesh/shop/x] runAsUser 0 is root: use another user id, such as 10001'],
  ['proxy user', b => new MeshService(b.shop, 'x', { image, ports: [{ port: 80 }], runAsUser: 1337 }), '[shop-app/Mesh/shop/x] runAsUser 1337 is the Istio proxy\'s user, whose traffic bypasses the mesh: use another user id, such as 10001'],
  ['port check without port', b => new MeshService(b.shop, 'x', { image }), '[shop-app/Mesh/shop/x] x serves no port, so its health checks need a port or a command: set liveness (and readiness) to HealthCheck.command([...]) or give the check a port'],
  ['version name', b => b.web.addVersion('V2'), `[${WEB}/V2] version "V2" ${DNS}`],
  ['version twice', b => b.web.addVersion('v1'), `[${WEB}/v1] version "v1" of web is declared twice: give each version its own name`],
  ['replicas', b => b.web.addVersion('v2', { replicas: -1 }), `[${WEB}/v2] options.replicas: -1 is out of range; write an integer from 0 to 10000`],
  ['peer without selector', b => new ExistingWorkload(b.infra, 'kafka', { selector: {}, serviceAccountName: 'kafka' }), '[shop-app/Mesh/infra/kafka] selector is empty, so a policy for it would select every pod of its namespace: give the labels of its pods'],
  ['peer wildcard selector', b => new ExistingWorkload(b.infra, 'kafka', { selector: { app: '*' }, serviceAccountName: 'kafka' }), '[shop-app/Mesh/infra/kafka] selector app=* has an empty key or a \'*\': Istio selectors take exact labels'],
  ['peer service account', b => new ExistingWorkload(b.infra, 'kafka', { selector: { app: 'kafka' }, serviceAccountName: 'Kafka' }), `[shop-app/Mesh/infra/kafka] service account name "Kafka" ${DNS}`],
  ['peer port', b => new ExistingWorkload(b.infra, 'kafka', { selector: { app: 'kafka' }, serviceAccountName: 'kafka', ports: [{ port: 70000 }] }), '[shop-app/Mesh/infra/kafka] ports[0].port: 70000 is out of range; write an integer from 1 to 65535'],
  ['peer port twice', b => new ExistingWorkload(b.infra, 'kafka', { selector: { app: 'kafka' }, serviceAccountName: 'kafka', ports: [{ port: 9092 }, { port: 9092 }] }), '[shop-app/Mesh/infra/kafka] port 9092 is declared twice on kafka: declare each port once'],
  ['methods on TCP', b => b.db.allowFrom(b.redis, { methods: ['GET'] }), `[${DB} <- shop-app/Mesh/infra/redis] port 5432 of db is TCP: Istio sees no HTTP request there, so methods and paths would make the rule match nothing; remove them or declare the port as HTTP or GRPC`],
  ['lower-case method', b => b.web.allowFrom(b.db, { port: 8080, methods: ['get'] }), `[${WEB} <- ${DB}] method "get" is not an HTTP method: write "GET" (meshes match methods case-sensitively)`],
  ['unknown method', b => b.web.allowFrom(b.db, { port: 8080, methods: ['FETCH'] }), `[${WEB} <- ${DB}] method "FETCH" is not an HTTP method: use one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE`],
  ['empty path', b => b.web.allowFrom(b.db, { port: 8080, paths: [''] }), `[${WEB} <- ${DB}] path is empty: write a path starting with "/", or leave paths out to allow any path`],
  ['query in path', b => b.web.allowFrom(b.db, { port: 8080, paths: ['/a?b=1'] }), `[${WEB} <- ${DB}] path "/a?b=1" contains whitespace, '?' or '#': Istio matches the path without the query or fragment`],
  ['named parameter', b => b.web.allowFrom(b.db, { port: 8080, paths: ['/users/{id}'] }), `[${WEB} <- ${DB}] path "/users/{id}" has the parameter "{id}": Istio path templates name no parameters, write "{*}" for one segment or "{**}" for the rest`],
  ['star inside', b => b.web.allowFrom(b.db, { port: 8080, paths: ['/a/*/b'] }), `[${WEB} <- ${DB}] path "/a/*/b" has '*' inside it: Istio allows '*' only as the whole path, a prefix ("*/suffix") or a suffix ("/prefix*"); for a segment use "{*}"`],
  ['stars at both ends', b => b.web.allowFrom(b.db, { port: 8080, paths: ['*/a*'] }), `[${WEB} <- ${DB}] path "*/a*" has '*' at both ends: Istio allows a prefix or a suffix wildcard, not both`],
  ['relative path', b => b.web.allowFrom(b.db, { port: 8080, paths: ['v1/a'] }), `[${WEB} <- ${DB}] path "v1/a" does not start with "/": write "/v1/a"`],
  ['partial segment', b => b.web.allowFrom(b.db, { port: 8080, paths: ['/a{*}'] }), `[${WEB} <- ${DB}] path template "/a{*}" has the segment "a{*}": an operator must fill a whole segment, exactly "{*}" or "{**}"`],
  ['{**} not last', b => b.web.allowFrom(b.db, { port: 8080, paths: ['/{**}/a'] }), `[${WEB} <- ${DB}] path template "/{**}/a" has "{**}" before its end: "{**}" may only be the last segment`],
  ['relative template', b => b.web.allowFrom(b.db, { port: 8080, paths: ['{*}/a'] }), `[${WEB} <- ${DB}] path template "{*}/a" must start with "/"`],
  ['self call', b => b.db.allowFrom(b.db), `[${DB} <- ${DB}] db calls itself: a workload reaches its own pods without the mesh; remove the call`],
  ['callee without port', b => new MeshService(b.shop, 'worker', { image, liveness: HealthCheck.command(['true']) }).allowFrom(b.web), `[shop-app/Mesh/shop/worker <- ${WEB}] worker serves no port, so nothing can call it: declare its ports or remove the call`],
  ['port not named', b => b.web.allowFrom(b.db), `[${WEB} <- ${DB}] web serves ports 8080, 9090: name the one the call uses with { port }`],
  ['port not served', b => b.web.allowFrom(b.db, { port: 80 }), `[${WEB} <- ${DB}] web does not serve port 80 (it serves 8080, 9090): call a declared port or add the port to web`],
  ['call twice', b => b.db.allowFrom(b.web), `[${DB} <- ${WEB}] the call from web to db on port 5432 is declared twice: remove one`],
  ['unknown workload', b => b.mesh.workload('nope'), '[shop-app/Mesh] no workload "nope" is declared in the mesh: declare it first, or use one of: db, redis, web'],
  ['ambiguous workload', b => { new ExistingWorkload(b.infra, 'web', { selector: { app: 'web' }, serviceAccountName: 'web' }); b.mesh.workload('web'); }, '[shop-app/Mesh] "web" names workloads in shop, infra: write "namespace/web"'],
  ['caller of another app', b => { const other = base(new App()); b.web.allowFrom(other.db, { port: 8080 }); }, `[${WEB} <- ${DB}] db belongs to another app: declare both workloads in the same mesh`],
  ['outside a mesh', b => Mesh.of(b.chart), '[shop-app] this construct is not inside a Mesh: create it under a MeshNamespace of a Mesh'],
  ['acknowledged error', b => Analyzer.acknowledge(b.web, 'SM1101', 'we know'), `[${WEB}] SM1101 is an error and cannot be acknowledged: fix it (on a TCP port name only ports (and sources); declare the port as HTTP (\`http-\` name or appProtocol) to match methods and paths)`],
  // Raw objects that the analyzer refuses when synth validates the chart.
  ['DestinationRule TLS DISABLE', b => new ApiObject(b.chart, 'WebTls', { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'shop' }, spec: { host: 'web.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } } }),
    '[shop-app/WebTls] SM1001 DestinationRule shop/web sets trafficPolicy.tls.mode DISABLE for "web.shop.svc.cluster.local", whose workload shop/web requires STRICT mTLS'],
  ['spiffe principal', b => new ApiObject(b.chart, 'Spiffe', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['5432'] } }] }] } }),
    '[shop-app/Spiffe] SM1105 AuthorizationPolicy shop/x rules[0].from[0].source.principals has "spiffe://cluster.local/ns/shop/sa/web": Istio adds spiffe:// itself, so this principal never matches: write "cluster.local/ns/shop/sa/web"'],
  ['Service port policy', b => new ApiObject(b.chart, 'ServicePort', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'y', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } }, rules: [{ to: [{ operation: { ports: ['15432'] } }] }] } }),
    '[shop-app/ServicePort] SM1102 AuthorizationPolicy shop/y rules[0].to[0].operation names port 15432, but db serves 5432: the rule never matches'],
];

let tmp: string;
let dist: string;
let before: Map<string, string>;

function contents(dir: string): Map<string, string> {
  return new Map(fs.readdirSync(dir).sort().map(f => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bad-'));
  dist = path.join(tmp, 'dist');
  main(dist); // a previous render that no failed synth may touch
  before = contents(dist);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the base declaration is valid and renders', () => {
  const out = path.join(tmp, 'base');
  synthesizeAtomically(out, app => base(app));
  expect(fs.readdirSync(out)).toEqual(['shop-app.k8s.yaml']);
});

test(`${CASES.length} distinct bad declarations, each with its own message`, () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
  const messages = CASES.map(([, , message]) => message);
  expect(new Set(messages).size).toBe(messages.length);
});

test.each(CASES)('%s is rejected with its message and leaves dist/ unchanged', (_name, declare, message) => {
  expect(() => synthesizeAtomically(dist, app => declare(base(app)))).toThrow(message);
  expect(contents(dist)).toEqual(before);
  expect(fs.readdirSync(tmp).filter(f => f.startsWith('.dist-'))).toEqual([]); // no staging folder left behind
});
