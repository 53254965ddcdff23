import { KubeObject } from './inventory';

/**
 * Which mesh a set of objects is written for, so that each is evaluated by that mesh's own semantics (one module per
 * mesh: `istio/` for sidecars, `linkerd/`), and YAML of a mesh the tools do not evaluate is refused rather than shown
 * as open. A new mesh's semantics adds a detector here.
 */

export type MeshName = 'istio' | 'istio-ambient' | 'linkerd';

/** A mesh the tools recognise; `evaluated` is false for those whose semantics they do not implement. */
interface Detector {
  readonly name: string;
  readonly evaluated?: MeshName;
  /** Why an object belongs to this mesh, or undefined. */
  claims(o: KubeObject): string | undefined;
}

function group(o: KubeObject): string {
  const v = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  return v.includes('/') ? v.split('/')[0] : '';
}

function labelsAndAnnotations(o: KubeObject): Record<string, string> {
  const template = o.spec?.template?.metadata ?? {};
  return { ...(o.metadata?.labels ?? {}), ...(o.metadata?.annotations ?? {}), ...(template.labels ?? {}), ...(template.annotations ?? {}) };
}

const DETECTORS: Detector[] = [
  {
    // Ambient: ztunnel and waypoints decide, not sidecars; composed into what each pod admits (review/ambient.ts).
    name: 'Istio ambient', evaluated: 'istio-ambient',
    claims: o => {
      const marks = labelsAndAnnotations(o);
      if (marks['istio.io/dataplane-mode'] === 'ambient') return `${o.kind} ${o.metadata?.name} has istio.io/dataplane-mode: ambient`;
      if (o.kind === 'Gateway' && group(o) === 'gateway.networking.k8s.io' && o.spec?.gatewayClassName === 'istio-waypoint') return `Gateway ${o.metadata?.name} is a waypoint`;
      return undefined;
    },
  },
  {
    name: 'Istio', evaluated: 'istio',
    claims: o => (group(o).endsWith('.istio.io') ? `${o.kind} ${o.metadata?.name} (${o.apiVersion})` : undefined),
  },
  {
    name: 'Linkerd', evaluated: 'linkerd',
    claims: o => {
      if (group(o).endsWith('linkerd.io')) return `${o.kind} ${o.metadata?.name} (${o.apiVersion})`;
      const marks = labelsAndAnnotations(o);
      if (marks['linkerd.io/inject'] === 'enabled' || marks['config.linkerd.io/default-inbound-policy'] !== undefined) return `${o.kind} ${o.metadata?.name} is annotated for Linkerd`;
      return undefined;
    },
  },
  ...[
    ['Consul', 'consul.hashicorp.com'], ['Kuma', 'kuma.io'], ['Cilium', 'cilium.io'], ['Open Service Mesh', 'openservicemesh.io'],
    ['SMI (Service Mesh Interface)', 'smi-spec.io'], ['Gloo', 'solo.io'], ['Traefik Mesh', 'traefik.io'], ['AWS App Mesh', 'appmesh.k8s.aws'],
  ].map(([name, suffix]): Detector => ({ name, claims: o => (group(o).endsWith(suffix) ? `${o.kind} ${o.metadata?.name} (${o.apiVersion})` : undefined) })),
];

/** The mesh whose semantics evaluate these objects; throws a `MeshDetectionError` when none or several can. */
export function detectMesh(objects: readonly KubeObject[]): MeshName {
  const found = new Map<Detector, string>();
  for (const o of objects) {
    for (const d of DETECTORS) {
      if (found.has(d)) continue;
      const why = d.claims(o);
      if (why) found.set(d, why);
    }
  }
  // An ambient render is written with Istio's own kinds too: it is one mesh, evaluated as ambient.
  const ambient = DETECTORS.find(d => d.evaluated === 'istio-ambient')!;
  if (found.has(ambient)) found.delete(DETECTORS.find(d => d.evaluated === 'istio')!);
  const unevaluated = [...found].filter(([d]) => !d.evaluated);
  if (unevaluated.length > 0) {
    throw new MeshDetectionError(`${unevaluated.map(([d, why]) => `${d.name} (${why})`).join('; ')}: soma-mesh evaluates Istio (sidecar and ambient) and Linkerd only, so it refuses to read access from this YAML rather than show it open`);
  }
  const evaluated = [...found].filter(([d]) => d.evaluated);
  if (evaluated.length > 1) {
    throw new MeshDetectionError(`the objects mix ${evaluated.map(([d, why]) => `${d.name} (${why})`).join(' and ')}: review each mesh's render on its own`);
  }
  return evaluated[0]?.[0].evaluated ?? 'istio';
}

/**
 * Thrown when objects mix meshes or name none. TypeScript only: other languages see the message.
 * @jsii ignore
 */
export class MeshDetectionError extends Error {}
