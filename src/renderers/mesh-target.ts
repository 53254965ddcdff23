import { IstioRenderer } from './istio/istio-renderer';
import { LinkerdRenderer, LinkerdRendererProps } from './linkerd/linkerd-renderer';
import type { IMeshRenderer } from '../model/mesh-renderer';

/** The service meshes soma-mesh renders for; the same declarations render to either. */
export enum MeshTarget {
  /** Istio (sidecar mode): the default. */
  ISTIO = 'istio',
  /** Linkerd 2 (policy.linkerd.io and Gateway API resources). */
  LINKERD = 'linkerd',
}

/** Reads a target name (`istio`, `linkerd`), as given to `bin/synth.js --mesh`. */
export function parseMeshTarget(name: string): MeshTarget {
  const target = Object.values(MeshTarget).find(t => t === name);
  if (!target) throw new Error(`unknown mesh "${name}": use one of ${Object.values(MeshTarget).join(', ')}`);
  return target;
}

/** A new renderer for a target. */
export function rendererFor(target: MeshTarget, linkerd: LinkerdRendererProps = {}): IMeshRenderer {
  return target === MeshTarget.LINKERD ? new LinkerdRenderer(linkerd) : new IstioRenderer();
}
