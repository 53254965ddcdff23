import { IstioAmbientRenderer } from './ambient/ambient-renderer';
import { IstioRenderer } from './istio/istio-renderer';
import { LinkerdRenderer, LinkerdRendererProps } from './linkerd/linkerd-renderer';
import type { IMeshRenderer } from '../model/mesh-renderer';

/** The service meshes soma-mesh renders for; the same declarations render to each. */
export enum MeshTarget {
  /** Istio (sidecar mode): the default. */
  ISTIO = 'istio',
  /** Linkerd 2 (policy.linkerd.io and Gateway API resources). */
  LINKERD = 'linkerd',
  /** Istio ambient mode (ztunnel for L4, waypoints for L7, Gateway API routes). */
  ISTIO_AMBIENT = 'istio-ambient',
}

/** Reads a target name (`istio`, `linkerd`, `istio-ambient`), as given to `bin/synth.js --mesh`. */
export function parseMeshTarget(name: string): MeshTarget {
  const target = Object.values(MeshTarget).find(t => t === name);
  if (!target) throw new Error(`unknown mesh "${name}": use one of ${Object.values(MeshTarget).join(', ')}`);
  return target;
}

/** A new renderer for a target. */
export function rendererFor(target: MeshTarget, linkerd: LinkerdRendererProps = {}): IMeshRenderer {
  if (target === MeshTarget.LINKERD) return new LinkerdRenderer(linkerd);
  if (target === MeshTarget.ISTIO_AMBIENT) return new IstioAmbientRenderer();
  return new IstioRenderer();
}
