import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
// Types only: the generated Gateway API module (0.8 MB) is not loaded on the synth path.
import type { GatewaySpec } from '../../../imports/gateway-api-gateway.networking.k8s.io';
import { Mesh } from '../../model/mesh';
import type { ExternalHost } from '../../model/external-host';
import type { MeshNamespace } from '../../model/mesh-namespace';
import type { IMeshWorkload } from '../../model/workload';
import { groupByPeer, PodsInNamespace } from '../kubernetes/network-policies';

/** The GatewayClass of Istio's waypoint proxies. */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** HBONE: the mTLS tunnel port ztunnel and waypoints receive every meshed connection on. */
export const HBONE_PORT = 15008;
/** The label that sends a Service's (or namespace's) traffic through a waypoint. */
export const USE_WAYPOINT = 'istio.io/use-waypoint';
/** The label that makes ingress gateways send a Service's traffic through its waypoint too. */
export const INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
/** The label Istio puts on the pods it deploys for a Gateway. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The cluster's own address ranges, which a waypoint's NetworkPolicy opens. */
export interface WaypointNetworkPolicy {
  /** The pod and node CIDRs of the cluster. */
  readonly clusterCidrs: string[];
}

/**
 * A waypoint proxy: a Gateway API `Gateway` of class `istio-waypoint` (an HBONE listener on 15008) for Services
 * (`istio.io/waypoint-for: service`). Istio deploys it with a ServiceAccount named like the Gateway, so its identity is
 * `<trust domain>/ns/<namespace>/sa/<name>`: the identity the destination's ztunnel sees for every request the
 * waypoint forwards. In a namespace created here, its NetworkPolicy opens HBONE from the callers of the services it
 * serves and to their pods (and, as an egress waypoint, to its external hosts' ports outside the cluster).
 */
export class Waypoint extends Construct {
  public readonly gateway: ApiObject;
  /** The Gateway's name, which is also its ServiceAccount's. */
  public readonly name: string;
  public readonly namespace: MeshNamespace;
  private readonly bound: IMeshWorkload[] = [];
  private readonly external: ExternalHost[] = [];

  /** @param networkPolicy the cluster's own address ranges, to open the waypoint's NetworkPolicy; undefined: no NetworkPolicy */
  public constructor(scope: Construct, id: string, namespace: MeshNamespace, name: string, networkPolicy?: WaypointNetworkPolicy) {
    super(scope, id);
    this.name = name;
    this.namespace = namespace;
    const spec: GatewaySpec = { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }] };
    this.gateway = new ApiObject(this, 'Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name, namespace: namespace.name, labels: { 'istio.io/waypoint-for': 'service' } },
      spec,
    });
    if (networkPolicy && namespace.created) this.networkPolicy(networkPolicy.clusterCidrs);
  }

  /** The waypoint's mTLS principal. */
  public get principal(): string {
    return `${Mesh.of(this.namespace).trustDomain}/ns/${this.namespace.name}/sa/${this.name}`;
  }

  /** The waypoint's pods. */
  public get pods(): PodsInNamespace {
    return { namespace: this.namespace.name, labels: { [GATEWAY_NAME_LABEL]: this.name } };
  }

  /** The workloads whose Services use this waypoint. */
  public get workloads(): IMeshWorkload[] {
    return this.bound;
  }

  /** Records that a workload's Service sends its traffic through this waypoint. */
  public bind(workload: IMeshWorkload): void {
    if (!this.bound.includes(workload)) this.bound.push(workload);
  }

  /** Records that calls to an external host leave through this waypoint (an egress waypoint). */
  public bindExternal(host: ExternalHost): void {
    if (!this.external.includes(host)) this.external.push(host);
  }

  private networkPolicy(clusterCidrs: readonly string[]): void {
    const graph = Mesh.of(this.namespace).callGraph;
    const peer = (p: PodsInNamespace) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } }, podSelector: { matchLabels: { ...p.labels } } });
    const tcp = (...ports: number[]) => ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
    const pods = (w: IMeshWorkload): PodsInNamespace => ({ namespace: w.namespace.name, labels: { ...w.selector } });
    const callers = () => [
      ...this.bound.flatMap(w => graph.callsTo(w).map(c => c.caller)),
      ...this.external.flatMap(h => graph.externalCallsTo(h).filter(c => c.caller.namespace === this.namespace).map(c => c.caller)),
    ];
    const ingress = () => groupByPeer(callers().map(c => ({ peer: pods(c), port: HBONE_PORT }))).map(({ peer: p, ports }) => ({ from: [peer(p)], ports: tcp(...ports) }));
    const egress = () => {
      const rules: k8s.NetworkPolicyEgressRule[] = groupByPeer(this.bound.map(w => ({ peer: pods(w), port: HBONE_PORT })))
        .map(({ peer: p, ports }) => ({ to: [peer(p)], ports: tcp(...ports) }));
      const outside = [...new Set(this.external.map(h => h.port))].sort((a, b) => a - b);
      // External hosts have no fixed addresses: any address outside the cluster, on their ports only.
      if (outside.length > 0) rules.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...clusterCidrs] } }], ports: tcp(...outside) });
      return rules;
    };
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: `${this.name}-hbone`, namespace: this.namespace.name },
      spec: {
        podSelector: { matchLabels: { [GATEWAY_NAME_LABEL]: this.name } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: ingress }),
        egress: Lazy.any({ produce: egress }),
      },
    });
  }
}
