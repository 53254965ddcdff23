import { Chart } from 'cdk8s';
import { PropsCheck } from '../../model/props-check';
import { AnalyzerValidation } from './analyzer-validation';
import { peerOf } from './analyzer-peers';
import {
  AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode,
} from '../../../imports/istio-security.istio.io';
import { Call } from '../../model/call';
import type { ExternalCall } from '../../model/external-host';
import { IMeshRenderer } from '../../model/mesh-renderer';
import { Mesh } from '../../model/mesh';
import type { MeshNamespace } from '../../model/mesh-namespace';
import type { MeshService } from '../../model/mesh-service';
import type { IMeshWorkload } from '../../model/workload';
import { CallerPolicy } from './caller-policy';
import { EgressGatewayOptions, egressGatewayDefaults, EgressGatewayRoute } from './egress-gateway-route';
import { ExternalServiceEntry } from './external-service-entry';
import {
  NamespaceNetworkPolicies, NetworkPolicySettings, networkPolicyDefaults, WorkloadNetworkPolicy,
} from '../kubernetes/network-policies';
import { WorkloadSidecar } from './workload-sidecar';
import { IstioHostCheck } from './host-check';
import { IstioTrafficOptions, IstioTrafficRoutes } from './service-routes';

const CALLER_POLICY_ID = 'CallerPolicy';
const SIDECAR_ID = 'Sidecar';

/** Options of the Istio rendering. */
export interface IstioRendererProps extends IstioTrafficOptions {
  /**
   * Render Kubernetes NetworkPolicies from the call graph as a second, L3/L4 fence: default-deny in every
   * namespace created here, then each call's port between the caller's and the callee's pods.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /**
   * Give peers of other charts an ingress NetworkPolicy that admits exactly their declared callers
   * (the same set their AuthorizationPolicy admits). Their egress is left to their own chart.
   * @default true
   */
  readonly peerNetworkPolicies?: boolean;
  /**
   * Where Prometheus, DNS and istiod run, and which addresses belong to the cluster.
   * @default - see NetworkPolicySettings
   */
  readonly networkPolicySettings?: NetworkPolicySettings;
  /**
   * Send calls to external hosts through Istio's egress gateway (TLS passthrough), so that they leave the
   * cluster from one place. Wildcard hosts still leave directly: SNI passthrough cannot forward them.
   * Declare the egress gateway as an ExistingWorkload without ports (like the ingress gateway), so that the
   * analyzer knows the Service the routes lead to.
   * @default - off: callers' proxies reach external hosts directly
   */
  readonly egressGateway?: EgressGatewayOptions;
}

/**
 * Renders the mesh for Istio (sidecar mode): namespaces with injection, STRICT PeerAuthentication and
 * an allow-nothing default; one ALLOW policy per called workload; peers guarded in their own namespace.
 */
export class IstioRenderer implements IMeshRenderer {
  private readonly networkPolicies: boolean;
  private readonly peerNetworkPolicies: boolean;
  private readonly networkPolicySettings: ReturnType<typeof networkPolicyDefaults>;
  private readonly egressGateway?: Required<EgressGatewayOptions>;
  /** Call graphs whose unlisted egress grants already reach the Sidecars (one listener per graph, not per workload). */
  private readonly watchedGraphs = new WeakSet<object>();

  private readonly traffic: IstioTrafficOptions;

  /** @param props settings of the NetworkPolicies, the egress gateway, and the VirtualServices and DestinationRules */
  public constructor(props: IstioRendererProps = {}) {
    const at = new PropsCheck('IstioRenderer');
    const p = at.object<IstioRendererProps>('props', props, '{ networkPolicies: true }', true);
    at.boolean('networkPolicies', p.networkPolicies);
    at.boolean('peerNetworkPolicies', p.peerNetworkPolicies);
    at.boolean('explicitMutualTls', p.explicitMutualTls);
    if (p.networkPolicySettings !== undefined) at.object('networkPolicySettings', p.networkPolicySettings, '{ prometheusNamespace: "observability" }');
    if (p.egressGateway !== undefined) at.object('egressGateway', p.egressGateway, '{ namespace: "istio-system" }');
    this.traffic = { explicitMutualTls: props.explicitMutualTls };
    this.networkPolicies = props.networkPolicies ?? true;
    this.peerNetworkPolicies = props.peerNetworkPolicies ?? true;
    this.egressGateway = props.egressGateway ? egressGatewayDefaults(props.egressGateway) : undefined;
    this.networkPolicySettings = networkPolicyDefaults(props.networkPolicySettings, this.egressGateway);
  }

  public namespaceLabels(): Record<string, string> {
    return { 'istio-injection': 'enabled' };
  }

  public renderMesh(mesh: Mesh): void {
    // The analyzer checks the whole chart's Istio resources at synth: errors fail synth with their code, warnings print.
    mesh.node.addValidation(new AnalyzerValidation(() => Chart.of(mesh), () => mesh.workloads.filter(w => !w.deployed).map(peerOf),
      undefined, () => String(mesh.callGraph.calls.length)));
  }

  public renderNamespace(namespace: MeshNamespace): void {
    if (namespace.strictMtls) {
      new PeerAuthentication(namespace, 'StrictMtls', {
        metadata: { name: 'default', namespace: namespace.name },
        spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
      });
    }
    if (namespace.defaultDeny) {
      // An ALLOW policy with no rules matches nothing, so every request not allowed by another policy is denied.
      new AuthorizationPolicy(namespace, 'AllowNothing', {
        metadata: { name: 'allow-nothing', namespace: namespace.name },
        spec: {},
      });
    }
    if (this.networkPolicies && namespace.created) new NamespaceNetworkPolicies(namespace, 'NetworkPolicies', namespace, this.networkPolicySettings);
  }

  public renderWorkload(workload: IMeshWorkload): void {
    this.renderScoping(workload);
    if (!workload.namespace.strictMtls) {
      // Its namespace keeps other settings (istio-system, for example): STRICT for this workload alone.
      new PeerAuthentication(workload, 'StrictMtls', {
        metadata: { name: `${workload.name}-strict`, namespace: workload.namespace.name },
        spec: { selector: { matchLabels: { ...workload.selector } }, mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
      });
    }
    if (workload.ports.length === 0) return; // nothing to guard: it only calls others
    // A peer we do not deploy lives in a namespace without our deny-by-default: its own policy closes it.
    if (!workload.deployed || !workload.namespace.defaultDeny) this.callerPolicy(workload);
  }

  public renderCall(call: Call): void {
    this.callerPolicy(call.callee);
  }

  public renderExternalCall(call: ExternalCall): void {
    const namespace = call.caller.namespace;
    const id = `ServiceEntry-${namespace.name}`;
    if (call.host.node.tryFindChild(id)) return;
    const viaGateway = this.egressGateway && !call.host.isWildcard ? this.egressGateway : undefined;
    new ExternalServiceEntry(call.host, id, call.host, namespace, viaGateway?.namespace);
    if (viaGateway) new EgressGatewayRoute(call.host, `EgressGateway-${namespace.name}`, call.host, namespace, viaGateway, call.host.mesh.clusterDomain);
  }

  /** A deployed workload's Sidecar; NetworkPolicies for it, and for a peer that serves ports. */
  private renderScoping(workload: IMeshWorkload): void {
    if (workload.deployed) new WorkloadSidecar(workload, SIDECAR_ID, workload);
    const graph = Mesh.of(workload).callGraph;
    if (!this.watchedGraphs.has(graph)) {
      this.watchedGraphs.add(graph);
      graph.onUnlistedEgress(grant => {
        const sidecar = grant.caller.node.tryFindChild(SIDECAR_ID);
        if (sidecar instanceof WorkloadSidecar) sidecar.explainUnlistedEgress(grant.reason);
      });
    }
    if (!this.networkPolicies) return;
    // In a namespace created here, default-deny closes every pod: each needs its calls opened.
    const guarded = workload.deployed || workload.namespace.created || (this.peerNetworkPolicies && workload.ports.length > 0);
    if (guarded) new WorkloadNetworkPolicy(workload, 'NetworkPolicy', workload, this.networkPolicySettings);
  }

  /** One VirtualService and one DestinationRule per deployed service that serves a port. */
  public renderTraffic(service: MeshService): void {
    IstioHostCheck.of(Mesh.of(service));
    if (service.ports.length === 0) return; // a worker: nothing routes to it
    new IstioTrafficRoutes(service, 'Traffic', service, this.traffic);
  }

  private callerPolicy(workload: IMeshWorkload): CallerPolicy {
    const existing = workload.node.tryFindChild(CALLER_POLICY_ID);
    return existing instanceof CallerPolicy ? existing : new CallerPolicy(workload, CALLER_POLICY_ID, workload);
  }
}
