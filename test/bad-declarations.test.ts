import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import { ExistingWorkload, ExternalHost, HealthCheck, IstioRenderer, LinkerdRenderer, Mesh, MeshNamespace, MeshService, Protocol } from '../src';
import { IstioAmbientRenderer, Release } from '../src';
import { REPO_ROOT } from './support/manifests';

/**
 * Declarations from plain JavaScript (or TypeScript through `any`): each mistake is refused at the construct
 * boundary with `[construct path] prop: what is wrong; fix`, never a raw TypeError, never an "internal error",
 * never a message that contradicts itself. The first entries are the issue's own examples.
 */
interface Base {
  readonly app: App;
  readonly chart: Chart;
  readonly mesh: Mesh;
  readonly shop: MeshNamespace;
  readonly web: MeshService;
  readonly db: MeshService;
  readonly redis: ExistingWorkload;
}

function base(renderer: 'istio' | 'linkerd' = 'istio'): Base {
  const app = new App({ outdir: fs.mkdtempSync('/tmp/soma-bad-decl-') });
  const chart = new Chart(app, 'shop-app', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: renderer === 'istio' ? new IstioRenderer() : new LinkerdRenderer() });
  const shop = mesh.addNamespace('shop');
  const infra = mesh.addNamespace('infra', { create: false });
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
  const db = new MeshService(shop, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }] });
  const redis = new ExistingWorkload(infra, 'redis', { selector: { app: 'redis' }, serviceAccountName: 'redis', ports: [{ port: 6379, protocol: Protocol.TCP }] });
  return { app, chart, mesh, shop, web, db, redis };
}

const js = (value: unknown): any => value;
const image = 'example/x:1.0.0';
const ports = [{ port: 80 }];

const CASES: Array<[string, (b: Base) => unknown, string]> = [
  ['props null', b => new MeshService(b.shop, 'x', js(null)), '[shop-app/Mesh/shop/x] props: null is not an object; write { image: "example/web:1.4.2", ports: [{ port: 8080 }] }'],
  ['image missing', b => new MeshService(b.shop, 'x', js({ ports })), '[shop-app/Mesh/shop/x] image: is missing; write image: "example/web:1.4.2"'],
  ['ports a string', b => new MeshService(b.shop, 'x', js({ image, ports: '8080' })), '[shop-app/Mesh/shop/x] ports: "8080" (a string) is not a list; write ports: [{ port: 8080 }]'],
  ['allowFrom(null)', b => b.web.allowFrom(js(null)), '[shop-app/Mesh/shop/web <- allowFrom] caller: null is not a workload; pass a MeshService or ExistingWorkload of this mesh, for example db.allowFrom(web)'],
  ['timeout a number', b => new MeshService(b.shop, 'x', js({ image, ports, resilience: { timeout: 30 } })), '[shop-app/Mesh/shop/x] resilience.timeout: 30 is not a Duration; write Duration.seconds(30) or Duration.millis(30) (Duration from cdk8s)'],
  ['call timeout a number', b => b.web.allowFrom(b.db, js({ timeout: 5000 })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.timeout: 5000 is not a Duration; write Duration.seconds(5000) or Duration.millis(5000) (Duration from cdk8s)'],
  ['protocol FTP', b => new MeshService(b.shop, 'x', js({ image, ports: [{ port: 8080, protocol: 'FTP' }] })), '[shop-app/Mesh/shop/x] ports[0].protocol: "FTP" (a string) is not a Protocol; use one of Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.TCP'],
  ['runAsUser "0"', b => new MeshService(b.shop, 'x', js({ image, ports, runAsUser: '0' })), '[shop-app/Mesh/shop/x] runAsUser: "0" (a string) is not an integer; write an integer from 0 to 2147483647'],
  ['replicas "2"', b => new MeshService(b.shop, 'x', js({ image, ports, replicas: '2' })), '[shop-app/Mesh/shop/x] replicas: "2" (a string) is not an integer; write an integer from 0 to 10000'],
  ['call port "8080"', b => b.web.allowFrom(b.db, js({ port: '8080' })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.port: "8080" (a string) is not an integer; write an integer from 1 to 65535'],
  ['weights as strings', b => b.web.traffic.route(js({ weights: { v1: '95', v2: '5' } })), '[shop-app/Mesh/shop/web] routing.weights["v1"]: "95" is not a percentage; write an integer from 0 to 100'],
  ['image upper case', b => new MeshService(b.shop, 'x', { image: 'Example/Web:1.0', ports }), '[shop-app/Mesh/shop/x/v1] image "Example/Web:1.0" is not an image reference: "Example" is not a repository name part; repository names are lower case: write "example/web:1.0"'],
  ['image not ASCII', b => new MeshService(b.shop, 'x', { image: 'exämple/wéb:1.0', ports }), '[shop-app/Mesh/shop/x/v1] image "exämple/wéb:1.0" is not an image reference: it has a space or a character outside ASCII; write the registry, repository and tag in ASCII, such as "example/web:1.4.2"'],
  ['env name not ASCII', b => new MeshService(b.shop, 'x', { image, ports, env: { VÄR: '1' } }), '[shop-app/Mesh/shop/x] env "VÄR" is not an environment variable name: use letters, digits, \'_\', \'.\' and \'-\', not starting with a digit'],
  ['empty service name', b => new MeshService(b.shop, '', { image, ports }), '[shop-app/Mesh/shop] name: is empty; give a name, for example new MeshService(namespace, "web", { image: "example/web:1.4.2" })'],
  ['namespace null', () => new MeshService(js(null), 'x', { image, ports }), '[x] scope: null is not a MeshNamespace; create it in a MeshNamespace, for example new MeshService(namespace, "web", { image: "example/web:1.4.2" })'],
  ['name a number', b => new MeshService(b.shop, js(42), { image, ports }), '[shop-app/Mesh/shop] name: 42 is not a string; give a name, for example new MeshService(namespace, "web", { image: "example/web:1.4.2" })'],
  ['ports of numbers', b => new MeshService(b.shop, 'x', js({ image, ports: [8080] })), '[shop-app/Mesh/shop/x] ports[0]: 8080 is not an object; write { port: 8080, protocol: Protocol.HTTP }'],
  ['protocol lower case', b => new MeshService(b.shop, 'x', js({ image, ports: [{ port: 8080, protocol: 'http' }] })), '[shop-app/Mesh/shop/x] ports[0].protocol: "http" (a string) is not a Protocol; use one of Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.TCP'],
  ['liveness a path', b => new MeshService(b.shop, 'x', js({ image, ports, liveness: '/healthz' })), '[shop-app/Mesh/shop/x] liveness: "/healthz" (a string) is not a HealthCheck; write HealthCheck.http("/healthz"), HealthCheck.tcp() or HealthCheck.command([...])'],
  ['env a list', b => new MeshService(b.shop, 'x', js({ image, ports, env: ['A=1'] })), '[shop-app/Mesh/shop/x] env: a list (1 item) is not an object; write env: { LOG_LEVEL: "info" }'],
  ['env value a number', b => new MeshService(b.shop, 'x', js({ image, ports, env: { PORT: 8080 } })), '[shop-app/Mesh/shop/x] env["PORT"]: 8080 is not a string; write the value as a string, such as "8080"'],
  ['command a string', b => new MeshService(b.shop, 'x', js({ image, ports, command: 'python app.py' })), '[shop-app/Mesh/shop/x] command: "python app.py" (a string) is not a list; write command: ["python", "app/main.py"]'],
  ['resources a string', b => new MeshService(b.shop, 'x', js({ image, ports, resources: '500m' })), '[shop-app/Mesh/shop/x] resources: "500m" (a string) is not an object; write { cpu: { request: Cpu.millis(100) }, memory: { limit: Size.mebibytes(512) } }'],
  ['args a string', b => new MeshService(b.shop, 'x', js({ image, ports, args: '--port 8080' })), '[shop-app/Mesh/shop/x] args: "--port 8080" (a string) is not a list; write args: ["--port", "8080"]'],
  ['metrics a path', b => new MeshService(b.shop, 'x', js({ image, ports, metrics: '/metrics' })), '[shop-app/Mesh/shop/x] metrics: "/metrics" (a string) is not an object; write { path: "/metrics", port: 8080 }'],
  ['retry attempts a string', b => new MeshService(b.shop, 'x', js({ image, ports, resilience: { retries: { attempts: '3' } } })), '[shop-app/Mesh/shop/x] resilience.retries.attempts: "3" (a string) is not an integer; write an integer from 0 to 10'],
  ['retry condition unknown', b => new MeshService(b.shop, 'x', js({ image, ports, resilience: { retries: { on: ['5xx'] } } })), '[shop-app/Mesh/shop/x] resilience.retries.on[0]: "5xx" (a string) is not a RetryCondition; use one of RetryCondition.CONNECT_FAILURE, RetryCondition.REFUSED_STREAM, RetryCondition.RESET, RetryCondition.UNAVAILABLE, RetryCondition.GATEWAY_ERROR'],
  ['load balancing unknown', b => new MeshService(b.shop, 'x', js({ image, ports, resilience: { loadBalancing: 'ROUND-ROBIN' } })), '[shop-app/Mesh/shop/x] resilience.loadBalancing: "ROUND-ROBIN" (a string) is not a LoadBalancing; use one of LoadBalancing.ROUND_ROBIN, LoadBalancing.LEAST_REQUEST, LoadBalancing.RANDOM'],
  ['methods a string', b => b.web.allowFrom(b.db, js({ methods: 'GET' })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.methods: "GET" (a string) is not a list; write methods: ["GET", "POST"]'],
  ['paths a string', b => b.web.allowFrom(b.db, js({ paths: '/api' })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.paths: "/api" (a string) is not a list; write paths: ["/api/*"]'],
  ['idempotent a string', b => b.web.allowFrom(b.db, js({ idempotent: 'yes' })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.idempotent: "yes" (a string) is not true or false; write idempotent: true or false'],
  ['perTryTimeout a number', b => b.web.allowFrom(b.db, js({ retries: { perTryTimeout: 100 } })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.retries.perTryTimeout: 100 is not a Duration; write Duration.seconds(100) or Duration.millis(100) (Duration from cdk8s)'],
  ['caller a name', b => b.web.allowFrom(js('db')), '[shop-app/Mesh/shop/web <- allowFrom] caller: "db" (a string) is not a workload; pass a MeshService or ExistingWorkload of this mesh, for example db.allowFrom(web)'],
  ['version replicas a string', b => b.web.addVersion('v2', js({ replicas: '1' })), '[shop-app/Mesh/shop/web/v2] options.replicas: "1" (a string) is not an integer; write an integer from 0 to 10000'],
  ['version a number', b => b.web.addVersion(js(2)), '[shop-app/Mesh/shop/web] version: 2 is not a string; write version: "v2"'],
  ['selector a string', b => new ExistingWorkload(b.redis.namespace, 'kafka', js({ selector: 'app=kafka', serviceAccountName: 'kafka' })), '[shop-app/Mesh/infra/kafka] selector: "app=kafka" (a string) is not an object; write selector: { app: "redis" }'],
  ['external host a number', b => new ExternalHost(b.mesh, 'X', js({ host: 42 })), '[shop-app/Mesh/X] host: 42 is not a string; write host: "api.example.com"'],
  ['external allowFrom(null)', b => new ExternalHost(b.mesh, 'X', { host: 'api.example.com' }).allowFrom(js(null)), '[shop-app/Mesh/X <- allowFrom] caller: null is not a workload; pass a MeshService or ExistingWorkload of this mesh, for example db.allowFrom(web)'],
  ['health path a number', () => HealthCheck.http(js(42)), '[HealthCheck.http] path: 42 is not a string; write path: "/healthz"'],
  ['health port a string', () => HealthCheck.tcp(js({ port: '8080' })), '[HealthCheck.tcp] options.port: "8080" (a string) is not an integer; write an integer from 1 to 65535'],
  ['health command a string', () => HealthCheck.command(js('cat /tmp/healthy')), '[HealthCheck.command] command: "cat /tmp/healthy" (a string) is not a list; write command: ["cat", "/tmp/healthy"]'],
  ['namespace name empty', b => b.mesh.addNamespace(''), '[shop-app/Mesh] name: is empty; give a name, for example mesh.addNamespace("shop")'],
  ['namespace create a string', b => b.mesh.addNamespace('x', js({ create: 'no' })), '[shop-app/Mesh/x] create: "no" (a string) is not true or false; write create: true or false'],
  ['mesh without renderer', b => new Mesh(b.chart, 'Other', js({})), '[shop-app/Other] renderer: is missing; pass one, for example `new Mesh(chart, "Mesh", { renderer: new IstioRenderer() })`'],
  ['mesh renderer not one', b => new Mesh(b.chart, 'Other', js({ renderer: {} })), '[shop-app/Other] renderer: has no render; pass a renderer of this library, such as new IstioRenderer() or new LinkerdRenderer()'],
  ['workload(undefined)', b => b.mesh.workload(js(undefined)), '[shop-app/Mesh.workload] ref: is missing; write ref: "web" or "shop/web"'],
  ['unlisted egress ports strings', b => b.mesh.callGraph.allowUnlistedEgress(b.web, js({ reason: 'calls URLs its users supply', ports: ['443'] })), '[shop-app/Mesh/shop/web] options.ports[0]: "443" (a string) is not an integer; write an integer from 1 to 65535'],
  ['canary steps a string', b => b.web.traffic.route(js({ canary: { version: 'v2', weight: 5, steps: '1,5' } })), '[shop-app/Mesh/shop/web] routing.canary.steps: "1,5" is not a list of steps; write ascending percentages ending at 100, such as [1, 5, 25, 50, 100]'],
  ['fault delay duration a number', b => b.web.allowFrom(b.db, js({ fault: { delay: { percent: 10, duration: 2 } } })), '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.fault.delay.duration: 2 is not a Duration; write Duration.seconds(2) or Duration.millis(2) (Duration from cdk8s)'],
  ['duration a Duration', b => new MeshService(b.shop, 'x', { image, ports, resilience: { timeout: Duration.seconds(0) } }), '[shop-app/Mesh/shop/x] timeout is 0ms: use at least 1ms'],
];

/** What a message must never be: a raw TypeError's text, an "internal error", or a statement that refutes itself. */
function expectClear(message: string): void {
  expect(message).toMatch(/^\[[^\]]+\] /);
  expect(message).not.toMatch(/internal error|undefined-|Cannot read prop|is not a function|is not iterable/);
  // "replicas 2 is not a count", "port 8080 ... (it serves 8080)", "95 + 5 = 955": never.
  expect(message).not.toMatch(/(?<!")\b\d+\b(?!")(?: \(a [a-z]+\))? is not an? (?:integer|count|number)/);
  const serves = /does not serve port (\d+) \(it serves ([\d, ]+)\)/.exec(message);
  if (serves) expect(serves[2].split(', ')).not.toContain(serves[1]);
  const sum = /weights ((?:[a-z0-9-]+=\S+,? ?)+) sum to (\S+),/.exec(message);
  if (sum) expect(sum[1].split(/,? /).reduce((total, pair) => total + Number(pair.split('=')[1]), 0)).toBe(Number(sum[2]));
}

describe('a bad declaration is refused with its construct path, the prop, what is wrong and the fix', () => {
  test.each(CASES)('%s', (_name, declare, message) => {
    const b = base();
    let error: unknown;
    try {
      declare(b);
      b.app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(message);
    expectClear((error as Error).message);
  });
});

describe('generated names', () => {
  test('a Linkerd per-version Service name over 63 characters is an error naming the service and version that make it', () => {
    const b = base('linkerd');
    const long = 'a'.repeat(63);
    const service = new MeshService(b.shop, long, { image, ports: [{ port: 8080 }] });
    service.addVersion('v2');
    service.traffic.route({ canary: { version: 'v2', weight: 5 } });
    expect(() => b.app.synth()).toThrow(`[shop-app/Mesh] Service name "${long}-v2" (made at shop-app/Mesh/shop/${long}/LinkerdTraffic/Service-v2) is 66 characters, over the 63 Kubernetes allows for a Service: shorten the names (service, version, namespace) it is made of`);
  });

  test('the same declaration renders under Istio, whose names stay within the limits', () => {
    const b = base('istio');
    const long = 'a'.repeat(63);
    const service = new MeshService(b.shop, long, { image, ports: [{ port: 8080 }] });
    service.addVersion('v2');
    service.traffic.route({ canary: { version: 'v2', weight: 5 } });
    expect(() => b.app.synth()).not.toThrow();
  });

  test('a Service name must start with a letter', () => {
    const b = base();
    new MeshService(b.shop, '1web', { image, ports });
    expect(() => b.app.synth()).toThrow('[shop-app/Mesh] Service name "1web" (made at shop-app/Mesh/shop/1web/Service) is not valid for a Service: use lower-case letters, digits and \'-\', starting with a letter');
  });
});

describe('renderers from JavaScript', () => {
  test.each([
    ['Istio', () => new IstioRenderer(js({ networkPolicies: 'yes' })), '[IstioRenderer] networkPolicies: "yes" (a string) is not true or false; write networkPolicies: true or false'],
    ['Linkerd', () => new LinkerdRenderer(js({ probeNetworks: '10.0.0.0/8' })), '[LinkerdRenderer] probeNetworks: "10.0.0.0/8" (a string) is not a list; write probeNetworks: ["10.0.0.0/8"]'],
    ['ambient', () => new IstioAmbientRenderer(js({ gatewayApiChannel: 'beta' })), '[IstioAmbientRenderer] gatewayApiChannel: "beta" (a string) is not a Gateway API channel; write "standard" or "experimental"'],
  ] as Array<[string, () => unknown, string]>)('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('release operations from JavaScript', () => {
  const release = { stable: 'v1', canary: { version: 'v2', weight: 1 } };
  const REFUSED: Array<[string, () => unknown, string]> = [
    ['weight a string', () => Release.setCanaryWeight(release, js('5')), '[setCanaryWeight] weight: "5" (a string) is not an integer; write an integer from 0 to 100'],
    ['weight 150', () => Release.setCanaryWeight(release, 150), '[setCanaryWeight] weight: 150 is out of range; write an integer from 0 to 100'],
    ['steps a string', () => Release.setCanaryWeight(js({ canary: { version: 'v2', weight: 1, steps: '1,5' } }), 5), '[setCanaryWeight] release.canary.steps: "1,5" is not a list of steps; write ascending percentages ending at 100, such as [1, 5, 25, 50, 100]; fix the release first'],
    ['split weights as strings', () => Release.setSplit(release, js({ v1: '95', v2: '5' })), '[setSplit] weights["v1"]: "95" (a string) is not an integer; write an integer from 0 to 100'],
    ['start without a version', () => Release.startCanary({}, js(undefined)), '[startCanary] version: is missing; write version: "v3"'],
    ['release null', () => Release.startCanary(js(null), 'v3'), '[startCanary] release: null is not a release; write an object such as {"stable": "v1", "canary": {"version": "v2", "weight": 1}}; fix the release first'],
  ];
  test.each(REFUSED)('%s', (_name, call, message) => {
    expect(call).toThrow(message);
    try {
      call();
    } catch (e) {
      expect(e).not.toBeInstanceOf(TypeError);
      expect((e as Error).message).toBe(message);
      expectClear((e as Error).message);
    }
  });
});

test('docs/synth-and-release.md quotes these messages as the code writes them', () => {
  const quoted = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'synth-and-release.md'), 'utf8').split('\n').filter(l => l.startsWith('[shop-app/'));
  const messages = [
    (b: Base) => new MeshService(b.shop, 'api', js({ image, ports: '8080' })),
    (b: Base) => new MeshService(b.shop, 'api', js({ image, ports, resilience: { timeout: 30 } })),
    (b: Base) => new MeshService(b.shop, 'api', js({ image, ports: [{ port: 8080, protocol: 'FTP' }] })),
    (b: Base) => new MeshService(b.shop, '', { image, ports }),
  ].map(declare => {
    try {
      declare(base());
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  });
  expect(quoted.length).toBe(4);
  expect(messages).toEqual(quoted);
});
