import { MeshTarget, parseMeshTarget, rendererFor } from './mesh-target';
import type { LinkerdRendererProps } from './linkerd/linkerd-renderer';
import type { IMeshRenderer } from '../model/mesh-renderer';

/** Choosing a renderer by name: what `npm run synth -- --mesh NAME` and `SOMA_MESH=NAME cdk8s synth` do. */
export class MeshTargets {
  /** Reads a target name (`istio`, `linkerd`, `istio-ambient`); throws naming the valid ones. */
  public static parse(name: string): MeshTarget {
    return parseMeshTarget(name);
  }

  /** A new renderer for a target; `linkerd` configures the Linkerd renderer only. */
  public static renderer(target: MeshTarget, linkerd: LinkerdRendererProps = {}): IMeshRenderer {
    return rendererFor(target, linkerd);
  }

  private constructor() {}
}
