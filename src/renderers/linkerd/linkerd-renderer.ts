import { MeshTlsAuthentication, NetworkAuthentication } from '../../../imports/linkerd-policy.linkerd.io';
import { describeValue, PropsCheck } from '../../model/props-check';
import { Call } from '../../model/call';
import { IMeshRenderer } from '../../model/mesh-renderer';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { Mesh } from '../../model/mesh';
import { MeshService, ServiceVersion } from '../../model/mesh-service';
import { carriesHttp } from '../../model/protocol';
import { fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';
import { PortServer, Authentication } from './port-server';
import { LINKERD_PROXY_PORTS } from './proxy-protocol';
import { routeMatches } from './route-match';
import { LinkerdTrafficRoutes, unexpressedRetryConditions } from './service-routes';

const TRAFFIC_ID = 'LinkerdTraffic';

/** Options of the Linkerd render. */
export interface LinkerdRendererProps {
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
  /** Every warning of this render, in order. */
  public readonly warnings: string[] = [];
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
  }

  public namespaceLabels(): Record<string, string> {
    return {};
  }

  public renderNamespace(namespace: MeshNamespace): void {
    // Linkerd reads injection and default policy from annotations. A namespace of another chart cannot be
    // annotated here: there each declared port is closed by its own Server (deny unless authorized).
    if (!namespace.resource) return;
    namespace.resource.metadata.addAnnotation('linkerd.io/inject', 'enabled');
    if (namespace.defaultDeny) namespace.resource.metadata.addAnnotation('config.linkerd.io/default-inbound-policy', 'deny');
  }

  public renderWorkload(workload: IMeshWorkload): void {
    const servers = new Map<number, PortServer>();
    this.servers.set(workload, servers);
    const probePaths = workload instanceof MeshService ? httpProbePaths(workload) : new Map<number, string[]>();
    for (const port of workload.ports) {
      if (LINKERD_PROXY_PORTS.has(port.port)) {
        fail(workload.node.path, `port ${port.port} is one the Linkerd proxy listens on (4140, 4143, 4191): serve the application on another port`);
      }
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
    if (this.traffic.length === 0) {
      // What Linkerd cannot express is read from the traffic model once it is complete (releases apply late).
      Mesh.of(service).node.addValidation({ validate: () => { this.reportUnexpressed(); return []; } });
    }
    this.traffic.push(service);
    new LinkerdTrafficRoutes(service, TRAFFIC_ID, service, message => this.warn(message)).addVersion();
  }

  public renderVersion(service: MeshService, _version: ServiceVersion): void {
    const traffic = service.node.tryFindChild(TRAFFIC_ID);
    if (traffic instanceof LinkerdTrafficRoutes) traffic.addVersion();
  }

  /** Warns, naming the feature and the services, about every part of the traffic model Linkerd cannot express. */
  private reportUnexpressed(): void {
    if (this.reported) return; // validation may run more than once per synth
    this.reported = true;
    const named = (what: (s: MeshService) => boolean) => this.traffic.filter(what).map(s => s.name);
    const report = (services: string[], message: string) => {
      if (services.length > 0) this.warn(`Linkerd: ${message} (${services.join(', ')})`);
    };
    const callFault = (s: MeshService) => Mesh.of(s).callGraph.callsTo(s).some(c => c.fault !== undefined);
    report(named(s => !!s.traffic.resilience.fault || callFault(s)), 'fault injection (of the service or of a call to it) is not rendered: Linkerd has no fault injection filter; run the drill on the Istio render, or route a share of requests to a failing backend');
    report(named(s => !!s.traffic.routing.mirror), 'traffic mirroring is not rendered: Linkerd\'s HTTPRoute has no RequestMirror filter');
    report(named(s => (s.traffic.routing.match ?? []).some(m => (m.callers ?? []).length > 0)), 'A/B routing by caller is not rendered: Linkerd routes match requests (headers, paths), not callers; route by a header instead');
    report(named(s => s.versions.length > 1 && s.ports.some(p => !carriesHttp(p.protocol)) && s.traffic.split.length > 1), 'the version split of TCP ports is not rendered: Gateway API HTTPRoute carries HTTP only');
    report(named(s => unexpressedRetryConditions(s.traffic.resilience.retries).length > 0), 'retries on connect-failure, reset or refused-stream are not rendered: Linkerd retries by response status (retry.linkerd.io/http); 503 and gateway errors are');
    report(named(() => true), 'connection-pool limits (maxConnections, maxPendingRequests, maxRequests, maxRequestsPerConnection) are not rendered: Linkerd has no client-side connection limits; its circuit breaking is failure accrual');
    report(named(() => true), 'outlier detection interval and maxEjectionPercent are not rendered: Linkerd\'s failure accrual probes each endpoint on its own, with no share cap');
    report(named(s => s.traffic.resilience.loadBalancing !== undefined), 'the load-balancing algorithm is not rendered: Linkerd always balances by latency (EWMA)');
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
