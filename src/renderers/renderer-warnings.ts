import type { IConstruct } from 'constructs';
import type { IWarningSink } from '../model/mesh-renderer';
import type { MeshService } from '../model/mesh-service';

/**
 * What a renderer reports about declared features it does not render, said once each, to the mesh's warning sink
 * (`MeshProps.warningSink`). One per renderer, shared by the objects it renders.
 */
export class RendererWarnings {
  /** Every warning of this render, in the order said. */
  public readonly messages: string[] = [];
  private readonly said = new Set<string>();
  private sink?: IWarningSink;

  /** @param meshName how each warning names the render: `Linkerd`, `Istio ambient` */
  public constructor(private readonly meshName: string) {}

  /** Where the warnings of the render that starts go. */
  public sendTo(sink: IWarningSink): void {
    this.sink = sink;
  }

  /** `[path] <mesh>: <message>`, once: a feature of one construct that is not rendered, and what to do. */
  public about(construct: IConstruct, message: string): void {
    this.warn(`[${construct.node.path}] ${this.meshName}: ${message}`);
  }

  /** `<mesh>: <message> (namespace/service, ...)`, once, when any service declares the feature. */
  public services(services: readonly MeshService[], message: string): void {
    if (services.length === 0) return;
    this.warn(`${this.meshName}: ${message} (${services.map(s => `${s.namespace.name}/${s.name}`).join(', ')})`);
  }

  /** A warning as written, once. */
  public warn(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.messages.push(message);
    (this.sink ?? STDERR).warn(message);
  }
}

const STDERR: IWarningSink = { warn: message => console.warn(`warning: ${message}`) };
