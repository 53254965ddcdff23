import { KubeObject } from '../inventory';
import { ResolvedMeshConfig } from './mesh-config';
import { MeshPod } from './mesh-pods';
import { LabelSelector } from '../label-selector';

/**
 * The mTLS mode a pod's port accepts, by PeerAuthentication precedence: the pod's own policy (a non-empty selector
 * in its namespace; its port level first, then its mode), then its namespace's (no selector, or `selector: {}`),
 * then the root namespace's; UNSET inherits; PERMISSIVE when none says.
 */
export class PeerAuthentications {
  private readonly byNamespace = new Map<string, KubeObject[]>();

  public constructor(objects: readonly KubeObject[], private readonly config: ResolvedMeshConfig) {
    for (const pa of objects) {
      const ns = pa.metadata?.namespace ?? 'default';
      const list = this.byNamespace.get(ns);
      if (list) list.push(pa);
      else this.byNamespace.set(ns, [pa]);
    }
  }

  public mode(pod: Pick<MeshPod, 'namespace' | 'labels'>, port: number): string {
    const local = this.byNamespace.get(pod.namespace) ?? [];
    const own = local.find(p => !namespaceWide(p) && LabelSelector.matchesLabels(p.spec.selector.matchLabels, pod.labels));
    const namespace = local.find(namespaceWide);
    const mesh = (this.byNamespace.get(this.config.rootNamespace) ?? []).find(namespaceWide);
    const portLevel = own?.spec?.portLevelMtls?.[String(port)]?.mode;
    if (portLevel && portLevel !== 'UNSET') return portLevel;
    for (const pa of [own, namespace, mesh]) {
      const mode = pa?.spec?.mtls?.mode;
      if (mode && mode !== 'UNSET') return mode;
    }
    return 'PERMISSIVE';
  }
}

function namespaceWide(pa: KubeObject): boolean {
  const match = pa.spec?.selector?.matchLabels;
  return !match || Object.keys(match).length === 0;
}
