import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
// Types only: the generated networking module (1.2 MB) is not loaded on the synth path.
import type { SidecarSpec } from '../../../imports/istio-networking.istio.io';
import { Mesh } from '../../model/mesh';
import type { IMeshWorkload } from '../../model/workload';

/** The namespace of Istio's control plane: every proxy needs its configuration (istiod, the CA). */
export const ISTIO_SYSTEM = 'istio-system';

/** The annotation that carries why a workload's outbound policy is ALLOW_ANY. */
const ALLOW_ANY_REASON = 'soma-mesh.io/allow-any-egress-reason';

/**
 * The Sidecar of one workload, derived from the call graph: its proxy holds only the services it calls
 * (`namespace/FQDN`), the external hosts it calls (their ServiceEntries live in its namespace) and
 * `istio-system/*`. Outbound traffic to anything else is refused (REGISTRY_ONLY), unless the workload
 * was granted unlisted egress, which is then written beside the policy as the reason.
 */
export class WorkloadSidecar extends Construct {
  /**
   * The Sidecar rendered for `workload`, typed, to change a field the props do not offer; undefined when none is
   * rendered.
   * Renders the mesh first when it is not yet: make escape hatches after the last declaration.
   */
  public static of(workload: IConstruct): WorkloadSidecar | undefined {
    Mesh.of(workload).render();
    const found = workload.node.tryFindChild(WorkloadSidecar.ID);
    return found instanceof WorkloadSidecar ? found : undefined;
  }

  /**
   * @internal the construct id under the workload
   * @jsii ignore
   */
  public static readonly ID = 'Sidecar';

  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, private readonly workload: IMeshWorkload) {
    super(scope, id);
    const graph = Mesh.of(workload).callGraph;
    const spec: SidecarSpec = {
      workloadSelector: { labels: { ...workload.selector } },
      egress: [{ hosts: Lazy.any({ produce: () => this.hosts() }) }],
      outboundTrafficPolicy: {
        mode: Lazy.any({ produce: () => (graph.unlistedEgressOf(this.workload) ? 'ALLOW_ANY' : 'REGISTRY_ONLY') }),
      },
    };
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: {
        name: workload.name,
        namespace: workload.namespace.name,
        labels: { app: workload.name },
      },
      spec,
    });
  }

  /** Writes why this workload's outbound policy is ALLOW_ANY beside it. */
  public explainUnlistedEgress(reason: string): void {
    this.resource.metadata.addAnnotation(ALLOW_ANY_REASON, reason);
  }

  /** The egress hosts, sorted and without repeats. */
  public hosts(): string[] {
    const graph = Mesh.of(this.workload).callGraph;
    const hosts = new Set<string>();
    for (const call of graph.callsFrom(this.workload)) hosts.add(`${call.callee.namespace.name}/${call.callee.host}`);
    for (const call of graph.externalCallsFrom(this.workload)) hosts.add(`${this.workload.namespace.name}/${call.host.host}`);
    hosts.add(`${ISTIO_SYSTEM}/*`);
    return [...hosts].sort();
  }
}
