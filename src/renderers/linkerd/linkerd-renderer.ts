import { MeshTlsAuthentication, NetworkAuthentication } from '../../../imports/linkerd-policy.linkerd.io';
import { describeValue, PropsCheck } from '../../model/props-check';
import { Call } from '../../model/call';
import type { ExternalCall, UnlistedEgress } from '../../model/external-host';
import { IMeshRenderer } from '../../model/mesh-renderer';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { Mesh } from '../../model/mesh';
import { MeshService, ServiceVersion } from '../../model/mesh-service';
import { MeshTelemetry } from '../../model/mesh-telemetry';
import { carriesHttp } from '../../model/protocol';
import type { PublicIngress } from '../../model/public-ingress';
import { fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';
import { GoldenSignalDashboards } from '../kubernetes/golden-signal-dashboards';
import { MeshNetworkPolicies, MeshNetworkPolicyOptions, networkPolicyDefaults } from '../kubernetes/network-policies';
import { LINKERD_GOLDEN_SIGNALS } from './golden-signal-queries';
import { PortServer, Authentication } from './port-server';
import { LINKERD_ADMIN_PORT, LINKERD_DATA_PLANE } from './proxy-protocol';
import { routeMatches } from '../gateway-api/route-match';
import { LinkerdTrafficRoutes, unexpressedRetryConditions } from './service-routes';

const TRAFFIC_ID = 'LinkerdTraffic';

/** Options of the Linkerd render. */
export interface LinkerdRendererProps extends MeshNetworkPolicyOptions {
  /**
   * Networks the kubelet's HTTP probes come from. Linkerd authorizes probes by itself only on a Server
   * without HTTPRoutes; on a port with routes, a probe route admits GET on the probe paths from these
   * networks (unauthenticated: the kubelet has no mesh identity). Narrow it to your nodes' CIDRs.
   * @default ['0.0.0.0/0', '::/0'] - as Linkerd's per-route policy guide does; only GET on the probe paths
   */
  readonly probeNetworks?: string[];
  /**
   * Receives each warning about something Linkerd renders differently from what was declared.
   * @default - printed to stderr
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * Renders the mesh for Linkerd: namespaces meshed (`linkerd.io/inject`) with default inbound policy `deny`;
 * a `Server` per workload port with its proxy protocol; a `MeshTLSAuthentication` per caller identity
 * (its ServiceAccount); and an `AuthorizationPolicy` per call, on the Server, or on the HTTPRoutes that
 * carry the call's methods and paths. Peers are guarded in their own namespaces, like the Istio render.
 */
export class LinkerdRenderer implements IMeshRenderer {
  public readonly dataPlane = LINKERD_DATA_PLANE;
  /** Every warning of this render, in order. */
  public readonly warnings: string[] = [];
  private readonly networkPolicies: MeshNetworkPolicies;
  private readonly warnedHosts = new Set<object>();
  private readonly probeNetworks: string[];
  private readonly onWarning: (message: string) => void;
  private readonly servers = new Map<IMeshWorkload, Map<number, PortServer>>();
  private readonly identities = new Map<string, Authentication>();
  private readonly traffic: MeshService[] = [];
  private reported = false;

  public constructor(props: LinkerdRendererProps = {}) {
    const at = new PropsCheck('LinkerdRenderer');
    const p = at.object<LinkerdRendererProps>('props', props, '{ probeNetworks: ["10.0.0.0/8"] }', true);
    at.array('probeNetworks', p.probeNetworks, '["10.0.0.0/8"]', (n, item) => at.string(item, n, '"10.0.0.0/8"'));
    if (p.onWarning !== undefined && typeof p.onWarning !== 'function') at.fail('onWarning', `${describeValue(p.onWarning)} is not a function`, 'pass a function, such as message => console.warn(message)');
    this.probeNetworks = props.probeNetworks ?? ['0.0.0.0/0', '::/0'];
    if (this.probeNetworks.length === 0) fail('LinkerdRenderer', 'probeNetworks is empty, so no kubelet probe could reach a port with routes: give the nodes\' CIDRs');
    this.onWarning = props.onWarning ?? (message => console.warn(`warning: ${message}`));
    const needs = {
      controlPlane: { namespace: 'linkerd', labels: { 'linkerd.io/control-plane-ns': 'linkerd' } },
      // 8080: identity (certificates); 8086: destination (discovery); 8090: policy.
      controlPlanePorts: [8080, 8086, 8090],
      scrapePorts: [LINKERD_ADMIN_PORT],
      // Linkerd does not merge the application's metrics into the proxy's: Prometheus scrapes the app's port itself.
      workloadScrapePorts: (workload: IMeshWorkload) => (workload instanceof MeshService && workload.metrics ? [workload.metrics.port] : []),
    };
    this.networkPolicies = new MeshNetworkPolicies(props, networkPolicyDefaults(needs, props.networkPolicySettings));
  }

  public namespaceLabels(): Record<string, string> {
    return {};
  }

  /** What Linkerd cannot express is read from the traffic model once it is complete (releases apply late). */
  public renderMesh(mesh: Mesh): void {
    mesh.node.addValidation({ validate: () => { this.reportUnexpressed(); return []; } });
  }

  public renderNamespace(namespace: MeshNamespace): void {
    this.networkPolicies.renderNamespace(namespace);
    // Linkerd reads injection and default policy from annotations. A namespace of another chart cannot be
    // annotated here: there each declared port is closed by its own Server (deny unless authorized).
    if (!namespace.resource) return;
    namespace.resource.metadata.addAnnotation('linkerd.io/inject', 'enabled');
    if (namespace.defaultDeny) namespace.resource.metadata.addAnnotation('config.linkerd.io/default-inbound-policy', 'deny');
    const telemetry = namespace.mesh.node.children.find((c): c is MeshTelemetry => c instanceof MeshTelemetry);
    if (telemetry) this.annotateAccessLogs(namespace, telemetry);
  }

  public renderWorkload(workload: IMeshWorkload): void {
    this.networkPolicies.renderWorkload(workload);
    if (workload instanceof MeshService) GoldenSignalDashboards.of(Mesh.of(workload))?.addService(workload);
    const servers = new Map<number, PortServer>();
    this.servers.set(workload, servers);
    const probePaths = workload instanceof MeshService ? httpProbePaths(workload) : new Map<number, string[]>();
    for (const port of workload.ports) {
      servers.set(port.port, new PortServer(workload, `LinkerdServer-${port.port}`, workload, port, {
        identityOf: caller => this.identityOf(workload.namespace, caller),
        kubelet: () => this.kubelet(workload.namespace),
        probePaths: probePaths.get(port.port) ?? [],
        warn: (path, message) => this.warn(`[${path}] ${message}`),
      }));
    }
  }

  public renderCall(call: Call): void {
    const server = this.servers.get(call.callee)?.get(call.port);
    if (!server) fail(call.callee.node.path, `no Linkerd Server for port ${call.port}: declare the workload before its calls`);
    if (call.methods.length === 0 && call.paths.length === 0) server.allowAll(call.caller);
    else server.allowMatches(call.caller, routeMatches(call.methods, call.paths), `${call.callee.node.path} <- ${call.caller.node.path}`);
    const traffic = call.callee.node.tryFindChild(TRAFFIC_ID);
    if (traffic instanceof LinkerdTrafficRoutes) traffic.addCall(call);
  }

  public renderTraffic(service: MeshService): void {
    if (service.ports.length === 0) return; // a worker: nothing routes to it
    this.traffic.push(service);
    new LinkerdTrafficRoutes(service, TRAFFIC_ID, service, message => this.warn(message)).addVersion();
  }

  public renderVersion(service: MeshService, _version: ServiceVersion): void {
    const traffic = service.node.tryFindChild(TRAFFIC_ID);
    if (traffic instanceof LinkerdTrafficRoutes) traffic.addVersion();
  }

  /** Not rendered yet: said once per service; its Deployments keep running, delivered by the release file. */
  public renderDelivery(service: MeshService): void {
    this.warn(`[${service.node.path}] Linkerd: delivery by ${service.delivery.description} is not rendered: the Linkerd render has no Rollout yet (the controller would step its HTTPRoute through the Gateway API traffic-router plugin, argoproj-labs/gatewayAPI, between a stable and a canary Service), so ${service.name} is delivered by the release file here: move its canary with npm run release, or use the Istio render`);
  }

  /**
   * Egress control is not rendered for Linkerd yet: the callers' NetworkPolicies open the host's port to addresses
   * outside the cluster, and the proxies do not restrict which host is reached there. Said once per host.
   */
  public renderExternalCall(call: ExternalCall): void {
    if (this.warnedHosts.has(call.host)) return;
    this.warnedHosts.add(call.host);
    this.warn(`[${call.host.node.path}] Linkerd: egress to ${call.host.host} is not restricted to its callers: the Linkerd render has no egress policy yet, so its callers' NetworkPolicies open port ${call.host.port} to every address outside the cluster; use the Istio render where egress must be limited to listed hosts`);
  }

  /** Nothing to render: without an egress policy every meshed workload may reach hosts outside the cluster. */
  public renderUnlistedEgress(_grant: UnlistedEgress): void {}

  /** Linkerd has no ingress gateway of its own: said once, naming the construct and what to use instead. */
  public renderIngress(ingress: PublicIngress): void {
    this.warn(`[${ingress.node.path}] Linkerd: the public host ${ingress.host} is not rendered (no Gateway, no token check): Linkerd has no ingress gateway; route ${ingress.host} to ${ingress.backend.name} with your meshed ingress controller, and validate tokens there`);
  }

  /** Golden-signal dashboards from the Linkerd proxy's metrics; access logs by annotation; tracing is the install's. */
  public renderTelemetry(telemetry: MeshTelemetry): void {
    GoldenSignalDashboards.render(telemetry, LINKERD_GOLDEN_SIGNALS);
    for (const namespace of Mesh.of(telemetry).namespaces) this.annotateAccessLogs(namespace, telemetry);
    if (telemetry.samplingPercentage > 0) {
      this.warn(`[${telemetry.node.path}] Linkerd: tracing to "${telemetry.tracingProvider}" at ${telemetry.samplingPercentage}% is not rendered: Linkerd's proxies trace when the install enables it (linkerd-jaeger) and follow the caller's sampling decision; set the collector and the sampling rate there`);
    }
  }

  private annotateAccessLogs(namespace: MeshNamespace, telemetry: MeshTelemetry): void {
    // Linkerd writes an access log per request when the proxy is injected with this annotation.
    if (telemetry.accessLogs && namespace.resource) namespace.resource.metadata.addAnnotation('config.linkerd.io/access-log', 'json');
  }

  /** Warns, naming the feature and the services, about every part of the declared traffic model Linkerd cannot express. */
  private reportUnexpressed(): void {
    if (this.reported) return; // validation may run more than once per synth
    this.reported = true;
    const named = (what: (s: MeshService) => boolean) => this.traffic.filter(what).map(s => `${s.namespace.name}/${s.name}`);
    const report = (services: string[], message: string) => {
      if (services.length > 0) this.warn(`Linkerd: ${message} (${services.join(', ')})`);
    };
    const callFault = (s: MeshService) => Mesh.of(s).callGraph.callsTo(s).some(c => c.fault !== undefined);
    report(named(s => !!s.traffic.resilience.fault || callFault(s)), 'fault injection (of the service or of a call to it) is not rendered: Linkerd has no fault injection filter; run the drill on the Istio render, or route a share of requests to a failing backend');
    report(named(s => !!s.traffic.routing.mirror), 'traffic mirroring is not rendered: Linkerd\'s HTTPRoute has no RequestMirror filter');
    report(named(s => (s.traffic.routing.match ?? []).some(m => (m.callers ?? []).length > 0)), 'A/B routing by caller is not rendered: Linkerd routes match requests (headers, paths), not callers; route by a header instead');
    report(named(s => s.versions.length > 1 && s.ports.some(p => !carriesHttp(p.protocol)) && s.traffic.split.length > 1), 'the version split of TCP ports is not rendered: Gateway API HTTPRoute carries HTTP only');
    // Only what was declared: a default nobody chose is not news to anyone.
    const declared = (s: MeshService) => s.traffic.declaredResilience;
    const declaredRetryConditions = (s: MeshService) => {
      const on = declared(s).retries?.on;
      return on !== undefined && unexpressedRetryConditions({ ...s.traffic.resilience.retries, on }).length > 0;
    };
    report(named(declaredRetryConditions), 'retries on connect-failure, reset or refused-stream are not rendered: Linkerd retries by response status (retry.linkerd.io/http); 503 and gateway errors are');
    report(named(s => declared(s).connectionPool !== undefined), 'connection-pool limits (maxConnections, maxPendingRequests, maxRequests, maxRequestsPerConnection) are not rendered: Linkerd has no client-side connection limits; its circuit breaking is failure accrual');
    report(named(s => declared(s).outlierDetection?.interval !== undefined || declared(s).outlierDetection?.maxEjectionPercent !== undefined), 'outlier detection interval and maxEjectionPercent are not rendered: Linkerd\'s failure accrual probes each endpoint on its own, with no share cap');
    report(named(s => declared(s).loadBalancing !== undefined), 'the load-balancing algorithm is not rendered: Linkerd always balances by latency (EWMA)');
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.onWarning(message);
  }

  /** The caller's MeshTLSAuthentication in `namespace`: its ServiceAccount, by reference (no trust domain to get wrong). */
  private identityOf(namespace: MeshNamespace, caller: IMeshWorkload): Authentication {
    const name = `${caller.name}.${caller.namespace.name}`;
    const key = `${namespace.name}/${name}`;
    const known = this.identities.get(key);
    if (known) return known;
    new MeshTlsAuthentication(namespace, `MeshTls-${name}`, {
      metadata: { name, namespace: namespace.name },
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: caller.serviceAccountName, namespace: caller.namespace.name }] },
    });
    const identity: Authentication = { kind: 'MeshTLSAuthentication', name };
    this.identities.set(key, identity);
    return identity;
  }

  private kubelet(namespace: MeshNamespace): Authentication {
    const key = `${namespace.name}/kubelet`;
    const known = this.identities.get(key);
    if (known) return known;
    new NetworkAuthentication(namespace, 'KubeletNetworks', {
      metadata: { name: 'kubelet', namespace: namespace.name },
      spec: { networks: this.probeNetworks.map(cidr => ({ cidr })) },
    });
    const kubelet: Authentication = { kind: 'NetworkAuthentication', name: 'kubelet' };
    this.identities.set(key, kubelet);
    return kubelet;
  }
}

/** The GET paths of a service's HTTP liveness and readiness probes, by port, read from its Deployments. */
function httpProbePaths(service: MeshService): Map<number, string[]> {
  const byPort = new Map<number, string[]>();
  for (const version of service.versions) {
    const containers: any[] = version.deployment.toJson().spec?.template?.spec?.containers ?? [];
    for (const container of containers) {
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        const get = probe?.httpGet;
        if (!get || typeof get.port !== 'number') continue;
        const paths = byPort.get(get.port) ?? [];
        if (!paths.includes(get.path)) paths.push(get.path);
        byPort.set(get.port, paths);
      }
    }
  }
  return byPort;
}
