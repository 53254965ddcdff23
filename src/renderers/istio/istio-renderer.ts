import { ApiObject, Chart } from 'cdk8s';
import { PropsCheck } from '../../model/props-check';
import { AnalyzerValidation } from './analyzer-validation';
import { ArgoRollout } from './argo-rollout';
import { peerOf } from './analyzer-peers';
import {
  AuthorizationPolicy, PeerAuthentication,
} from '../../../imports/istio-security.istio.io';
import type { ExternalCall, ExternalHost, UnlistedEgress } from '../../model/external-host';
import { IDataPlaneReservations, IMeshRenderer } from '../../model/mesh-renderer';
import type { MeshModel } from '../../model/mesh-model';
import { Mesh } from '../../model/mesh';
import { fail } from '../../model/validation';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { MeshService } from '../../model/mesh-service';
import type { MeshTelemetry } from '../../model/mesh-telemetry';
import type { IMeshWorkload } from '../../model/workload';
import { GoldenSignalDashboards } from '../kubernetes/golden-signal-dashboards';
import { MeshNetworkPolicies, MeshNetworkPolicyOptions, networkPolicyDefaults } from '../kubernetes/network-policies';
import { CallerPolicy } from './caller-policy';
import { EgressGatewayOptions, egressGatewayDefaults, EgressGatewayRoute } from './egress-gateway-route';
import { ExternalServiceEntry } from './external-service-entry';
import { ISTIO_GOLDEN_SIGNALS } from './golden-signal-queries';
import { IstioIngressGateway } from './ingress-gateway';
import { IstioTelemetry } from './istio-telemetry';
import { ISTIO_SYSTEM, WorkloadSidecar } from './workload-sidecar';
import { IstioHostCheck } from './host-check';
import { IstioTrafficOptions, IstioTrafficRoutes } from './service-routes';
import { IstioStrictMtls, STRICT_MTLS_ID } from './strict-mtls';

const ROLLOUT_ID = 'ArgoRollout';
const ALLOW_NOTHING_ID = 'AllowNothing';

/** Istio's agent port: merged Prometheus metrics and rewritten health checks. */
const MERGED_METRICS_PORT = 15020;

/** The ports the Istio proxy and its agent listen on in every pod, and the proxy's own user id. */
export const ISTIO_DATA_PLANE: IDataPlaneReservations = {
  meshName: 'Istio',
  isReservedPort: port => (port >= 15000 && port <= 15008) || port === 15020 || port === 15021 || port === 15090,
  reservedPortsText: '15000-15008, 15020, 15021, 15090',
  reservedUserIds: [1337],
};

/** Options of the Istio rendering. */
export interface IstioRendererProps extends IstioTrafficOptions, MeshNetworkPolicyOptions {
  /**
   * Istio's root namespace (`meshConfig.rootNamespace`): where the mesh-wide Telemetry lives.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
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
  public readonly dataPlane = ISTIO_DATA_PLANE;
  private readonly networkPolicies: MeshNetworkPolicies;
  private readonly egressGateway?: Required<EgressGatewayOptions>;
  private readonly rootNamespace: string;
  private readonly strictMtls: IstioStrictMtls;
  private readonly traffic: IstioTrafficOptions;

  /** @param props settings of the NetworkPolicies, the egress gateway, and the VirtualServices and DestinationRules */
  public constructor(props: IstioRendererProps = {}) {
    const at = new PropsCheck('IstioRenderer');
    const p = at.object<IstioRendererProps>('props', props, '{ networkPolicies: true }', true);
    at.knownKeys('', p, 'IstioRendererProps');
    if (p.networkPolicySettings !== undefined) {
      const example = '{ prometheus: { namespace: "observability", labels: { app: "prometheus" } } }';
      at.object('networkPolicySettings', p.networkPolicySettings, example);
    }
    if (p.egressGateway !== undefined) at.object('egressGateway', p.egressGateway, '{ namespace: "istio-system" }');
    at.declaredTypes('', p, 'IstioRendererProps');
    this.traffic = { explicitMutualTls: props.explicitMutualTls };
    this.rootNamespace = props.rootNamespace ?? ISTIO_SYSTEM;
    this.strictMtls = new IstioStrictMtls(this.rootNamespace);
    this.egressGateway = props.egressGateway ? egressGatewayDefaults(props.egressGateway) : undefined;
    const needs = {
      controlPlane: { namespace: this.rootNamespace, labels: { app: 'istiod' } },
      // 15012: configuration and certificates (XDS and CA); 15017: the injection and validation webhooks.
      controlPlanePorts: [15012, 15017],
      scrapePorts: [MERGED_METRICS_PORT],
      workloadScrapePorts: () => [],
    };
    this.networkPolicies = new MeshNetworkPolicies(props, networkPolicyDefaults(needs, props.networkPolicySettings, this.egressGateway));
  }

  /**
   * The PeerAuthentication STRICT rendered for a namespace (namespace-wide) or a workload (by selector), typed, to change
   * a field the props do not offer; undefined when none is rendered there.
   */
  public static peerAuthenticationOf(scope: MeshNamespace | IMeshWorkload): ApiObject | undefined {
    Mesh.of(scope).render();
    const found = scope.node.tryFindChild(STRICT_MTLS_ID);
    return found instanceof PeerAuthentication ? found : undefined;
  }

  /** The allow-nothing AuthorizationPolicy of a deny-by-default namespace, typed; undefined when none is rendered. */
  public static allowNothingOf(namespace: MeshNamespace): ApiObject | undefined {
    Mesh.of(namespace).render();
    const found = namespace.node.tryFindChild(ALLOW_NOTHING_ID);
    return found instanceof AuthorizationPolicy ? found : undefined;
  }

  /** The ServiceEntry through which callers in `callerNamespace` reach an external host, typed; undefined when none. */
  public static serviceEntryOf(host: ExternalHost, callerNamespace: MeshNamespace): ExternalServiceEntry | undefined {
    Mesh.of(host).render();
    const found = host.node.tryFindChild(`ServiceEntry-${callerNamespace.name}`);
    return found instanceof ExternalServiceEntry ? found : undefined;
  }

  /**
   * Namespaces (injection, STRICT, allow-nothing), then each workload with its versions, routes and delivery, its
   * callers' policies, egress, ingress and telemetry; the analyzer checks the whole chart's Istio resources once they
   * are rendered: errors fail synth with their code, warnings print.
   */
  public render(model: MeshModel): void {
    const mesh = model.mesh;
    model.addValidation(new AnalyzerValidation(() => Chart.of(mesh), () => model.workloads.filter(w => !w.deployed).map(peerOf),
      undefined, () => String(model.calls.length),
      () => ({ rootNamespace: this.rootNamespace, trustDomain: mesh.trustDomain, clusterDomain: mesh.clusterDomain })));
    for (const namespace of model.namespaces) this.renderNamespace(namespace);
    if (model.strictMtlsMeshWide) this.strictMtls.renderMeshWide(mesh);
    for (const workload of model.workloads) {
      this.renderWorkload(workload);
      if (workload instanceof MeshService) this.renderTraffic(workload);
    }
    for (const call of model.calls) this.callerPolicy(call.callee);
    for (const call of model.externalCalls) this.renderExternalCall(call);
    for (const grant of model.unlistedEgress) this.renderUnlistedEgress(grant);
    for (const ingress of model.ingresses) new IstioIngressGateway(ingress);
    if (model.telemetry) this.renderTelemetry(model.telemetry, model.services);
  }

  private renderNamespace(namespace: MeshNamespace): void {
    namespace.resource?.metadata.addLabel('istio-injection', 'enabled');
    if (namespace.name === this.rootNamespace && namespace.defaultDeny) {
      fail(namespace.node.path, `defaultDeny in ${namespace.name}, Istio's root namespace, would be an allow-nothing policy for the whole mesh: declare it with defaultDeny: false (each workload there is still guarded by its own policy)`);
    }
    this.strictMtls.renderNamespace(namespace);
    if (namespace.defaultDeny) {
      // An ALLOW policy with no rules matches nothing, so every request not allowed by another policy is denied.
      new AuthorizationPolicy(namespace, ALLOW_NOTHING_ID, {
        metadata: { name: 'allow-nothing', namespace: namespace.name },
        spec: {},
      });
    }
    this.networkPolicies.renderNamespace(namespace);
  }

  private renderWorkload(workload: IMeshWorkload): void {
    if (workload.deployed) new WorkloadSidecar(workload, WorkloadSidecar.ID, workload);
    this.networkPolicies.renderWorkload(workload);
    this.strictMtls.renderWorkload(workload);
    if (workload.ports.length === 0) return; // nothing to guard: it only calls others
    // A peer we do not deploy lives in a namespace without our deny-by-default: its own policy closes it.
    if (!workload.deployed || !workload.namespace.defaultDeny) this.callerPolicy(workload);
  }

  private renderExternalCall(call: ExternalCall): void {
    const namespace = call.caller.namespace;
    const id = `ServiceEntry-${namespace.name}`;
    if (call.host.node.tryFindChild(id)) return;
    const viaGateway = this.egressGateway && call.host.passesEgressGateway ? this.egressGateway : undefined;
    new ExternalServiceEntry(call.host, id, { host: call.host, namespace, egressGatewayNamespace: viaGateway?.namespace });
    if (viaGateway) new EgressGatewayRoute(call.host, `EgressGateway-${namespace.name}`, { host: call.host, namespace, gateway: viaGateway });
  }

  /** The workload's Sidecar lets it reach any host (ALLOW_ANY), with the reason annotated. */
  private renderUnlistedEgress(grant: UnlistedEgress): void {
    const sidecar = grant.caller.node.tryFindChild(WorkloadSidecar.ID);
    if (sidecar instanceof WorkloadSidecar) sidecar.explainUnlistedEgress(grant.reason);
  }

  /** The mesh-wide Telemetry in the root namespace, and the golden-signal dashboards from Istio's metrics. */
  private renderTelemetry(telemetry: MeshTelemetry, services: MeshService[]): void {
    new IstioTelemetry(telemetry, 'Istio', this.rootNamespace);
    GoldenSignalDashboards.render(telemetry, ISTIO_GOLDEN_SIGNALS, services);
  }

  /**
   * One VirtualService and one DestinationRule per deployed service that serves a port; under Argo Rollouts, a Rollout
   * over the service's versions and an AnalysisTemplate from its golden signals.
   */
  private renderTraffic(service: MeshService): void {
    IstioHostCheck.of(Mesh.of(service));
    if (service.ports.length > 0) new IstioTrafficRoutes(service, IstioTrafficRoutes.ID, service, this.traffic);
    if (service.delivery.controller) new ArgoRollout(service, ROLLOUT_ID, service, ISTIO_GOLDEN_SIGNALS);
  }

  private callerPolicy(workload: IMeshWorkload): CallerPolicy {
    const existing = workload.node.tryFindChild(CallerPolicy.ID);
    return existing instanceof CallerPolicy ? existing : new CallerPolicy(workload, CallerPolicy.ID, workload);
  }
}
