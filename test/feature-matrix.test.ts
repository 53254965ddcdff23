import * as path from 'path';
import * as ts from 'typescript';
import { Chart, Duration, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  Delivery, DeliveryController, ExistingWorkload, ExternalHost, HealthCheck, IMeshRenderer, IstioAmbientRenderer, IstioRenderer, LinkerdRenderer,
  LoadBalancing, Mesh, MeshNamespace, MeshService, MeshServiceProps, MeshTelemetry, Protocol, PublicIngress,
} from '../src';
import { REPO_ROOT } from './support/manifests';

/**
 * The renderer contract, feature by feature: every prop of every construct is, for each of the three renderers,
 * either rendered (the output changes and nothing is said) or reported (exactly one warning, naming the construct,
 * the feature and what to do). The list of props is read from the TypeScript declarations, so a new prop fails this
 * test until its three answers are written here.
 */

/** The props interfaces of the constructs (and of `allowFrom`, `traffic.route` and the resilience a service declares). */
const INTERFACES: Record<string, string> = {
  MeshNamespaceProps: 'src/model/mesh-namespace.ts',
  MeshServiceProps: 'src/model/mesh-service.ts',
  ExistingWorkloadProps: 'src/model/existing-workload.ts',
  AdoptedWorkloadProps: 'src/model/adopted-workload.ts',
  ExternalHostProps: 'src/model/external-host.ts',
  PublicIngressProps: 'src/model/public-ingress.ts',
  MeshTelemetryProps: 'src/model/mesh-telemetry.ts',
  CallOptions: 'src/model/call.ts',
  ResilienceOptions: 'src/model/resilience.ts',
  ConnectionPoolOptions: 'src/model/resilience.ts',
  OutlierDetectionOptions: 'src/model/resilience.ts',
  TrafficRouting: 'src/model/routing.ts',
};

/** Every `Interface.prop` declared, read with the compiler (inherited props included by their own interface). */
function declaredProps(): string[] {
  const program = ts.createProgram([...new Set(Object.values(INTERFACES))].map(f => path.join(REPO_ROOT, f)), { noResolve: true });
  const props: string[] = [];
  for (const [name, file] of Object.entries(INTERFACES)) {
    const source = program.getSourceFile(path.join(REPO_ROOT, file))!;
    const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
    if (!found) throw new Error(`${name} is not declared in ${file}`);
    for (const member of found.members) if (ts.isPropertySignature(member)) props.push(`${name}.${(member.name as ts.Identifier).text}`);
  }
  return props.sort();
}

type Target = 'istio' | 'linkerd' | 'ambient';
const RENDERERS: Record<Target, () => IMeshRenderer> = {
  istio: () => new IstioRenderer(),
  linkerd: () => new LinkerdRenderer({
    probeNetworks: ['10.0.0.0/16'],
    edge: { gatewayClassName: 'traefik', controllerNamespace: 'traefik', controllerServiceAccount: 'traefik', httpsPort: 8443 },
  }),
  ambient: () => new IstioAmbientRenderer(),
};

interface Shop {
  readonly mesh: Mesh;
  readonly chart: Chart;
  readonly shop: MeshNamespace;
  readonly web: MeshService;
  readonly gateway: ExistingWorkload;
}

/**
 * R: rendered, silently; a RegExp: reported by one warning matching it; [R, RegExp]: rendered in part, the rest
 * reported; SM1102: synth fails with that analyzer code (a known conflict, kept visible here).
 */
type Answer = 'R' | RegExp | ['R', RegExp] | 'SM1102';

interface Feature {
  /** Declares the construct without the prop (false) and with it (true), or with two values of a required prop. */
  readonly declare: (s: Shop, on: boolean) => void;
  /** The path or `namespace/name` the warning names. */
  readonly names: string;
  readonly istio: Answer;
  readonly linkerd: Answer;
  readonly ambient: Answer;
}

const http = HealthCheck.http('/healthz');
const image = 'example/api:1.0.0';
/** `api` (HTTP 8080, called by web), declared with `props` when on. */
function api(s: Shop, props: Partial<MeshServiceProps>, on: boolean, called = true): MeshService {
  const service = new MeshService(s.shop, 'api', { image, ports: [{ port: 8080 }], liveness: http, ...(on ? props : {}) });
  if (called) service.allowFrom(s.web, { methods: ['GET'] });
  return service;
}
/** `db`, TCP only (5432, called by web), declared with `resilience` when on. */
function db(s: Shop, props: Partial<MeshServiceProps>, on: boolean): MeshService {
  const service = new MeshService(s.shop, 'db', { image, ports: [{ port: 5432, protocol: Protocol.TCP }], liveness: http, ...(on ? props : {}) });
  service.allowFrom(s.web);
  return service;
}
function resilience(options: object): Feature['declare'] {
  return (s, on) => api(s, { resilience: options }, on);
}
function route(routing: object, versions = ['v2']): Feature['declare'] {
  return (s, on) => {
    const service = api(s, {}, true);
    for (const v of versions) service.addVersion(v, { replicas: 1 });
    if (on) service.traffic.route(routing);
  };
}
function call(options: object, methods: string[] = ['GET']): Feature['declare'] {
  return (s, on) => new MeshService(s.shop, 'api', { image, ports: [{ port: 8080 }], liveness: http }).allowFrom(s.web, { methods, ...(on ? options : {}) });
}
const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' };
/** A PublicIngress to api through the edge gateway: absent when off (`props` undefined), or with `props` when on. */
function ingress(props?: object): Feature['declare'] {
  return (s, on) => {
    const backend = api(s, {}, true, true);
    backend.allowFrom(s.gateway);
    if (!on && props === undefined) return;
    new PublicIngress(s.mesh, 'Public', { gateway: s.gateway, backend, host: 'api.example.com', credentialName: 'api-tls', jwt, ...(on ? props : {}) });
  };
}
function telemetry(props: object, alternative: object = {}): Feature['declare'] {
  return (s, on) => new MeshTelemetry(s.mesh, 'Telemetry', { samplingPercentage: 0, ...(on ? props : alternative) });
}
function adopt(props: (s: Shop) => object, alternative: (s: Shop) => object = () => ({})): Feature['declare'] {
  return (s, on) => {
    const deployment = new kplus.Deployment(s.chart, 'Legacy', { containers: [{ image, portNumber: 8080, securityContext: { ensureNonRoot: false } }] });
    const adopted = MeshService.adopt(s.shop, 'legacy', { workload: deployment, ...(on ? props(s) : alternative(s)) });
    adopted.allowFrom(s.web);
  };
}
/** An adopted Deployment of two containers; the caller's URL goes to the second when `container` names it. */
function adoptContainer(s: Shop, on: boolean): void {
  const deployment = new kplus.Deployment(s.chart, 'Legacy', { containers: [
    { image, portNumber: 8080, securityContext: { ensureNonRoot: false } },
    { name: 'helper', image, securityContext: { ensureNonRoot: false } },
  ] });
  const adopted = MeshService.adopt(s.shop, 'legacy', { workload: deployment, ...(on ? { container: deployment.containers[1] } : {}) });
  new MeshService(s.shop, 'api', { image, ports: [{ port: 8080 }], liveness: http }).allowFrom(adopted, { env: 'API_URL' });
}
function peer(props: object, alternative: object): Feature['declare'] {
  return (s, on) => {
    const cache = new ExistingWorkload(s.mesh.addNamespace('infra', { create: false }), 'cache', {
      selector: { app: 'cache' }, serviceAccountName: 'cache', ports: [{ port: 6379, protocol: Protocol.TCP }], ...(on ? props : alternative),
    });
    cache.allowFrom(s.web);
    s.web.allowFrom(cache); // its identity is what web's policy admits
  };
}
function host(props: object, alternative: object): Feature['declare'] {
  return (s, on) => new ExternalHost(s.mesh, 'Payments', { host: 'api.stripe.com', ...(on ? props : alternative) }).allowFrom(s.web);
}

const API = 'c/Mesh/shop/api';

const FEATURES: Record<string, Feature> = {
  // Namespaces
  'MeshNamespaceProps.create': { declare: (s, on) => s.mesh.addNamespace('legacy', { create: !on }), names: 'c/Mesh/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshNamespaceProps.strictMtls': { declare: (s, on) => s.mesh.addNamespace('legacy', { strictMtls: !on }), names: 'c/Mesh/legacy', istio: 'R', linkerd: /strictMtls: false in legacy is not rendered/, ambient: 'R' },
  'MeshNamespaceProps.defaultDeny': { declare: (s, on) => s.mesh.addNamespace('legacy', { defaultDeny: !on }), names: 'c/Mesh/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  // Services
  'MeshServiceProps.image': { declare: (s, on) => api(s, { image: on ? 'example/api:2.0.0' : image }, true), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.ports': { declare: (s, on) => api(s, { ports: [{ port: on ? 8090 : 8080 }] }, true), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.version': { declare: (s, on) => api(s, { version: 'stable' }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.replicas': { declare: (s, on) => api(s, { replicas: 3 }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.serviceAccountName': { declare: (s, on) => api(s, { serviceAccountName: 'api-sa' }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.liveness': { declare: (s, on) => api(s, { liveness: HealthCheck.http('/live') }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.readiness': { declare: (s, on) => api(s, { readiness: HealthCheck.http('/ready') }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.resources': { declare: (s, on) => api(s, { resources: { cpu: { request: kplus.Cpu.millis(250) } } }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.env': { declare: (s, on) => api(s, { env: { MODE: 'fast' } }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.envFrom': { declare: (s, on) => api(s, { envFrom: [kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(s.chart, 'Cfg', 'cfg'))] }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.volumeMounts': { declare: (s, on) => api(s, { volumeMounts: [{ path: '/cache', volume: kplus.Volume.fromEmptyDir(s.chart, 'Cache', 'cache') }] }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.command': { declare: (s, on) => api(s, { command: ['serve'] }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.args': { declare: (s, on) => api(s, { args: ['--fast'] }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.runAsUser': { declare: (s, on) => api(s, { runAsUser: 20000 }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.metrics': { declare: (s, on) => api(s, { metrics: { path: '/metrics' } }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.resilience': { declare: resilience({ timeout: Duration.seconds(5) }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.autoscaling': { declare: (s, on) => api(s, { autoscaling: { maxReplicas: 5, cpuUtilization: 70 } }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.disruptionBudget': { declare: (s, on) => api(s, { disruptionBudget: { minAvailable: 1 } }, on), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshServiceProps.delivery': {
    declare: (s, on) => {
      const service = api(s, { delivery: Delivery.argoRollouts() }, on);
      service.addVersion('v2', { replicas: 1 });
      // A canary the controller started: a Rollout never takes a release-file canary as its first template.
      service.traffic.route({ canary: { version: 'v2', weight: 5, controller: DeliveryController.ARGO_ROLLOUTS } });
    },
    names: API, istio: 'R', linkerd: /delivery by Argo Rollouts is not rendered/, ambient: /delivery by Argo Rollouts is not rendered/,
  },
  // Resilience, field by field (on an HTTP service; the TCP-only case below)
  'ResilienceOptions.timeout': { declare: resilience({ timeout: Duration.seconds(5) }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'ResilienceOptions.retries': { declare: resilience({ retries: { attempts: 3 } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: /the declared retries are not rendered/ },
  // On a TCP-only service (ztunnel to ztunnel under ambient).
  'ResilienceOptions.connectionPool': { declare: (s, on) => db(s, { resilience: { connectionPool: { maxConnections: 10 } } }, on), names: 'shop/db', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: /the declared resilience of db \(connectionPool\) is not rendered: its ports are TCP only/ },
  'ResilienceOptions.outlierDetection': { declare: (s, on) => db(s, { resilience: { outlierDetection: { consecutiveServerErrors: 3 } } }, on), names: 'shop/db', istio: 'R', linkerd: 'R', ambient: /the declared resilience of db \(outlierDetection\) is not rendered: its ports are TCP only/ },
  'ResilienceOptions.loadBalancing': { declare: resilience({ loadBalancing: LoadBalancing.RANDOM }), names: 'shop/api', istio: 'R', linkerd: /the load-balancing algorithm is not rendered/, ambient: 'R' },
  'ResilienceOptions.fault': { declare: resilience({ fault: { abort: { percent: 5, httpStatus: 503 } } }), names: 'shop/api', istio: 'R', linkerd: /fault injection .* is not rendered/, ambient: /fault injection is not rendered/ },
  'ConnectionPoolOptions.maxConnections': { declare: resilience({ connectionPool: { maxConnections: 10 } }), names: 'shop/api', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: 'R' },
  'ConnectionPoolOptions.maxPendingRequests': { declare: resilience({ connectionPool: { maxPendingRequests: 10 } }), names: 'shop/api', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: 'R' },
  'ConnectionPoolOptions.maxRequests': { declare: resilience({ connectionPool: { maxRequests: 10 } }), names: 'shop/api', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: 'R' },
  'ConnectionPoolOptions.maxRequestsPerConnection': { declare: resilience({ connectionPool: { maxRequestsPerConnection: 10 } }), names: 'shop/api', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: 'R' },
  'ConnectionPoolOptions.connectTimeout': { declare: resilience({ connectionPool: { connectTimeout: Duration.seconds(2) } }), names: 'shop/api', istio: 'R', linkerd: /connection-pool limits .* are not rendered/, ambient: 'R' },
  'OutlierDetectionOptions.consecutiveServerErrors': { declare: resilience({ outlierDetection: { consecutiveServerErrors: 3 } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'OutlierDetectionOptions.interval': { declare: resilience({ outlierDetection: { interval: Duration.seconds(20) } }), names: 'shop/api', istio: 'R', linkerd: /outlier detection interval and maxEjectionPercent are not rendered/, ambient: 'R' },
  'OutlierDetectionOptions.baseEjectionTime': { declare: resilience({ outlierDetection: { baseEjectionTime: Duration.seconds(60) } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'OutlierDetectionOptions.maxEjectionPercent': { declare: resilience({ outlierDetection: { maxEjectionPercent: 20 } }), names: 'shop/api', istio: 'R', linkerd: /outlier detection interval and maxEjectionPercent are not rendered/, ambient: 'R' },
  // Routing between versions
  'TrafficRouting.stable': { declare: route({ stable: 'v2' }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'TrafficRouting.canary': { declare: route({ canary: { version: 'v2', weight: 5 } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'TrafficRouting.weights': { declare: route({ weights: { v1: 70, v2: 30 } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'TrafficRouting.match': { declare: route({ match: [{ version: 'v2', headers: { 'x-beta': 'true' } }] }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: 'R' },
  'TrafficRouting.mirror': { declare: route({ mirror: { version: 'v2', percent: 5 } }), names: 'shop/api', istio: 'R', linkerd: /traffic mirroring is not rendered/, ambient: 'R' },
  // Calls
  'CallOptions.port': { declare: (s, on) => new MeshService(s.shop, 'api', { image, ports: [{ port: 8080 }, { port: 9090 }], liveness: http }).allowFrom(s.web, { port: on ? 9090 : 8080 }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'CallOptions.methods': { declare: call({ methods: ['GET', 'POST'] }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: ['R', /requests that are not idempotent .* are safe from replay only if/] },
  'CallOptions.paths': { declare: call({ paths: ['/v1/*'] }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'CallOptions.idempotent': { declare: call({ idempotent: true }, ['POST']), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: /the declared retries are not rendered, nor the declared idempotency of calls/ },
  'CallOptions.timeout': { declare: call({ timeout: Duration.seconds(3) }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  'CallOptions.retries': { declare: call({ retries: { attempts: 1 } }), names: 'shop/api', istio: 'R', linkerd: 'R', ambient: /the declared retries are not rendered/ },
  'CallOptions.fault': { declare: call({ fault: { abort: { percent: 5, httpStatus: 503 } } }), names: 'shop/api', istio: 'R', linkerd: /fault injection .* is not rendered/, ambient: /fault injection is not rendered/ },
  'CallOptions.env': { declare: call({ env: 'API_URL' }), names: API, istio: 'R', linkerd: 'R', ambient: 'R' },
  // Peers of other charts
  'ExistingWorkloadProps.selector': { declare: peer({ selector: { app: 'redis' } }, {}), names: 'c/Mesh/infra', istio: 'R', linkerd: 'R', ambient: 'R' },
  'ExistingWorkloadProps.serviceAccountName': { declare: peer({ serviceAccountName: 'redis' }, {}), names: 'c/Mesh/infra', istio: 'R', linkerd: 'R', ambient: 'R' },
  'ExistingWorkloadProps.ports': { declare: peer({ ports: [{ port: 6380, protocol: Protocol.TCP }] }, {}), names: 'c/Mesh/infra', istio: 'R', linkerd: 'R', ambient: 'R' },
  // Adopted workloads
  'AdoptedWorkloadProps.workload': { declare: (s, on) => { if (on) adopt(() => ({}))(s, true); }, names: 'c/Mesh/shop/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  'AdoptedWorkloadProps.ports': { declare: adopt(() => ({ ports: [{ port: 80, targetPort: 8080 }] })), names: 'c/Mesh/shop/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  'AdoptedWorkloadProps.serviceAccountName': { declare: adopt(() => ({ serviceAccountName: 'legacy-sa' })), names: 'c/Mesh/shop/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  'AdoptedWorkloadProps.container': { declare: adoptContainer, names: 'c/Mesh/shop/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  'AdoptedWorkloadProps.service': { declare: adopt(() => ({ service: false })), names: 'c/Mesh/shop/legacy', istio: 'R', linkerd: 'R', ambient: 'R' },
  // External hosts
  'ExternalHostProps.host': { declare: host({ host: 'api.paypal.com' }, {}), names: 'c/Mesh/Payments', istio: 'R', linkerd: 'R', ambient: 'R' },
  'ExternalHostProps.port': { declare: host({ port: 8443 }, {}), names: 'c/Mesh/Payments', istio: 'R', linkerd: 'R', ambient: 'R' },
  'ExternalHostProps.protocol': { declare: host({ protocol: Protocol.HTTP, port: 80 }, {}), names: 'c/Mesh/Payments', istio: 'R', linkerd: 'R', ambient: 'R' },
  // The public edge
  'PublicIngressProps.gateway': { declare: ingress(), names: 'c/Mesh/Public', istio: 'R', linkerd: ['R', /the JWT check of api\.example\.com .* is not rendered/], ambient: 'R' },
  'PublicIngressProps.backend': { declare: ingress(), names: 'c/Mesh/Public', istio: 'R', linkerd: ['R', /the JWT check of api\.example\.com .* is not rendered/], ambient: 'R' },
  'PublicIngressProps.host': { declare: ingress(), names: 'c/Mesh/Public', istio: 'R', linkerd: ['R', /the JWT check of api\.example\.com .* is not rendered/], ambient: 'R' },
  'PublicIngressProps.credentialName': { declare: ingress(), names: 'c/Mesh/Public', istio: 'R', linkerd: ['R', /the JWT check of api\.example\.com .* is not rendered/], ambient: 'R' },
  'PublicIngressProps.jwt': { declare: ingress(), names: 'c/Mesh/Public', istio: 'R', linkerd: ['R', /the JWT check of api\.example\.com .* is not rendered/], ambient: 'R' },
  'PublicIngressProps.openPaths': { declare: ingress({ openPaths: ['/healthz'] }), names: 'c/Mesh/Public', istio: 'R', linkerd: /the JWT check of api\.example\.com .*, with its open paths \/healthz, is not rendered/, ambient: 'R' },
  'PublicIngressProps.port': {
    declare: (s, on) => {
      const backend = new MeshService(s.shop, 'api', { image, ports: [{ port: 8080 }, { port: 9090 }], liveness: http });
      backend.allowFrom(s.gateway, { port: 8080 });
      backend.allowFrom(s.gateway, { port: 9090 });
      new PublicIngress(s.mesh, 'Public', { gateway: s.gateway, backend, host: 'api.example.com', credentialName: 'api-tls', jwt, port: on ? 9090 : 8080 });
    },
    names: 'c/Mesh/Public', istio: 'R', linkerd: 'R', ambient: 'R',
  },
  // Istio: the analyzer refuses a token rule on a port of a gateway declared without ports (SM1102), so not here.
  'PublicIngressProps.gatewayHttpsPort': { declare: ingress({ gatewayHttpsPort: 8443 }), names: 'c/Mesh/Public', istio: 'SM1102', linkerd: /the JWT check of api\.example\.com .*, with its gatewayHttpsPort 8443, is not rendered/, ambient: 'R' },
  'PublicIngressProps.anonymous': { declare: (s, on) => { if (on) ingress({ anonymous: true, jwt: undefined })(s, true); else ingress()(s, false); }, names: 'c/Mesh/Public', istio: 'R', linkerd: 'R', ambient: 'R' },
  'PublicIngressProps.name': { declare: ingress({ name: 'shop-api' }), names: 'c/Mesh/Public', istio: 'R', linkerd: 'R', ambient: 'R' },
  // Telemetry
  'MeshTelemetryProps.tracingProvider': { declare: telemetry({ tracingProvider: 'zipkin', samplingPercentage: 5 }, { samplingPercentage: 5 }), names: 'c/Mesh/Telemetry', istio: 'R', linkerd: /tracing to "zipkin" at 5% is not rendered/, ambient: 'R' },
  'MeshTelemetryProps.samplingPercentage': { declare: telemetry({ samplingPercentage: 5 }), names: 'c/Mesh/Telemetry', istio: 'R', linkerd: /tracing to "otel-tracing" at 5% is not rendered/, ambient: 'R' },
  'MeshTelemetryProps.accessLogs': { declare: telemetry({ accessLogs: false }), names: 'c/Mesh/Telemetry', istio: 'R', linkerd: 'R', ambient: 'R' },
  'MeshTelemetryProps.goldenSignals': { declare: telemetry({ goldenSignals: false }), names: 'c/Mesh/Telemetry', istio: 'R', linkerd: 'R', ambient: 'R' },
};

function render(target: Target, declare: (s: Shop) => void): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: RENDERERS[target](), warningSink: { warn: w => warnings.push(w) } });
  const shop = mesh.addNamespace('shop');
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }], liveness: http });
  const gateway = new ExistingWorkload(mesh.addNamespace('edge', { create: false }), 'ingress', { selector: { app: 'ingress' }, serviceAccountName: 'ingress' });
  declare({ mesh, chart, shop, web, gateway });
  const text = Testing.synth(chart).map(o => Yaml.stringify(o)).sort().join('---\n');
  return { text, warnings };
}

/** What a prop does under a renderer: whether the output changed, and the warnings it added. */
function observe(target: Target, feature: Feature): { rendered: boolean; added: string[] } {
  const off = render(target, s => feature.declare(s, false));
  const on = render(target, s => feature.declare(s, true));
  const added = [...on.warnings];
  for (const w of off.warnings) {
    const i = added.indexOf(w);
    if (i >= 0) added.splice(i, 1);
  }
  return { rendered: on.text !== off.text, added };
}

test('the table answers for every prop the declarations have, and only those', () => {
  expect(Object.keys(FEATURES).sort()).toEqual(declaredProps());
});

/** The answer a cell shows: R (output changed, nothing said), W (one warning, output unchanged), RW (both). */
function shown(answer: Exclude<Answer, 'SM1102'>): string {
  return answer === 'R' ? 'R' : Array.isArray(answer) ? 'RW' : 'W';
}

const cells = Object.entries(FEATURES).flatMap(([prop, feature]) => (['istio', 'linkerd', 'ambient'] as Target[]).map(t => [prop, t, feature] as const));
test.each(cells)('%s under %s: rendered or reported once, naming the construct', (prop, target, feature) => {
  const answer = feature[target];
  if (answer === 'SM1102') {
    expect(() => observe(target, feature)).toThrow(/SM1102/);
    return;
  }
  const { rendered, added } = observe(target, feature);
  const observed = `${rendered ? 'R' : ''}${added.length === 1 ? 'W' : added.length > 1 ? `W${added.length}` : ''}` || 'silently dropped';
  if (process.env.SOMA_FEATURE_TABLE) process.stdout.write(`TABLE ${prop} ${target} ${observed} ${JSON.stringify(added)}\n`);
  expect(observed).toBe(shown(answer));
  const reported = answer instanceof RegExp ? answer : Array.isArray(answer) ? answer[1] : undefined;
  if (reported) {
    expect(added[0]).toMatch(reported);
    const named = /^\[c\/Mesh\//.test(added[0]) ? added[0].startsWith(`[${feature.names.includes('/Mesh') ? '' : 'c/Mesh/'}${feature.names}`)
      : new RegExp(`[(, ]${feature.names}[,)]`).test(added[0]);
    expect({ warning: added[0], named }).toEqual({ warning: added[0], named: true });
  }
});
