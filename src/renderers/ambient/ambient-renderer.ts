import {
  AuthorizationPolicy,
} from '../../../imports/istio-security.istio.io';
import { describeValue, PropsCheck } from '../../model/props-check';
import type { Call } from '../../model/call';
import type { ExternalCall, ExternalHost, UnlistedEgress } from '../../model/external-host';
import { IDataPlaneReservations, IMeshRenderer } from '../../model/mesh-renderer';
import { Mesh } from '../../model/mesh';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { MeshService, ServiceVersion } from '../../model/mesh-service';
import type { MeshTelemetry } from '../../model/mesh-telemetry';
import { carriesHttp } from '../../model/protocol';
import { RetryCondition } from '../../model/resilience';
import type { PublicIngress } from '../../model/public-ingress';
import { checkDnsLabel, fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';
import { GoldenSignalDashboards } from '../kubernetes/golden-signal-dashboards';
import { MeshNetworkPolicies, MeshNetworkPolicyOptions, networkPolicyDefaults } from '../kubernetes/network-policies';
import { ExternalServiceEntry } from '../istio/external-service-entry';
import { IstioTelemetry } from '../istio/istio-telemetry';
import { ISTIO_SYSTEM } from '../istio/workload-sidecar';
import { EgressWaypointPolicy, WaypointPolicy, ZtunnelPolicy } from './ambient-policies';
import { AmbientTrafficRoutes } from './ambient-routes';
import { GatewayApiIngress } from './gateway-api-ingress';
import { ambientGoldenSignals } from './golden-signal-queries';
import { HBONE_PORT, INGRESS_USE_WAYPOINT, USE_WAYPOINT, Waypoint } from './waypoint';
import { IstioStrictMtls } from '../istio/strict-mtls';

/**
 * What ambient mode takes inside each meshed pod: with in-pod redirection, ztunnel listens in the pod's network
 * namespace on 15001 (outbound), 15006 (inbound plain text), 15008 (HBONE) and 15053 (DNS). No proxy runs as a user
 * of the pod, so no user id is reserved.
 */
export const AMBIENT_DATA_PLANE: IDataPlaneReservations = {
  meshName: 'Istio ambient',
  isReservedPort: port => port === 15001 || port === 15006 || port === HBONE_PORT || port === 15053,
  reservedPortsText: '15001, 15006, 15008, 15053',
  reservedUserIds: [],
};

/** Options of the Istio ambient render. */
export interface IstioAmbientRendererProps extends MeshNetworkPolicyOptions {
  /**
   * Istio's root namespace (`meshConfig.rootNamespace`): where the mesh-wide Telemetry lives.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
  /**
   * The name of each namespace's waypoint (a Gateway of class `istio-waypoint`, and its ServiceAccount).
   * @default 'waypoint'
   */
  readonly waypointName?: string;
  /**
   * Services (`name` or `namespace/name`) that get a waypoint of their own (`<name>-waypoint`) rather than sharing
   * their namespace's: for a service whose traffic would crowd the others', or whose waypoint should scale on its own.
   * @default - none: one waypoint per namespace
   */
  readonly serviceWaypoints?: string[];
  /**
   * The Gateway API channel the cluster's CRDs come from. `experimental` writes each HTTPRoute rule's `retry`
   * (GEP-1731): idempotent requests with the declared retries, every other request with `attempts: 0`, so that no POST
   * is replayed whatever the mesh config says. The standard channel (v1.6.1) has no `retry`: a waypoint then applies
   * `meshConfig.defaultHttpRetryPolicy` to every rule, and synth says so.
   * @default 'standard'
   */
  readonly gatewayApiChannel?: 'standard' | 'experimental';
  /**
   * Receives each warning about something ambient renders differently from what was declared.
   * @default - printed to stderr
   * TypeScript only.
   * @jsii ignore
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * Renders the mesh for Istio's ambient mode: namespaces labelled `istio.io/dataplane-mode: ambient` (no sidecars, no
 * Sidecar objects); STRICT PeerAuthentication; authorization in the two places ambient enforces it — ztunnel (L4,
 * `selector` policies: principals and ports) and waypoints (L7, policies attached to the Service with `targetRefs`:
 * methods and paths). A workload gets a waypoint when it needs L7: a call restricted by method or path, two versions,
 * a declared timeout, retries or fault, or a call with its own; every other workload is reached at L4 only.
 */
export class IstioAmbientRenderer implements IMeshRenderer {
  public readonly dataPlane = AMBIENT_DATA_PLANE;
  /** Every warning of this render, in order. */
  public readonly warnings: string[] = [];
  private readonly networkPolicies: MeshNetworkPolicies;
  private readonly networkPoliciesEnabled: boolean;
  private readonly rootNamespace: string;
  private readonly strictMtls: IstioStrictMtls;
  private readonly waypointName: string;
  private readonly serviceWaypoints: Set<string>;
  private readonly routeRetries: boolean;
  private readonly onWarning: (message: string) => void;
  private readonly waypoints = new Map<IMeshWorkload, Waypoint>();
  /** The egress waypoint of each `namespace host`. */
  private readonly egressWaypoints = new Map<string, Waypoint>();
  private readonly traffic = new Map<MeshService, AmbientTrafficRoutes>();
  private readonly services: MeshService[] = [];
  private readonly warned = new Set<string>();
  private reported = false;

  public constructor(props: IstioAmbientRendererProps = {}) {
    const at = new PropsCheck('IstioAmbientRenderer');
    const p = at.object<IstioAmbientRendererProps>('props', props, '{ waypointName: "waypoint" }', true);
    at.string('rootNamespace', p.rootNamespace, '"istio-system"', true);
    at.string('waypointName', p.waypointName, '"waypoint"', true);
    at.array('serviceWaypoints', p.serviceWaypoints, '["slm-service"]', (w, item) => at.string(item, w, '"slm-service"'));
    if (p.gatewayApiChannel !== undefined && p.gatewayApiChannel !== 'standard' && p.gatewayApiChannel !== 'experimental') {
      at.fail('gatewayApiChannel', `${describeValue(p.gatewayApiChannel)} is not a Gateway API channel`, 'write "standard" or "experimental"');
    }
    if (p.onWarning !== undefined && typeof p.onWarning !== 'function') at.fail('onWarning', `${describeValue(p.onWarning)} is not a function`, 'pass a function, such as message => console.warn(message)');
    at.boolean('networkPolicies', p.networkPolicies);
    this.rootNamespace = props.rootNamespace ?? ISTIO_SYSTEM;
    this.strictMtls = new IstioStrictMtls(this.rootNamespace);
    this.waypointName = props.waypointName ?? 'waypoint';
    const nameError = checkDnsLabel('waypoint name', this.waypointName);
    if (nameError) fail('IstioAmbientRenderer', nameError);
    this.serviceWaypoints = new Set(props.serviceWaypoints ?? []);
    this.routeRetries = props.gatewayApiChannel === 'experimental';
    this.onWarning = props.onWarning ?? (message => console.warn(`warning: ${message}`));
    this.networkPoliciesEnabled = props.networkPolicies ?? true;
    const needs = {
      controlPlane: { namespace: this.rootNamespace, labels: { app: 'istiod' } },
      // 15012: configuration and certificates (XDS and CA), for the waypoints; ztunnel runs outside the pods.
      controlPlanePorts: [15012],
      // Waypoints serve their metrics on 15020; ztunnel's are its own pod's, outside these namespaces.
      scrapePorts: [15020],
      // No metrics merge in ambient: Prometheus scrapes the app's own port.
      workloadScrapePorts: (workload: IMeshWorkload) => (workload instanceof MeshService && workload.metrics ? [workload.metrics.port] : []),
      // The kubelet's probes reach ambient pods from this link-local address (istio-cni SNATs them), in plain text.
      probeSources: ['169.254.7.127/32'],
      tunnel: {
        port: HBONE_PORT,
        proxyOf: (callee: IMeshWorkload) => this.waypoints.get(callee)?.pods,
        egressProxyOf: (caller: IMeshWorkload, host: ExternalHost) => this.egressWaypoints.get(`${caller.namespace.name} ${host.host}`)?.pods,
      },
    };
    this.networkPolicies = new MeshNetworkPolicies(props, networkPolicyDefaults(needs, props.networkPolicySettings));
  }

  public namespaceLabels(): Record<string, string> {
    return { 'istio.io/dataplane-mode': 'ambient' };
  }

  /** What ambient cannot express is read from the traffic model once it is complete (releases apply late). */
  public renderMesh(mesh: Mesh): void {
    mesh.node.addValidation({ validate: () => { this.reportUnexpressed(); return []; } });
  }

  /**
   * STRICT mTLS and an allow-nothing default. ztunnel always speaks mTLS (HBONE) between meshed pods; STRICT adds that
   * plain text from outside the mesh (an unmeshed pod, a node) is refused.
   */
  public renderNamespace(namespace: MeshNamespace): void {
    this.strictMtls.renderNamespace(namespace);
    if (namespace.defaultDeny) {
      // Enforced by ztunnel for every pod of the namespace: an ALLOW policy with no rules matches nothing.
      new AuthorizationPolicy(namespace, 'AllowNothing', { metadata: { name: 'allow-nothing', namespace: namespace.name }, spec: {} });
    }
    this.networkPolicies.renderNamespace(namespace);
  }

  public renderMeshWideStrictMtls(mesh: Mesh): void {
    this.strictMtls.renderMeshWide(mesh);
  }

  public renderWorkload(workload: IMeshWorkload): void {
    this.networkPolicies.renderWorkload(workload);
    if (workload instanceof MeshService) {
      this.services.push(workload);
      GoldenSignalDashboards.of(Mesh.of(workload))?.addService(workload);
    }
    this.strictMtls.renderWorkload(workload);
    if (workload.ports.length === 0) return; // nothing to guard: it only calls others
    new ZtunnelPolicy(workload, 'ZtunnelPolicy', workload, () => this.waypoints.get(workload));
  }

  public renderCall(call: Call): void {
    if (call.methods.length > 0 || call.paths.length > 0) this.useWaypoint(call.callee);
    else if (carriesHttp(call.protocol) && (call.timeout !== undefined || call.retries !== undefined || call.fault !== undefined)) {
      this.useWaypoint(call.callee);
    }
  }

  /** A second version needs routing between versions, which only a waypoint does. */
  public renderVersion(service: MeshService, _version: ServiceVersion): void {
    if (service.versions.length >= 2 && service.ports.some(p => carriesHttp(p.protocol))) this.useWaypoint(service);
    this.traffic.get(service)?.addVersion();
  }

  /** Declared resilience needs a waypoint: ztunnel has no timeouts, retries or circuit breaking. */
  public renderTraffic(service: MeshService): void {
    const declared = service.traffic.declaredResilience;
    if (service.ports.some(p => carriesHttp(p.protocol)) && Object.values(declared).some(v => v !== undefined)) {
      this.useWaypoint(service);
    }
  }

  /** Controller delivery is rendered for the sidecar render only: said once per service, which then follows the release file. */
  public renderDelivery(service: MeshService): void {
    this.warn(`[${service.node.path}] Istio ambient: delivery by ${service.delivery.description} is not rendered: the ambient render has no Rollout yet (the controller would step its HTTPRoute through the Gateway API traffic-router plugin, argoproj-labs/gatewayAPI), so ${service.name} is delivered by the release file here: move its canary with npm run release, or use the Istio sidecar render`);
  }

  /**
   * The ServiceEntry of an external host in its callers' namespace, sent through the namespace's waypoint (an egress
   * waypoint), where a policy attached to the ServiceEntry admits that namespace's callers of the host and nobody else.
   * A wildcard host cannot go through a waypoint (it has no address to route by): it is reported once.
   */
  public renderExternalCall(call: ExternalCall): void {
    const namespace = call.caller.namespace;
    const id = `ServiceEntry-${namespace.name}`;
    if (call.host.node.tryFindChild(id)) return;
    const entry = new ExternalServiceEntry(call.host, id, { host: call.host, namespace });
    if (call.host.isWildcard) {
      this.warnOnce(`egress:${call.host.host}`, `[${call.host.node.path}] Istio ambient: egress to ${call.host.host} is not restricted to its callers: a wildcard host cannot go through an egress waypoint, and ambient has no per-workload outbound registry (the sidecar render's REGISTRY_ONLY Sidecar); the NetworkPolicies still open port ${call.host.port} outside the cluster to its callers only. List its hosts one by one where it must be limited`);
      return;
    }
    const waypoint = this.waypointIn(namespace, this.waypointName);
    entry.resource.metadata.addLabel(USE_WAYPOINT, waypoint.name);
    waypoint.bindExternal(call.host);
    this.egressWaypoints.set(`${namespace.name} ${call.host.host}`, waypoint);
    new EgressWaypointPolicy(call.host, `EgressPolicy-${namespace.name}`, call.host, namespace, String(entry.resource.metadata.name));
  }

  /** Nothing to render: ambient has no outbound registry to open; the NetworkPolicies open the ports. */
  public renderUnlistedEgress(_grant: UnlistedEgress): void {}

  /**
   * The public entry as Gateway API objects on Istio's ingress gateway (a Gateway of class `istio` bound to the existing
   * gateway), with the token check attached to the Gateway; the gateway sends to the backend's waypoint
   * (`istio.io/ingress-use-waypoint`).
   */
  public renderIngress(ingress: PublicIngress): void {
    new GatewayApiIngress(ingress, 'IstioAmbient', { retries: this.routeRetries });
  }

  /** The mesh-wide Telemetry (waypoints read it), and dashboards from the waypoints' and ztunnel's metrics. */
  public renderTelemetry(telemetry: MeshTelemetry): void {
    new IstioTelemetry(telemetry, 'Istio', this.rootNamespace);
    GoldenSignalDashboards.render(telemetry, ambientGoldenSignals(service => this.waypoints.has(service)));
  }

  /** The waypoint a workload's Service sends its traffic through, when it has one. */
  public waypointOf(workload: IMeshWorkload): Waypoint | undefined {
    return this.waypoints.get(workload);
  }

  /** Sends the workload's Service through a waypoint (its namespace's, or its own) and attaches its L7 policy there. */
  private useWaypoint(workload: IMeshWorkload): void {
    if (this.waypoints.has(workload) || workload.ports.length === 0) return;
    const namespace = workload.namespace;
    const own = this.serviceWaypoints.has(workload.name) || this.serviceWaypoints.has(`${namespace.name}/${workload.name}`);
    const name = own ? `${workload.name}-waypoint` : this.waypointName;
    const waypoint = this.waypointIn(namespace, name);
    waypoint.bind(workload);
    this.waypoints.set(workload, waypoint);
    new WaypointPolicy(workload, 'WaypointPolicy', workload);
    if (workload instanceof MeshService && workload.service) {
      workload.service.metadata.addLabel(USE_WAYPOINT, name);
      // Ingress gateways skip waypoints unless told: with this, every request reaches the pods from the waypoint.
      workload.service.metadata.addLabel(INGRESS_USE_WAYPOINT, 'true');
      const traffic = new AmbientTrafficRoutes(workload, 'AmbientTraffic', workload, { retries: this.routeRetries });
      this.traffic.set(workload, traffic);
    } else {
      this.warn(`[${workload.node.path}] Istio ambient: label the Service ${workload.name} in ${namespace.name} with ${USE_WAYPOINT}: ${name} and ${INGRESS_USE_WAYPOINT}: "true" in the chart that deploys it: its calls are restricted by method or path, which only the waypoint enforces; until then its ztunnel admits only the waypoint, so these calls are refused`);
    }
  }

  /** The waypoint of that name in the namespace, created with the first workload or host that needs it. */
  private waypointIn(namespace: MeshNamespace, name: string): Waypoint {
    const id = `Waypoint-${name}`;
    const found = namespace.node.tryFindChild(id);
    return found instanceof Waypoint ? found : new Waypoint(namespace, id, namespace, name, this.networkPoliciesEnabled ? { clusterCidrs: this.networkPolicies.settings.clusterCidrs } : undefined);
  }

  /** Warns, naming the feature and the services, about every part of the declared traffic model ambient cannot express. */
  private reportUnexpressed(): void {
    if (this.reported) return; // validation may run more than once per synth
    this.reported = true;
    const routed = this.services.filter(s => this.traffic.has(s));
    const named = (what: (s: MeshService) => boolean) => routed.filter(what).map(s => `${s.namespace.name}/${s.name}`);
    const report = (services: string[], message: string) => {
      if (services.length > 0) this.warn(`Istio ambient: ${message} (${services.join(', ')})`);
    };
    const calls = (s: MeshService) => Mesh.of(s).callGraph.callsTo(s);
    report(named(s => !!s.traffic.resilience.fault || calls(s).some(c => c.fault !== undefined)), 'fault injection is not rendered: Gateway API HTTPRoute has no fault filter, and VirtualService on waypoints is alpha; run the drill on the sidecar render');
    if (this.routeRetries) {
      const declaredOn = (s: MeshService) => [s.traffic.declaredResilience.retries?.on, ...calls(s).map(c => c.retries?.on)].some(on => on?.includes(RetryCondition.RESET));
      report(named(declaredOn), 'retries on reset are not rendered: HTTPRoute retries by status; Istio adds connect-failure, refused-stream, unavailable and cancelled to every `retry`');
    } else {
      report(named(s => s.traffic.declaredResilience.retries !== undefined || calls(s).some(c => c.retries !== undefined)), 'the declared retries are not rendered: HTTPRoute `retry` is in Gateway API\'s experimental channel only (v1.6.1 standard has none); set gatewayApiChannel: "experimental" where its CRDs are installed');
      report(named(s => calls(s).some(c => carriesHttp(c.protocol) && !this.isIdempotent(c))), 'requests that are not idempotent (POST, PATCH) are safe from replay only if the install sets meshConfig.defaultHttpRetryPolicy to {attempts: 0}: a waypoint applies Istio\'s default retries (2, on connect failure, refused stream and 503) to every HTTPRoute without `retry`');
    }
    report(named(s => (s.traffic.routing.match ?? []).some(m => (m.callers ?? []).length > 0)), 'A/B routing by caller is not rendered: HTTPRoute matches requests (headers, paths), not callers; route by a header instead');
    report(named(s => calls(s).some(c => c.timeout !== undefined && c.methods.length === 0 && c.paths.length === 0)), 'the own timeout of a call that names no methods or paths is not rendered: HTTPRoute matches requests, not callers; the service\'s timeout applies to it');
    report(this.services.filter(s => s.versions.length > 1 && s.ports.some(p => !carriesHttp(p.protocol)) && s.traffic.split.length > 1).map(s => `${s.namespace.name}/${s.name}`), 'the version split of TCP ports is not rendered: HTTPRoute carries HTTP only');
  }

  private isIdempotent(call: Call): boolean {
    return Mesh.of(call.callee).callGraph.isIdempotent(call);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.onWarning(message);
  }
}
