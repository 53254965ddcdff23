import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  Delivery, ExistingWorkload, ExternalHost, HealthCheck, IstioAmbientRenderer, IstioRenderer,
  LinkerdRenderer, Mesh, MeshNamespace, MeshService, MeshTarget, MeshTargets, MeshTelemetry, Protocol,
  PublicIngress, Release,
} from '../src';
import { PROPS_SHAPES } from '../src/model/props-shapes.generated';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { REPO_ROOT } from './support/manifests';

/**
 * A key the props interface does not declare is refused, at any depth, with the nearest declared key:
 * `[construct path] prop.key: unknown; did you mean "x"?`. The interfaces are read at build time into
 * src/model/props-shapes.generated.ts, which must be current with them.
 */
interface Base {
  readonly app: App;
  readonly chart: Chart;
  readonly mesh: Mesh;
  readonly shop: MeshNamespace;
  readonly web: MeshService;
  readonly db: MeshService;
  readonly gateway: ExistingWorkload;
}

function base(): Base {
  const app = new App({ outdir: fs.mkdtempSync('/tmp/soma-props-shapes-') });
  const chart = new Chart(app, 'shop-app', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const shop = mesh.addNamespace('shop');
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
  const db = new MeshService(shop, 'db', {
    image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }],
  });
  const system = mesh.addNamespace('istio-system', { create: false, strictMtls: false });
  const gateway = new ExistingWorkload(system, 'ingressgateway', {
    selector: { istio: 'ingressgateway' }, serviceAccountName: 'ingressgateway',
  });
  return { app, chart, mesh, shop, web, db, gateway };
}

const js = (value: unknown): any => value;
const image = 'example/x:1.0.0';
const ports = [{ port: 80 }];

/** Runs `declare` on a fresh mesh and returns the message it throws (synth included). */
function messageOf(declare: (b: Base) => unknown): string {
  const b = base();
  try {
    declare(b);
    b.app.synth();
  } catch (e) {
    expect(e).not.toBeInstanceOf(TypeError);
    return (e as Error).message;
  }
  throw new Error('nothing was refused');
}

test('the generated description is current with the props interfaces', () => {
  const generator = path.join(REPO_ROOT, 'bin', 'generate-props-shapes.js');
  const result = spawnSync(process.execPath, [generator, '--check'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

describe('an unknown key is refused with the nearest declared one', () => {
  const CASES: Array<[string, (b: Base) => unknown, string]> = [
    ['top level', b => new MeshService(b.shop, 'x', js({ image, ports, resolience: {} })),
      '[shop-app/Mesh/shop/x] resolience: unknown; did you mean "resilience"?'],
    ['nested',
      b => new MeshService(b.shop, 'x', js({
        image, ports, resilience: { outlierDetection: { consecutiveErrors: 3 } },
      })),
      '[shop-app/Mesh/shop/x] resilience.outlierDetection.consecutiveErrors: unknown; '
        + 'did you mean "consecutiveServerErrors"?'],
    ['in a list of structs',
      b => new MeshService(b.shop, 'x', js({ image, ports: [{ port: 80 }, { port: 81, protocl: Protocol.TCP }] })),
      '[shop-app/Mesh/shop/x] ports[1].protocl: unknown; did you mean "protocol"?'],
    ['three deep', b => new MeshService(b.shop, 'x', js({
      image, ports, resilience: { fault: { abort: { percent: 1, httpStatus: 503, status: 503 } } },
    })),
      '[shop-app/Mesh/shop/x] resilience.fault.abort.status: unknown; did you mean "httpStatus"?'],
    ['in a method\'s options', b => b.web.allowFrom(b.db, js({ prot: 8080 })),
      '[shop-app/Mesh/shop/web <- shop-app/Mesh/shop/db] options.prot: unknown; did you mean "port"?'],
    ['in a union member', b => b.db.allowFrom(b.web, js({ env: { name: 'DB_URL', schema: 'postgres' } })),
      '[shop-app/Mesh/shop/db <- shop-app/Mesh/shop/web] options.env.schema: unknown; did you mean "scheme"?'],
    ['case only', b => new ExternalHost(b.mesh, 'X', js({ host: 'api.example.com', Port: 443 })),
      '[shop-app/Mesh/X] Port: unknown; did you mean "port"?'],
    ['a renderer\'s', () => new IstioRenderer(js({ networkPolicy: false })),
      '[IstioRenderer] networkPolicy: unknown; did you mean "networkPolicies"?'],
    ['adopted workload (unchecked before)',
      b => MeshService.adopt(b.shop, 'w', js({ workload: deployment(b.chart), servicAccountName: 'w' })),
      '[shop-app/Mesh/shop/w] servicAccountName: unknown; did you mean "serviceAccountName"?'],
  ];
  test.each(CASES)('%s', (_name, declare, message) => {
    expect(messageOf(declare)).toBe(message);
  });

  test('class instances in props are taken as they are, not walked: Duration, EnvValue, Volume, Cpu, Size', () => {
    const b = base();
    const volume = kplus.Volume.fromEmptyDir(b.chart, 'Cache', 'cache');
    new MeshService(b.shop, 'x', {
      image, ports,
      env: { LOG_LEVEL: 'info', POD: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME) },
      volumeMounts: [{ path: '/cache', volume }],
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { limit: Size.mebibytes(256) } },
      resilience: { timeout: Duration.seconds(10), outlierDetection: { interval: Duration.seconds(5) } },
      liveness: HealthCheck.http('/healthz', { period: Duration.seconds(10) }),
      delivery: Delivery.releaseFile(),
    });
    expect(() => b.app.synth()).not.toThrow();
  });
});

describe('a field no hand-written check covers is checked against its declared type', () => {
  const CASES: Array<[string, (b: Base) => unknown, string]> = [
    ['required nested field missing', b => new MeshService(b.shop, 'x', js({ image, ports, autoscaling: {} })),
      '[shop-app/Mesh/shop/x] autoscaling.maxReplicas: is missing; write maxReplicas: a number'],
    ['nested field of the wrong type',
      b => new MeshService(b.shop, 'x', js({ image, ports, autoscaling: { maxReplicas: '10' } })),
      '[shop-app/Mesh/shop/x] autoscaling.maxReplicas: "10" (a string) is not a number; write maxReplicas: a number'],
    ['a renderer\'s nested struct',
      () => new LinkerdRenderer(js({ edge: { gatewayClassName: 'x', controllerNamespace: 'y' } })),
      '[LinkerdRenderer] edge.controllerServiceAccount: is missing; write controllerServiceAccount: a string'],
    ['an analysis field', () => Delivery.argoRollouts(js({ minRequests: '50' })),
      '[Delivery.argoRollouts] analysis.minRequests: "50" (a string) is not a number; write minRequests: a number'],
    ['a union of number and string',
      b => new MeshService(b.shop, 'x', js({ image, ports, disruptionBudget: { minAvailable: true } })),
      '[shop-app/Mesh/shop/x] disruptionBudget.minAvailable: true is not a string or a number; '
        + 'write minAvailable: a string or a number'],
  ];
  test.each(CASES)('%s', (_name, declare, message) => {
    expect(messageOf(declare)).toBe(message);
  });
});

function deployment(chart: Chart): kplus.Deployment {
  return new kplus.Deployment(chart, `Deployment${chart.node.children.length}`, {
    containers: [{ image: 'example/w:1.0.0', portNumber: 8080, securityContext: { user: 10001 } }],
  });
}

const release = () => ({ stable: 'v1', canary: { version: 'v2', weight: 5 } });
const jwt = { issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/keys.json' };
const ingress = (b: Base) => ({
  gateway: b.gateway, backend: b.web, host: 'api.example.com', credentialName: 'api-tls', jwt,
});
const edge = { gatewayClassName: 'envoy', controllerNamespace: 'envoy-gateway', controllerServiceAccount: 'envoy' };
const pods = { namespace: 'monitoring', labels: { app: 'prometheus' } };
/** Puts `extra` into a struct of this kind: `with(extra)` is a valid value with the extra key merged in. */
type Place = (b: Base, extra: Record<string, unknown>) => unknown;

/**
 * Every struct of the generated description, each through every constructor, method or function that takes it
 * (`takenBy`), or, for a struct only found inside another, through one that reaches it (`nested`).
 */
const PLACES: Record<string, Record<string, Place>> = {
  AdoptedWorkloadProps: {
    'MeshService.adopt(props)': (b, x) => MeshService.adopt(b.shop, 'w', js({ workload: deployment(b.chart), ...x })),
    'new AdoptedWorkload(props)': (b, x) => MeshService.adopt(b.shop, 'w', js({ workload: deployment(b.chart), ...x })),
  },
  AutoscalingOptions: {
    nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, autoscaling: { maxReplicas: 3, ...x } })),
  },
  UnlistedEgressOptions: {
    'CallGraph#allowUnlistedEgress(options)': (b, x) =>
      b.mesh.callGraph.allowUnlistedEgress(b.web, js({ reason: 'calls URLs its users supply', ...x })),
  },
  CallOptions: { 'MeshWorkload#allowFrom(options)': (b, x) => b.web.allowFrom(b.db, js(x)) },
  CanaryAnalysisOptions: { 'Delivery.argoRollouts(analysis)': (_b, x) => Delivery.argoRollouts(js(x)) },
  CanaryRelease: { nested: (b, x) => b.web.traffic.route(js({ canary: { version: 'v1', weight: 0, ...x } })) },
  ConnectionPoolOptions: {
    nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, resilience: { connectionPool: x } })),
  },
  DiscoveryEnv: { nested: (b, x) => b.db.allowFrom(b.web, js({ env: { name: 'DB_URL', ...x } })) },
  DisruptionBudgetOptions: {
    nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, disruptionBudget: x })),
  },
  EgressGatewayOptions: { nested: (_b, x) => new IstioRenderer(js({ egressGateway: x })) },
  ExistingWorkloadProps: {
    'new ExistingWorkload(props)': (b, x) =>
      new ExistingWorkload(b.shop, 'e', js({ selector: { app: 'e' }, serviceAccountName: 'e', ...x })),
  },
  ExternalHostProps: {
    'new ExternalHost(props)': (b, x) => new ExternalHost(b.mesh, 'X', js({ host: 'api.example.com', ...x })),
  },
  FaultInjection: { nested: (b, x) => b.web.allowFrom(b.db, js({ fault: x })) },
  FaultAbort: {
    nested: (b, x) => b.web.allowFrom(b.db, js({ fault: { abort: { percent: 1, httpStatus: 503, ...x } } })),
  },
  FaultDelay: {
    nested: (b, x) =>
      b.web.allowFrom(b.db, js({ fault: { delay: { percent: 1, duration: Duration.seconds(1), ...x } } })),
  },
  GoldenSignalOptions: { nested: (b, x) => new MeshTelemetry(b.mesh, 'T', js({ goldenSignals: x })) },
  GrpcHealthCheckOptions: { 'HealthCheck.grpc(options)': (_b, x) => HealthCheck.grpc(9090, js(x)) },
  HealthCheckOptions: { 'HealthCheck.command(options)': (_b, x) => HealthCheck.command(['true'], js(x)) },
  IstioAmbientRendererProps: { 'new IstioAmbientRenderer(props)': (_b, x) => new IstioAmbientRenderer(js(x)) },
  IstioRendererProps: { 'new IstioRenderer(props)': (_b, x) => new IstioRenderer(js(x)) },
  JwtIssuer: { nested: (b, x) => new PublicIngress(b.mesh, 'P', js({ ...ingress(b), jwt: { ...jwt, ...x } })) },
  LinkerdEdgeProps: { nested: (_b, x) => new LinkerdRenderer(js({ edge: { ...edge, ...x } })) },
  LinkerdPrometheusIdentity: { nested: (_b, x) => new LinkerdRenderer(js({ prometheus: x })) },
  LinkerdRendererProps: {
    'new LinkerdRenderer(props)': (_b, x) => new LinkerdRenderer(js(x)),
    'MeshTargets.renderer(linkerd)': (_b, x) => MeshTargets.renderer(MeshTarget.LINKERD, js(x)),
  },
  MeshNamespaceProps: {
    'Mesh#addNamespace(props)': (b, x) => b.mesh.addNamespace('n', js(x)),
    'new MeshNamespace(props)': (b, x) => new MeshNamespace(b.mesh, 'n', js(x)),
  },
  MeshProps: { 'new Mesh(props)': (b, x) => new Mesh(b.chart, 'M', js({ renderer: new IstioRenderer(), ...x })) },
  MeshServiceProps: { 'new MeshService(props)': (b, x) => new MeshService(b.shop, 'x', js({ image, ports, ...x })) },
  MeshTelemetryProps: { 'new MeshTelemetry(props)': (b, x) => new MeshTelemetry(b.mesh, 'T', js(x)) },
  MetricsEndpoint: {
    nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, metrics: { path: '/metrics', ...x } })),
  },
  NetworkPolicySettings: { nested: (_b, x) => new IstioRenderer(js({ networkPolicySettings: x })) },
  OutlierDetectionOptions: {
    nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, resilience: { outlierDetection: x } })),
  },
  PodsInNamespace: {
    nested: (_b, x) => new IstioRenderer(js({ networkPolicySettings: { prometheus: { ...pods, ...x } } })),
  },
  PortHealthCheckOptions: {
    'HealthCheck.http(options)': (_b, x) => HealthCheck.http('/healthz', js(x)),
    'HealthCheck.tcp(options)': (_b, x) => HealthCheck.tcp(js(x)),
  },
  PublicIngressProps: {
    'new PublicIngress(props)': (b, x) => new PublicIngress(b.mesh, 'P', js({ ...ingress(b), ...x })),
  },
  ReleaseFile: { 'Release.apply(file)': (b, x) => Release.apply(b.mesh, js({ services: {}, ...x }), 'releases.json') },
  ReleaseVersion: {
    nested: (b, x) => Release.apply(b.mesh, js({ services: { web: { versions: { v2: x } } } }), 'releases.json'),
  },
  ResilienceOptions: { nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports, resilience: x })) },
  RetryOptions: { nested: (b, x) => b.web.allowFrom(b.db, js({ retries: x })) },
  ServiceRelease: {
    'Release.nextStep(release)': (_b, x) => Release.nextStep(js({ ...release(), ...x })),
    'Release.promote(release)': (_b, x) => Release.promote(js({ ...release(), ...x })),
    'Release.rollback(release)': (_b, x) => Release.rollback(js({ ...release(), ...x })),
    'Release.setCanaryWeight(release)': (_b, x) => Release.setCanaryWeight(js({ ...release(), ...x }), 10),
    'Release.setSplit(release)': (_b, x) => Release.setSplit(js({ ...release(), ...x }), { v1: 50, v2: 50 }),
    'Release.setStable(release)': (_b, x) => Release.setStable(js({ ...release(), ...x }), 'v2'),
    'Release.startCanary(release)': (_b, x) => Release.startCanary(js({ stable: 'v1', ...x }), 'v2'),
  },
  ServiceVersionOptions: { 'MeshService#addVersion(options)': (b, x) => b.web.addVersion('v2', js(x)) },
  TrafficMirror: { nested: (b, x) => b.web.traffic.route(js({ mirror: { version: 'v2', percent: 5, ...x } })) },
  TrafficRouting: { 'ServiceTraffic#route(routing)': (b, x) => b.web.traffic.route(js(x)) },
  VersionMatch: {
    nested: (b, x) => b.web.traffic.route(js({ match: [{ version: 'v1', headers: { 'x-beta': '1' }, ...x }] })),
  },
  WorkloadPort: { nested: (b, x) => new MeshService(b.shop, 'x', js({ image, ports: [{ port: 80, ...x }] })) },
  StartCanaryOptions: { 'Release.startCanary(options)': (_b, x) => Release.startCanary(js(release()), 'v3', js(x)) },
};

/** Functions that only read a routing that `route` has already checked: their callers are the library's own. */
const READERS = ['Release.deliveredVersion(routing)', 'Release.resolveSplit(routing)'];
/** The release file's schema names unknown keys in its own words (`unknown key "x": use ...`). */
const SCHEMA_CHECKED = [
  'CanaryRelease', 'ReleaseFile', 'ReleaseVersion', 'ServiceRelease', 'TrafficMirror', 'TrafficRouting', 'VersionMatch',
];

describe('every struct of the generated description refuses an unknown key, wherever it is taken', () => {
  test('each struct is placed through each of its takers', () => {
    const expected = Object.fromEntries(Object.entries(PROPS_SHAPES)
      .map(([name, shape]) => [name, (shape.takenBy ?? ['nested']).filter(t => !READERS.includes(t)).sort()]));
    const placed = Object.fromEntries(Object.entries(PLACES)
      .map(([name, places]) => [name, Object.keys(places).sort()]));
    expect(placed).toEqual(expected);
  });

  const cases = Object.entries(PLACES)
    .flatMap(([shape, places]) => Object.entries(places).map(([taker, place]) => [shape, taker, place] as const));
  test.each(cases)('%s through %s', (shape, _taker, place) => {
    const message = messageOf(b => place(b, { zzUnknownKey: 1 }));
    if (SCHEMA_CHECKED.includes(shape)) {
      expect(message).toMatch(/zzUnknownKey\b.*unknown key "zzUnknownKey"[:;] use /);
    } else {
      expect(message).toMatch(/^\[[^\]]+\] (?:[\w.[\]"-]+\.)?zzUnknownKey: unknown; did you mean "\w+"\?$/);
    }
  });
});

describe('SomaAgentHub and Release.apply given a path where the release file goes', () => {
  test('SomaAgentHub says what releases takes', () => {
    const app = new App({ outdir: fs.mkdtempSync('/tmp/soma-props-shapes-') });
    expect(() => new SomaAgentHub(app, 'soma-agent-hub', js({ releases: { file: 'releases.json' } })))
      .toThrow(new Error('[soma-agent-hub] releases.file: "releases.json" (a string) is not a release file; '
        + 'pass what the file holds: releases: { file: Release.readFile("releases.json"), source: "releases.json" }'));
  });

  test('SomaAgentHub refuses releases without its source', () => {
    const app = new App({ outdir: fs.mkdtempSync('/tmp/soma-props-shapes-') });
    expect(() => new SomaAgentHub(app, 'soma-agent-hub', js({ releases: { file: { services: {} } } })))
      .toThrow(new Error('[soma-agent-hub] releases.source: is missing; write source: "releases.json"'));
  });

  test('Release.apply says what file takes', () => {
    expect(messageOf(b => Release.apply(b.mesh, js('releases.json'), 'releases.json')))
      .toBe('[Release.apply] file: "releases.json" (a string) is not a release file; '
        + 'read it first and pass what it holds: Release.readFile("releases.json"), with source "releases.json"');
  });
});
