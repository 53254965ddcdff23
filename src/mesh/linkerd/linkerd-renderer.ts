import { MeshTlsAuthentication, NetworkAuthentication } from '../../../imports/linkerd-policy.linkerd.io';
import { Call } from '../call';
import { IMeshRenderer } from '../mesh-renderer';
import type { MeshNamespace } from '../mesh-namespace';
import { MeshService } from '../mesh-service';
import { fail } from '../names';
import type { IMeshWorkload } from '../workload';
import { PortServer, Authentication } from './port-server';
import { LINKERD_PROXY_PORTS } from './proxy-protocol';
import { routeMatches } from './route-match';

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

  public constructor(props: LinkerdRendererProps = {}) {
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
