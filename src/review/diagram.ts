import { AccessEntry, AccessMatrix } from './matrix';
import { LabelSelector } from './label-selector';

/** One arrow of a call-graph picture. */
export interface DiagramEdge {
  /** `namespace/name` */
  readonly from: string;
  /** `namespace/name`, an external host, or `*` for any host (unlisted egress). */
  readonly to: string;
  readonly port: number;
  readonly methods: string[];
}

/** The node that stands for destinations a workload may reach without a list (outbound ALLOW_ANY). */
export const UNLISTED_HOSTS = 'any host (unlisted egress)';

/** The host name that stands for any host in edges given to a diagram (a declared call graph's unlisted egress). */
export const ANY_HOST = '*';

/**
 * The allowed calls of an access matrix, as diagram edges, plus the external hosts read from the YAML:
 * a Sidecar that imports a ServiceEntry's host lets its workload reach that host; ALLOW_ANY lets it reach any.
 */
export function edgesOfMatrix(matrix: AccessMatrix, objects: readonly any[] = []): DiagramEdge[] {
  // The kubelet's probe routes (Linkerd's default one, or routes open to the nodes' networks) are not calls of the graph.
  const probe = (e: AccessEntry) => (e.notes ?? []).some(n => n.includes('probe route'))
    || (e.conditions.length > 0 && e.conditions.every(c => c.startsWith('the client IP in ')));
  const calls = matrix.entries.filter(e => !probe(e))
    .map(e => ({ from: e.from, to: e.to, port: e.port, methods: e.methods }));
  const entries = objects.filter(o => o?.kind === 'ServiceEntry' && o.spec?.location === 'MESH_EXTERNAL');
  const workloads = objects.filter(o => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o?.kind));
  const external: DiagramEdge[] = [];
  for (const sidecar of objects.filter(o => o?.kind === 'Sidecar' && o.spec?.workloadSelector)) {
    const ns = sidecar.metadata.namespace;
    const labels: Record<string, string> = sidecar.spec.workloadSelector.labels ?? {};
    const workload = workloads.find(w => w.metadata.namespace === ns
      && LabelSelector.matchesLabels(labels, w.spec?.template?.metadata?.labels ?? {}));
    const from = `${ns}/${workload?.spec?.template?.metadata?.labels?.app ?? sidecar.metadata.name}`;
    const imported: string[] = (sidecar.spec.egress ?? []).flatMap((e: any) => e.hosts ?? []);
    for (const entry of entries) {
      const visible = imported.some(h => h === `${entry.metadata.namespace}/${entry.spec.hosts[0]}` || h === `*/${entry.spec.hosts[0]}`);
      if (visible && entry.metadata.namespace === ns) {
        for (const port of entry.spec.ports ?? []) external.push({ from, to: entry.spec.hosts[0], port: port.number, methods: [] });
      }
    }
    if (sidecar.spec.outboundTrafficPolicy?.mode === 'ALLOW_ANY') external.push({ from, to: UNLISTED_HOSTS, port: 443, methods: [] });
  }
  return [...calls, ...external];
}

/** Merges the edges of one caller to one callee port (their methods unite; none means any). */
function merged(edges: readonly DiagramEdge[]): Array<{ from: string; to: string; label: string }> {
  const byKey = new Map<string, { from: string; to: string; port: number; methods: Set<string>; any: boolean }>();
  for (const e of edges) {
    const k = `${e.from}|${e.to}|${e.port}`;
    const m = byKey.get(k) ?? { from: e.from, to: e.to, port: e.port, methods: new Set<string>(), any: false };
    if (e.methods.length === 0) m.any = true;
    for (const method of e.methods) m.methods.add(method);
    byKey.set(k, m);
  }
  return [...byKey.values()].map(m => ({
    from: m.from, to: m.to, label: m.any || m.methods.size === 0 ? `${m.port}` : `${m.port} ${[...m.methods].sort().join(',')}`,
  }));
}

function namespaces(edges: readonly DiagramEdge[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const id of new Set(edges.flatMap(e => [e.from, e.to]))) {
    const ns = id.includes('/') && !id.includes('/ns/') ? id.split('/')[0] : '(outside)';
    const list = result.get(ns) ?? [];
    list.push(id);
    result.set(ns, list);
  }
  return result;
}

const nodeId = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');
const nodeLabel = (id: string) => (id.includes('/ns/') || !id.includes('/') ? id : id.split('/')[1]);

/** The edges with `*` (any host) shown as the unlisted-egress node. */
const withNodeNames = (edges: readonly DiagramEdge[]) => edges.map(e => (e.to === ANY_HOST ? { ...e, to: UNLISTED_HOSTS } : e));

/** A Mermaid flowchart: one subgraph per namespace, one arrow per caller and callee port. */
export function toMermaid(declared: readonly DiagramEdge[]): string {
  const edges = withNodeNames(declared);
  const lines = ['flowchart LR'];
  for (const [ns, ids] of [...namespaces(edges)].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  subgraph ${nodeId(`ns ${ns}`)}["${ns}"]`);
    for (const id of ids.sort()) lines.push(`    ${nodeId(id)}["${nodeLabel(id)}"]`);
    lines.push('  end');
  }
  for (const e of merged(edges)) lines.push(`  ${nodeId(e.from)} -->|"${e.label}"| ${nodeId(e.to)}`);
  return lines.join('\n') + '\n';
}

/** A Graphviz DOT digraph: one cluster per namespace. */
export function toDot(declared: readonly DiagramEdge[]): string {
  const edges = withNodeNames(declared);
  const lines = ['digraph calls {', '  rankdir=LR;', '  node [shape=box];'];
  for (const [ns, ids] of [...namespaces(edges)].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  subgraph "cluster_${ns}" {`, `    label="${ns}";`);
    for (const id of ids.sort()) lines.push(`    "${id}" [label="${nodeLabel(id)}"];`);
    lines.push('  }');
  }
  for (const e of merged(edges)) lines.push(`  "${e.from}" -> "${e.to}" [label="${e.label}"];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
