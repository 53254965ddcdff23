import { Chart } from 'cdk8s';
import { AnalyzerValidation } from '../../analyzer/analyzer';
import { peerOf } from '../../analyzer/peers';
import {
  AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode,
} from '../../../imports/istio-security.istio.io';
import { Call } from '../call';
import { IMeshRenderer } from '../mesh-renderer';
import { Mesh } from '../mesh';
import type { MeshNamespace } from '../mesh-namespace';
import type { MeshService } from '../mesh-service';
import type { IMeshWorkload } from '../workload';
import { CallerPolicy } from './caller-policy';
import { IstioHostCheck } from './host-check';
import { IstioTrafficOptions, IstioTrafficRoutes } from './traffic-routes';

const CALLER_POLICY_ID = 'CallerPolicy';

/**
 * Renders the mesh for Istio (sidecar mode): namespaces with injection, STRICT PeerAuthentication and
 * an allow-nothing default; one ALLOW policy per called workload; peers guarded in their own namespace.
 */
export class IstioRenderer implements IMeshRenderer {
  /** @param traffic settings of the VirtualServices and DestinationRules */
  public constructor(private readonly traffic: IstioTrafficOptions = {}) {}

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
  }

  public renderWorkload(workload: IMeshWorkload): void {
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
