import type { Call } from './call';
import type { ExternalCall } from './external-host';
import type { Mesh } from './mesh';
import type { MeshNamespace } from './mesh-namespace';
import type { MeshService, ServiceVersion } from './mesh-service';
import type { IMeshWorkload } from './workload';

/**
 * Turns the mesh-neutral declarations (namespaces, workloads, calls) into one mesh's resources.
 * The constructs call it as things are declared; what it renders may read the call graph lazily.
 */
export interface IMeshRenderer {
  /** Renders what the whole mesh needs, and attaches the checks that belong to this mesh's resources. */
  renderMesh?(mesh: Mesh): void;
  /** Labels that put a namespace's pods in the mesh. */
  namespaceLabels(): Record<string, string>;
  /** Renders what a namespace needs: mTLS mode and default authorization. */
  renderNamespace(namespace: MeshNamespace): void;
  /** Renders what a workload needs beyond its Kubernetes objects. */
  renderWorkload(workload: IMeshWorkload): void;
  /** Renders what a new call needs; called once per call. */
  renderCall(call: Call): void;
  /** Renders what a new call to a host outside the mesh needs; called once per call. */
  renderExternalCall?(call: ExternalCall): void;
  /**
   * Renders how requests reach a deployed service's versions (`service.traffic`: routing and resilience),
   * once per service; what it renders reads versions, routing and calls lazily, at synth.
   */
  renderTraffic(service: MeshService): void;
  /**
   * Renders what one more version of a deployed service needs, for meshes that route to versions through
   * objects of their own (Linkerd: a Service per version). Called for each version as it is added.
   */
  renderVersion?(service: MeshService, version: ServiceVersion): void;
}
