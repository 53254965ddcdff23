import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { Mesh } from '../../model/mesh';
import type { ExternalHost } from '../../model/external-host';
import type { MeshNamespace } from '../../model/mesh-namespace';
import type { IMeshWorkload } from '../../model/workload';

/** Pods selected in a namespace, for the mesh's own needs. */
export interface PodsInNamespace {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

/** What the NetworkPolicies admit besides the call graph: the mesh's and the cluster's own traffic. */
export interface NetworkPolicySettings {
  /**
   * Prometheus, which scrapes every pod on the mesh's metrics ports (Istio's merged port 15020; Linkerd's proxy
   * admin port 4191 and the services' own metrics ports).
   * @default - pods labelled `app.kubernetes.io/name: prometheus` in `observability`
   */
  readonly prometheus?: PodsInNamespace;
  /**
   * The cluster DNS, reached on port 53 over UDP and TCP.
   * @default - pods labelled `k8s-app: kube-dns` in `kube-system`
   */
  readonly dns?: PodsInNamespace;
  /**
   * The mesh's control plane, which every proxy reaches for its configuration and certificates.
   * @default - the renderer's: istiod (`app: istiod` in `istio-system`) for Istio; Linkerd's control plane
   * (`linkerd.io/control-plane-ns: linkerd` in `linkerd`)
   */
  readonly controlPlane?: PodsInNamespace;
  /**
   * Address ranges that are never "outside" (pods, Services, nodes): egress to external hosts excludes
   * them, so that it cannot reach a workload of the cluster.
   * @default - the private IPv4 ranges 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16
   */
  readonly clusterCidrs?: string[];
}

/** What a mesh's proxies need from the network besides the call graph, supplied by its renderer. */
export interface MeshNetworkNeeds {
  /** The control plane's pods, by default. */
  readonly controlPlane: PodsInNamespace;
  /** The control plane's ports every proxy connects to. */
  readonly controlPlanePorts: readonly number[];
  /** The ports Prometheus scrapes on every meshed pod (the proxy's, or the merged ones). */
  readonly scrapePorts: readonly number[];
  /** Ports Prometheus scrapes on one workload besides those (its own metrics port, where the mesh does not merge). */
  workloadScrapePorts(workload: IMeshWorkload): readonly number[];
  /**
   * Set when the mesh tunnels every connection between meshed pods to one port of the receiving pod (Istio ambient:
   * HBONE on 15008), so that a NetworkPolicy never sees the called port; a call's connection may go through a proxy
   * of the callee (a waypoint). Call edges then open the tunnel port: caller to proxy and proxy to callee, or
   * caller to callee.
   * @default - none: connections arrive on the called port, from the caller
   */
  readonly tunnel?: MeshTunnel;
  /**
   * Addresses the kubelet's probes arrive from when the mesh rewrites their source (Istio ambient SNATs them to
   * 169.254.7.127): opened on every port of every pod of a namespace created here.
   * @default - none: probes come from the node, which CNIs let through
   */
  readonly probeSources?: readonly string[];
}

/** How a mesh carries connections between meshed pods (see MeshNetworkNeeds.tunnel). */
export interface MeshTunnel {
  /** The port every tunnelled connection arrives on. */
  readonly port: number;
  /** The pods a call to `callee` really connects to, when not the callee's own (its waypoint). */
  proxyOf(callee: IMeshWorkload): PodsInNamespace | undefined;
  /** The pods a call from `caller` to an external host leaves through (an egress waypoint), when it does not leave directly. */
  egressProxyOf(caller: IMeshWorkload, host: ExternalHost): PodsInNamespace | undefined;
}

/** The settings with their defaults, the mesh's needs, and the egress gateway when calls to plain external hosts go through it. */
export interface ResolvedNetworkPolicySettings extends Required<NetworkPolicySettings> {
  readonly mesh: MeshNetworkNeeds;
  readonly egressGateway?: PodsInNamespace & { readonly port: number };
}

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** The settings with every default applied. */
export function networkPolicyDefaults(mesh: MeshNetworkNeeds, settings: NetworkPolicySettings = {}, egressGateway?: { namespace: string; selector: Record<string, string>; containerPort: number }): ResolvedNetworkPolicySettings {
  return {
    mesh,
    egressGateway: egressGateway && { namespace: egressGateway.namespace, labels: egressGateway.selector, port: egressGateway.containerPort },
    prometheus: settings.prometheus ?? { namespace: 'observability', labels: { 'app.kubernetes.io/name': 'prometheus' } },
    dns: settings.dns ?? { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    controlPlane: settings.controlPlane ?? mesh.controlPlane,
    clusterCidrs: settings.clusterCidrs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  };
}

/** Options of the NetworkPolicies a mesh renderer adds from the call graph. */
export interface MeshNetworkPolicyOptions {
  /**
   * Render Kubernetes NetworkPolicies from the call graph as a second, L3/L4 fence: default-deny in every
   * namespace created here, then each call's port between the caller's and the callee's pods.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /**
   * Give peers of other charts an ingress NetworkPolicy that admits exactly their declared callers
   * (the same set their authorization policy admits). Their egress is left to their own chart.
   * @default true
   */
  readonly peerNetworkPolicies?: boolean;
  /**
   * Where Prometheus, DNS and the control plane run, and which addresses belong to the cluster.
   * @default - see NetworkPolicySettings
   */
  readonly networkPolicySettings?: NetworkPolicySettings;
}

/**
 * The plain-Kubernetes fence every mesh renderer adds, the same for every mesh but for the mesh's own ports:
 * the namespace's default-deny and infrastructure policies, and each workload's policy from the call graph.
 */
export class MeshNetworkPolicies {
  private readonly enabled: boolean;
  private readonly peers: boolean;

  public constructor(options: MeshNetworkPolicyOptions, public readonly settings: ResolvedNetworkPolicySettings) {
    this.enabled = options.networkPolicies ?? true;
    this.peers = options.peerNetworkPolicies ?? true;
  }

  public renderNamespace(namespace: MeshNamespace): void {
    if (this.enabled && namespace.created) new NamespaceNetworkPolicies(namespace, 'NetworkPolicies', namespace, this.settings);
  }

  public renderWorkload(workload: IMeshWorkload): void {
    if (!this.enabled) return;
    // In a namespace created here, default-deny closes every pod: each needs its calls opened.
    const guarded = workload.deployed || workload.namespace.created || (this.peers && workload.ports.length > 0);
    if (guarded) new WorkloadNetworkPolicy(workload, WorkloadNetworkPolicy.ID, workload, this.settings);
  }
}

function peer(namespace: string, labels: Readonly<Record<string, string>>): k8s.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [NAME_LABEL]: namespace } }, podSelector: { matchLabels: { ...labels } } };
}

function tcp(...ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/**
 * A namespace created here denies every connection in and out (`default-deny`), then opens what the mesh
 * itself needs for all its pods (`mesh-infrastructure`): DNS, the control plane, and Prometheus on the mesh's scrape ports.
 * Built by every renderer: TypeScript only.
 * @jsii ignore
 */
export class NamespaceNetworkPolicies extends Construct {
  public constructor(scope: Construct, id: string, namespace: MeshNamespace, settings: ResolvedNetworkPolicySettings) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace: namespace.name },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    const { prometheus, dns, controlPlane, mesh } = settings;
    new k8s.KubeNetworkPolicy(this, 'MeshInfrastructure', {
      metadata: { name: 'mesh-infrastructure', namespace: namespace.name },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [peer(prometheus.namespace, prometheus.labels)], ports: tcp(...mesh.scrapePorts) },
          ...(mesh.probeSources && mesh.probeSources.length > 0 ? [{ from: mesh.probeSources.map(cidr => ({ ipBlock: { cidr } })) }] : []),
        ],
        egress: [
          { to: [peer(dns.namespace, dns.labels)], ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, ...tcp(53)] },
          { to: [peer(controlPlane.namespace, controlPlane.labels)], ports: tcp(...mesh.controlPlanePorts) },
        ],
      },
    });
  }
}

/**
 * The NetworkPolicy of one workload, read from the call graph like its AuthorizationPolicy: ingress from
 * each caller's pods on the called port; for a workload deployed here, egress to each callee's pods on the
 * called port and to addresses outside the cluster on its external hosts' ports (likewise for a peer in a
 * namespace created here, whose egress the default-deny closes). A peer in another chart's namespace gets
 * ingress rules only (its egress is its own chart's business), plus Prometheus on the mesh's scrape ports.
 * Built by every renderer: TypeScript only (its constructor takes the renderer's resolved settings).
 * @jsii ignore
 */
export class WorkloadNetworkPolicy extends Construct {
  /**
   * The NetworkPolicy rendered for `workload`, typed, to change a field the props do not offer; undefined when none
   * is rendered.
   * Renders the mesh first when it is not yet: make escape hatches after the last declaration.
   */
  public static of(workload: IConstruct): WorkloadNetworkPolicy | undefined {
    Mesh.of(workload).render();
    const found = workload.node.tryFindChild(WorkloadNetworkPolicy.ID);
    return found instanceof WorkloadNetworkPolicy ? found : undefined;
  }

  /**
   * @internal the construct id under the workload
   * @jsii ignore
   */
  public static readonly ID = 'NetworkPolicy';

  public readonly resource: k8s.KubeNetworkPolicy;

  public constructor(scope: Construct, id: string, private readonly workload: IMeshWorkload, private readonly settings: ResolvedNetworkPolicySettings) {
    super(scope, id);
    this.resource = new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: `${workload.name}-calls`, namespace: workload.namespace.name, labels: { app: workload.name } },
      spec: {
        podSelector: { matchLabels: { ...workload.selector } },
        policyTypes: this.ownsEgress ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress: Lazy.any({ produce: () => this.ingress() }),
        egress: Lazy.any({ produce: () => this.ownsEgress ? this.egress() : undefined }),
      },
    });
  }

  /** Its egress is denied by default here (deployed here, or a peer in a namespace created here): open its calls. */
  private get ownsEgress(): boolean {
    return this.workload.deployed || this.workload.namespace.created;
  }

  private ingress(): k8s.NetworkPolicyIngressRule[] {
    const graph = Mesh.of(this.workload).callGraph;
    const tunnel = this.settings.mesh.tunnel;
    const proxy = tunnel?.proxyOf(this.workload);
    const edges = graph.callsTo(this.workload).map(c => (tunnel
      ? { peer: proxy ?? podsOf(c.caller), port: tunnel.port }
      : { peer: podsOf(c.caller), port: c.targetPort }));
    const rules: k8s.NetworkPolicyIngressRule[] = groupByPeer(edges)
      .map(({ peer: from, ports }) => ({ from: [peer(from.namespace, from.labels)], ports: tcp(...ports) }));
    const { prometheus, mesh } = this.settings;
    // A created namespace opens the mesh's scrape ports for all its pods; a peer's namespace is not ours, so open them here.
    const scrape = [...(this.workload.namespace.created ? [] : mesh.scrapePorts), ...mesh.workloadScrapePorts(this.workload)];
    if (scrape.length > 0) rules.push({ from: [peer(prometheus.namespace, prometheus.labels)], ports: tcp(...[...new Set(scrape)].sort((a, b) => a - b)) });
    return rules;
  }

  private egress(): k8s.NetworkPolicyEgressRule[] {
    const graph = Mesh.of(this.workload).callGraph;
    const tunnel = this.settings.mesh.tunnel;
    const infrastructure: k8s.NetworkPolicyEgressRule[] = [];
    if (!this.workload.namespace.created) {
      // No mesh-infrastructure policy opens DNS and the control plane in a namespace of another chart, and this
      // policy closes the pod's egress: without these, its proxy could neither resolve names nor get its configuration.
      const { dns, controlPlane, mesh } = this.settings;
      infrastructure.push(
        { to: [peer(dns.namespace, dns.labels)], ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, ...tcp(53)] },
        { to: [peer(controlPlane.namespace, controlPlane.labels)], ports: tcp(...mesh.controlPlanePorts) },
      );
    }
    const external = graph.externalCallsFrom(this.workload);
    const viaProxy = tunnel ? external.flatMap(c => {
      const proxy = tunnel.egressProxyOf(this.workload, c.host);
      return proxy ? [{ peer: proxy, port: tunnel.port, host: c.host }] : [];
    }) : [];
    const edges = [...graph.callsFrom(this.workload).map(c => (tunnel
      ? { peer: tunnel.proxyOf(c.callee) ?? podsOf(c.callee), port: tunnel.port }
      : { peer: podsOf(c.callee), port: c.targetPort })), ...viaProxy];
    const rules: k8s.NetworkPolicyEgressRule[] = [...infrastructure, ...groupByPeer(edges)
      .map(({ peer: to, ports }) => ({ to: [peer(to.namespace, to.labels)], ports: tcp(...ports) }))];
    const gateway = this.settings.egressGateway;
    // Through the egress gateway, plain TLS hosts are reached at the gateway's pods; the others still directly.
    if (gateway && external.some(c => c.host.passesEgressGateway)) {
      rules.push({ to: [peer(gateway.namespace, gateway.labels)], ports: tcp(gateway.port) });
    }
    const direct = external.filter(c => !viaProxy.some(v => v.host === c.host));
    const outside = new Set<number>(direct.filter(c => !gateway || !c.host.passesEgressGateway).map(c => c.host.port));
    for (const port of graph.unlistedEgressOf(this.workload)?.ports ?? []) outside.add(port);
    if (outside.size > 0) {
      // External hosts have no fixed addresses: any address outside the cluster, on their ports only.
      rules.push({
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...this.settings.clusterCidrs] } }],
        ports: tcp(...[...outside].sort((a, b) => a - b)),
      });
    }
    return rules;
  }
}

function podsOf(workload: IMeshWorkload): PodsInNamespace {
  return { namespace: workload.namespace.name, labels: { ...workload.selector } };
}

/** One entry per peer (the same pods), with its ports sorted and without repeats, in the order peers first appear. */
export function groupByPeer(edges: Array<{ peer: PodsInNamespace; port: number }>): Array<{ peer: PodsInNamespace; ports: number[] }> {
  const byPeer = new Map<string, { peer: PodsInNamespace; ports: Set<number> }>();
  for (const { peer: p, port } of edges) {
    const key = JSON.stringify([p.namespace, Object.entries(p.labels).sort()]);
    const entry = byPeer.get(key) ?? { peer: p, ports: new Set<number>() };
    entry.ports.add(port);
    byPeer.set(key, entry);
  }
  return [...byPeer.values()].map(({ peer: p, ports }) => ({ peer: p, ports: [...ports].sort((a, b) => a - b) }));
}
