import type { MeshModel } from './mesh-model';

/** What a mesh's data plane takes for itself inside every pod, so that applications must not use it. */
export interface IDataPlaneReservations {
  /** The name of the mesh, for messages: `Istio`, `Linkerd`. */
  readonly meshName: string;
  /** The ports the proxy listens on, as a reader would write them: `15000-15008, 15020, 15021, 15090`. */
  readonly reservedPortsText: string;
  /** User ids whose traffic the proxy does not intercept (its own), so an application running as one bypasses the mesh. */
  readonly reservedUserIds: number[];
  /** Whether the proxy (or its agent) listens on this port inside the pod. */
  isReservedPort(port: number): boolean;
}

/** Receives each warning of a mesh: about its declarations, or about a feature its renderer does not render. */
export interface IWarningSink {
  /** Takes one warning, a full sentence that names the construct and what to do. */
  warn(message: string): void;
}

/**
 * Turns the finished, mesh-neutral model into one mesh's resources. Called once, when the app synthesizes (never from a
 * constructor), over everything declared: so what it renders does not depend on the order of declarations. Every
 * declared feature is either rendered or reported once through `model.warnings`, naming the construct, the feature
 * and what to do instead; nothing a user declares is dropped silently.
 */
export interface IMeshRenderer {
  /** What the mesh's proxy reserves in each pod; the model refuses workloads that collide with it when declared. */
  readonly dataPlane: IDataPlaneReservations;
  /**
   * Renders the model into the constructs of the model (namespaces, workloads, hosts, ingresses, telemetry), once.
   * Checks of what it rendered go to `model.addValidation`; the constructs it creates are validated by the render step.
   */
  render(model: MeshModel): void;
}
