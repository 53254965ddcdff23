import type { CallGraph } from '../mesh/call-graph';
import { AccessMatrix } from './matrix';

/** One arrow of a call-graph picture. */
export interface DiagramEdge {
  /** `namespace/name` */
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly methods: readonly string[];
}

/** The declared call graph of a mesh, as diagram edges. */
export function edgesOfCallGraph(graph: CallGraph): DiagramEdge[] {
  return graph.calls.map(c => ({
    from: `${c.caller.namespace.name}/${c.caller.name}`, to: `${c.callee.namespace.name}/${c.callee.name}`, port: c.port, methods: c.methods,
  }));
}

/** The allowed calls of an access matrix, as diagram edges. */
export function edgesOfMatrix(matrix: AccessMatrix): DiagramEdge[] {
  return matrix.entries.map(e => ({ from: e.from, to: e.to, port: e.port, methods: e.methods }));
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

/** A Mermaid flowchart: one subgraph per namespace, one arrow per caller and callee port. */
export function toMermaid(edges: readonly DiagramEdge[]): string {
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
export function toDot(edges: readonly DiagramEdge[]): string {
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
