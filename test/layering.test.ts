import * as fs from 'fs';
import * as path from 'path';

/**
 * The layers and what each may import (docs/architecture.md): HTTP facts at the bottom, shared by all; the model is
 * mesh-neutral, renderers turn it into one mesh's objects, review reads plain objects, commands are thin, the
 * SomaAgentHub app uses the public API only.
 */
const ROOT = path.resolve(__dirname, '..');

type Layer = 'http' | 'model' | 'renderers' | 'review' | 'commands' | 'entry' | 'app' | 'generated';

const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  http: ['http'],
  model: ['http', 'model'],
  renderers: ['http', 'model', 'renderers', 'review', 'generated'],
  review: ['http', 'review'],
  commands: ['model', 'renderers', 'review', 'commands'],
  entry: ['http', 'model', 'renderers', 'review', 'commands', 'generated'],
  app: ['app', 'entry'],
  generated: ['generated'],
};

function layerOf(file: string): Layer | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (rel === 'src/index.ts') return 'entry';
  if (rel.startsWith('src/http/')) return 'http';
  if (rel.startsWith('src/model/')) return 'model';
  if (rel.startsWith('src/renderers/')) return 'renderers';
  if (rel.startsWith('src/review/')) return 'review';
  if (rel.startsWith('src/cli/') || rel === 'src/synthesize.ts' || rel === 'src/synthesis.ts') return 'commands';
  if (rel.startsWith('app/')) return 'app';
  if (rel.startsWith('imports/')) return 'generated';
  return undefined;
}

/** Import specifiers of a TypeScript source (static, dynamic, require), each saying whether it is erased (`import type`). */
function specifiers(text: string): Array<{ spec: string; typeOnly: boolean }> {
  const found: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/\b(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/g)) found.push({ spec: m[3], typeOnly: !!m[2] });
  for (const m of text.matchAll(/\bimport\s+['"]([^'"]+)['"]/g)) found.push({ spec: m[1], typeOnly: false });
  for (const m of text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1], typeOnly: false });
  return found;
}

/** Packages of a mesh's own vocabulary that the mesh-neutral model must not reach for. */
const MESH_SPECIFIC_PACKAGES = [/istio/i, /linkerd/i];

interface Source { readonly file: string; readonly text: string }

/** Every rule broken by a set of sources, and every import cycle among them. */
function violations(sources: readonly Source[]): string[] {
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const { file, text } of sources) {
    const layer = layerOf(file);
    if (!layer) {
      problems.push(`${rel(file)}: in no layer: put it under src/http, src/model, src/renderers, src/review, src/cli or app`);
      continue;
    }
    const targets: string[] = [];
    for (const { spec, typeOnly } of specifiers(text)) {
      if (!spec.startsWith('.')) {
        if (layer === 'model' && MESH_SPECIFIC_PACKAGES.some(p => p.test(spec))) problems.push(`${rel(file)}: the model imports the mesh package ${spec}`);
        continue;
      }
      const target = resolve(file, spec);
      const targetLayer = target ? layerOf(target) : undefined;
      if (!target || !targetLayer) {
        problems.push(`${rel(file)}: imports ${spec}, which is in no layer`);
        continue;
      }
      if (!MAY_IMPORT[layer].includes(targetLayer)) problems.push(`${rel(file)}: ${layer} imports ${targetLayer} (${spec})`);
      // A type-only import is erased at compile time, so it cannot take part in a load-order cycle; layers still hold for it.
      if (!typeOnly) targets.push(target);
    }
    graph.set(file, targets);
  }
  for (const cycle of cycles(graph)) problems.push(`import cycle: ${cycle.map(rel).join(' -> ')}`);
  return problems;
}

function rel(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find(candidate => known.has(candidate) || fs.existsSync(candidate));
}

/** The cycles of a directed graph (runtime imports), one per strongly connected component of more than one file (or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) result.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return result;
}

function sourcesUnder(dir: string): Source[] {
  const out: Source[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push({ file: full, text: fs.readFileSync(full, 'utf8') });
  }
  return out;
}

const real = [...sourcesUnder(path.join(ROOT, 'src')), ...sourcesUnder(path.join(ROOT, 'app'))];
const known = new Set(real.map(s => s.file));

describe('layering', () => {
  test('src/ and app/ import only downward, with no cycle', () => {
    expect(violations(real)).toEqual([]);
  });

  test('every layer has files (the rules above are not vacuous)', () => {
    const layers = new Set(real.map(s => layerOf(s.file)));
    for (const layer of ['http', 'model', 'renderers', 'review', 'commands', 'entry', 'app'] as const) expect(layers).toContain(layer);
  });

  test('fails when a model file imports a renderer', () => {
    const mesh = path.join(ROOT, 'src/model/mesh.ts');
    const edited = real.map(s => (s.file === mesh ? { file: s.file, text: `import { IstioRenderer } from '../renderers/istio/istio-renderer';\n${s.text}` } : s));
    expect(violations(edited)).toEqual(expect.arrayContaining(['src/model/mesh.ts: model imports renderers (../renderers/istio/istio-renderer)']));
  });

  test('fails when a review file imports the model', () => {
    const matrix = path.join(ROOT, 'src/review/matrix.ts');
    const edited = real.map(s => (s.file === matrix ? { file: s.file, text: `import type { Mesh } from '../model/mesh';\n${s.text}` } : s));
    expect(violations(edited)).toEqual(['src/review/matrix.ts: review imports model (../model/mesh)']);
  });

  test('fails when the app reaches past the public API, or the model names a mesh package', () => {
    const hub = path.join(ROOT, 'app/soma-agent-hub.ts');
    const call = path.join(ROOT, 'src/model/call.ts');
    const edited = real.map(s => {
      if (s.file === hub) return { file: s.file, text: `import { Mesh } from '../src/model/mesh';\n${s.text}` };
      if (s.file === call) return { file: s.file, text: `import * as i from '@istio/api';\n${s.text}` };
      return s;
    });
    expect(violations(edited).sort()).toEqual([
      'app/soma-agent-hub.ts: app imports model (../src/model/mesh)',
      'src/model/call.ts: the model imports the mesh package @istio/api',
    ]);
  });

  test('finds an import cycle', () => {
    const validation = path.join(ROOT, 'src/model/validation.ts');
    const edited = real.map(s => (s.file === validation ? { file: s.file, text: `import { Mesh } from './mesh';\n${s.text}` } : s));
    expect(violations(edited).some(p => p.startsWith('import cycle:') && p.includes('src/model/validation.ts'))).toBe(true);
  });
});
