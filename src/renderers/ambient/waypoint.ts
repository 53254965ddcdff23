import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
// Types only: the generated Gateway API module (0.8 MB) is not loaded on the synth path.
import type { GatewaySpec } from '../../../imports/gateway-api-gateway.networking.k8s.io';
import { Mesh } from '../../model/mesh';
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

/**
 * A waypoint proxy: a Gateway API `Gateway` of class `istio-waypoint` (an HBONE listener on 15008) for Services
 * (`istio.io/waypoint-for: service`). Istio deploys it with a ServiceAccount named like the Gateway, so its identity is
 * `<trust domain>/ns/<namespace>/sa/<name>`: the identity the destination's ztunnel sees for every request the
 * waypoint forwards. In a namespace created here, its NetworkPolicy opens HBONE from the callers of the services it
 * serves and to their pods.
 */
export class Waypoint extends Construct {
  public readonly gateway: ApiObject;
  /** The Gateway's name, which is also its ServiceAccount's. */
  public readonly name: string;
  public readonly namespace: MeshNamespace;
  private readonly bound: IMeshWorkload[] = [];

  public constructor(scope: Construct, id: string, namespace: MeshNamespace, name: string, networkPolicy: boolean) {
    super(scope, id);
    this.name = name;
    this.namespace = namespace;
    const spec: GatewaySpec = { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }] };
    this.gateway = new ApiObject(this, 'Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
      metadata: { name, namespace: namespace.name, labels: { 'istio.io/waypoint-for': 'service' } },
      spec,
    });
    if (networkPolicy && namespace.created) this.networkPolicy();
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
  public get workloads(): readonly IMeshWorkload[] {
    return this.bound;
  }

  /** Records that a workload's Service sends its traffic through this waypoint. */
  public bind(workload: IMeshWorkload): void {
    if (!this.bound.includes(workload)) this.bound.push(workload);
  }

  private networkPolicy(): void {
    const graph = Mesh.of(this.namespace).callGraph;
    const peer = (p: PodsInNamespace) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } }, podSelector: { matchLabels: { ...p.labels } } });
    const hbone = [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(HBONE_PORT) }];
    const pods = (w: IMeshWorkload): PodsInNamespace => ({ namespace: w.namespace.name, labels: { ...w.selector } });
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: `${this.name}-hbone`, namespace: this.namespace.name },
      spec: {
        podSelector: { matchLabels: { [GATEWAY_NAME_LABEL]: this.name } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: () => groupByPeer(this.bound.flatMap(w => graph.callsTo(w)).map(c => ({ peer: pods(c.caller), port: HBONE_PORT })))
          .map(({ peer: p }) => ({ from: [peer(p)], ports: hbone })) }),
        egress: Lazy.any({ produce: () => groupByPeer(this.bound.map(w => ({ peer: pods(w), port: HBONE_PORT })))
          .map(({ peer: p }) => ({ to: [peer(p)], ports: hbone })) }),
      },
    });
  }
}
