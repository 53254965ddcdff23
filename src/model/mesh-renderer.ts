import type { Call } from './call';
import type { ExternalCall, UnlistedEgress } from './external-host';
import type { Mesh } from './mesh';
import type { MeshNamespace } from './mesh-namespace';
import type { MeshService, ServiceVersion } from './mesh-service';
import type { MeshTelemetry } from './mesh-telemetry';
import type { PublicIngress } from './public-ingress';
import type { IMeshWorkload } from './workload';

/** What a mesh's data plane takes for itself inside every pod, so that applications must not use it. */
export interface IDataPlaneReservations {
  /** The name of the mesh, for messages: `Istio`, `Linkerd`. */
  readonly meshName: string;
  /** Whether the proxy (or its agent) listens on this port inside the pod. */
  isReservedPort(port: number): boolean;
  /** The ports the proxy listens on, as a reader would write them: `15000-15008, 15020, 15021, 15090`. */
  readonly reservedPortsText: string;
  /** User ids whose traffic the proxy does not intercept (its own), so an application running as one bypasses the mesh. */
  readonly reservedUserIds: number[];
}

/**
 * Turns the mesh-neutral declarations into one mesh's resources. Every method is required: a renderer either
 * renders each declared feature or reports, once, that it cannot (naming the construct and what to do
 * instead), so nothing a user declares is dropped silently. The model calls these as things are declared;
 * what they render may read the call graph lazily, at synth.
 */
export interface IMeshRenderer {
  /** What the mesh's proxy reserves in each pod; the model refuses workloads that collide with it. */
  readonly dataPlane: IDataPlaneReservations;
  /** Renders what the whole mesh needs, and attaches the checks that belong to this mesh's resources. */
  renderMesh(mesh: Mesh): void;
  /** Labels that put a namespace's pods in the mesh. */
  namespaceLabels(): Record<string, string>;
  /** Renders what a namespace needs: mTLS mode and default authorization. */
  renderNamespace(namespace: MeshNamespace): void;
  /**
   * Renders STRICT mutual TLS for every workload of the mesh, in every namespace, as `mesh.enforceStrictMtlsMeshWide()`
   * declares; called once. Nothing mesh-wide is rendered unless asked for by this name.
   */
  renderMeshWideStrictMtls(mesh: Mesh): void;
  /** Renders what a workload needs beyond its Kubernetes objects. */
  renderWorkload(workload: IMeshWorkload): void;
  /** Renders what one more version of a deployed service needs; called for each version as it is added. */
  renderVersion(service: MeshService, version: ServiceVersion): void;
  /** Renders what a new call needs; called once per call. */
  renderCall(call: Call): void;
  /** Renders what a new call to a host outside the mesh needs; called once per call. */
  renderExternalCall(call: ExternalCall): void;
  /** Renders a workload's permission to reach hosts nobody can list; called once per grant. */
  renderUnlistedEgress(grant: UnlistedEgress): void;
  /**
   * Renders how requests reach a deployed service's versions (`service.traffic`: routing and resilience),
   * once per service; what it renders reads versions, routing and calls lazily, at synth.
   */
  renderTraffic(service: MeshService): void;
  /**
   * Renders a deployed service's delivery by a progressive-delivery controller (`MeshServiceProps.delivery`), once
   * per such service; what it renders reads versions and routing lazily, at synth. A renderer that cannot carry the
   * controller reports it once, naming the service, and keeps the service delivered by the release file.
   */
  renderDelivery(service: MeshService): void;
  /** Renders the public entry point to a workload; called once per PublicIngress. */
  renderIngress(ingress: PublicIngress): void;
  /** Renders the mesh's metrics, logs, traces and golden-signal dashboards; called once per MeshTelemetry. */
  renderTelemetry(telemetry: MeshTelemetry): void;
}
