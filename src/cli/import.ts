import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { compareWithRender, RenderComparison } from '../review/import/against-render';
import { importProblems } from '../review/import/input-checks';
import { proposeMesh } from '../review/import/propose-mesh';
import type { ImportProposal } from '../review/import/proposal';
import { typescriptModule } from '../review/import/typescript-module';
import type { KubeObject, PeerWorkload } from '../review/inventory';
import { linkerdAccessMatrix } from '../review/linkerd/access';
import { accessMatrix } from '../review/matrix';
import { detectMesh } from '../review/mesh-detection';
import { formatPath } from '../review/object-validation';
import { InputError, loadObjects, loadPeers } from './load';

/** `soma-mesh import`: a folder of YAML in, the declared mesh it implies out (see docs/import.md). */

export const IMPORT_USAGE = `usage: soma-mesh import DIR [--namespace NS] [--format text|json|ts] [--out FILE] [--existing NAME]
                        [--image-tag TAG] [--against RENDER [--peers FILE]]

  DIR                 Kubernetes YAML: plain manifests, \`helm template\` output, kustomize builds
  --namespace NS      the namespace of objects that name none (default: default)
  --format FORMAT     text (default): a summary; json: { services, calls, external, unresolved, peers };
                      ts: a TypeScript module on soma-mesh's API that renders the proposed mesh
  --out FILE          write there (whole, or not at all) instead of standard output
  --existing NAME     declare this workload (name or namespace/name) as an ExistingWorkload (repeatable)
  --image-tag TAG     ts: the tag for images the input leaves unpinned (no tag or latest)
  --against RENDER    compare with the access matrix of a render: the proposed calls it denies, and its rows
                      that no evidence supports; exits 1 when there is either
  --peers FILE        --against: workloads other charts deploy (see soma-mesh --help)
`;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface ImportArgs {
  dir: string;
  namespace?: string;
  format: string;
  out?: string;
  existing: string[];
  imageTag?: string;
  against?: string;
  peers: PeerWorkload[];
}

const WITH_VALUE = new Set(['--namespace', '--format', '--out', '--existing', '--image-tag', '--against', '--peers']);

function parseImportArgs(argv: string[]): ImportArgs | 'help' {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (WITH_VALUE.has(name)) {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new InputError(`${name} needs a value (see soma-mesh import --help)`);
      values.set(name, [...(values.get(name) ?? []), v]);
    } else if (arg.startsWith('-')
      && arg !== '-') throw new InputError(`unknown option ${name} (see soma-mesh import --help)`);
    else positional.push(arg);
  }
  const one = (name: string) => {
    const list = values.get(name);
    if (list && list.length > 1) throw new InputError(`${name} given ${list.length} times: give it once`);
    return list?.[0];
  };
  if (positional.length !== 1) throw new InputError(IMPORT_USAGE.split('\n')[0]);
  const format = one('--format') ?? 'text';
  if (!['text', 'json', 'ts'].includes(format)) throw new InputError(`--format ${format} is not one of text, json, ts`);
  const namespace = one('--namespace');
  if (namespace !== undefined
    && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new InputError(`--namespace ${namespace} is not a namespace name (lower-case letters, digits and '-')`);
  const imageTag = one('--image-tag');
  if (imageTag !== undefined
    && !/^[\w][\w.-]{0,127}$/.test(imageTag)) throw new InputError(`--image-tag ${imageTag} is not an image tag (letters, digits, '_', '.', '-')`);
  const against = one('--against');
  if (values.has('--peers') && against === undefined) throw new InputError('--peers is read with --against RENDER');
  return {
    dir: positional[0], namespace, format, out: one('--out'), existing: values.get('--existing') ?? [], imageTag,
      against,
    peers: (values.get('--peers') ?? []).flatMap(f => loadPeers(f)),
  };
}

export function runImport(argv: string[], io: Io): number {
  const args = parseImportArgs(argv);
  if (args === 'help') { io.out(IMPORT_USAGE); return 0; }
  const { objects, sources } = loadObjects(args.dir, text => io.err(`soma-mesh: notice: ${text}\n`));
  refuseProblems(objects, sources);
  const proposal = proposeMesh(objects, { namespace: args.namespace, existing: args.existing, sources });
  const unknown = args.existing.filter(e => !proposal.services.some(s => s.name === e
    || `${s.namespace}/${s.name}` === e));
  if (unknown.length > 0) throw new InputError(`--existing ${unknown.join(', ')}: no such workload in ${args.dir}`);
  let text: string;
  let code = 0;
  if (args.against !== undefined) {
    const render = loadObjects(args.against, t => io.err(`soma-mesh: notice: ${t}\n`)).objects;
    const matrix = detectMesh(render) === 'linkerd' ? linkerdAccessMatrix(render,
      { peers: args.peers }) : accessMatrix(render, { peers: args.peers });
    const comparison = compareWithRender(proposal, matrix);
    text = args.format === 'json' ? JSON.stringify(comparison, null, 2) + '\n' : formatComparison(comparison);
    code = comparison.denied.length > 0 || comparison.unsupported.length > 0 ? 1 : 0;
  } else if (args.format === 'json') {
    text = JSON.stringify(proposal, null, 2) + '\n';
  } else if (args.format === 'ts') {
    const module = typescriptModule(proposal, { source: args.dir, imageTag: args.imageTag });
    text = module.text;
    if (module.unpinned.length > 0 && !args.imageTag) {
      io.err(`soma-mesh: notice: ${module.unpinned.length} image(s) are unpinned (${[...new Set(module.unpinned)].join(', ')}): pin them in the module, or give --image-tag TAG\n`);
    }
  } else {
    text = formatProposal(proposal);
  }
  if (args.out !== undefined) writeWhole(args.out, text);
  else io.out(text);
  return code;
}

/** Problems in the fields the import reads, as `FILE:LINE: Kind ns/name: field: what is wrong`. */
function refuseProblems(objects: KubeObject[], sources: Map<KubeObject, string>): void {
  const problems = importProblems(objects);
  if (problems.length === 0) return;
  const lines = problems.slice(0, 50).map(p => {
    const where = fieldLine(sources.get(p.object), p.path);
    const ns = p.object.metadata?.namespace ? `${p.object.metadata.namespace}/` : '';
    return `${where}: ${p.object.kind} ${ns}${p.object.metadata?.name}: ${formatPath(p.path)}: ${p.message}`;
  });
  if (problems.length > 50) lines.push(`... and ${problems.length - 50} more problems`);
  const one = problems.length === 1;
  throw new InputError(`${lines.join('\n')}\n${one ? 'this object is' : 'these objects are'} invalid: the API server would refuse ${one ? 'it' : 'them'}; fix ${one ? 'it' : 'them'} and run again`);
}

/** `file:line` of a field, from the `file:line` of its object's document. */
function fieldLine(source: string | undefined, fieldPath: Array<string | number>): string {
  if (!source) return '?';
  const m = /^(.*):(\d+)$/.exec(source);
  if (!m) return source;
  const [, file, line] = m;
  try {
    const lines = new LineCounter();
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { lineCounter: lines });
    for (const doc of Array.isArray(docs) ? docs : []) {
      const range = doc.contents?.range;
      if (!range || lines.linePos(range[0]).line !== Number(line)) continue;
      for (let n = fieldPath.length; n > 0; n--) {
        const parent: any = doc.getIn(fieldPath.slice(0, n - 1), true);
        const last = fieldPath[n - 1];
        const pair = typeof last === 'string' ? parent?.items?.find((p: any) => p?.key?.value === last) : undefined;
        const node: any = pair?.key ?? doc.getIn(fieldPath.slice(0, n), true);
        if (node?.range) return `${file}:${lines.linePos(node.range[0]).line}`;
      }
    }
  } catch {
    // The loader read this file a moment ago; if it cannot be read again, the object's own line still says where.
  }
  return source;
}

function writeWhole(file: string, text: string): void {
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new InputError(`${file}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function formatProposal(p: ImportProposal): string {
  const lines: string[] = [];
  lines.push(`Services (${p.services.length}):`);
  for (const s of p.services) {
    const ports = s.ports.map(x => `${x.port}${x.targetPort !== x.port ? `->${x.targetPort}` : ''}/${x.protocol}`).join(' ') || 'no port';
    lines.push(`  ${s.declaration.padEnd(16)} ${s.namespace}/${s.name}  ${s.image}  ${ports}${s.existingBecause ? `  (${s.existingBecause})` : ''}`);
  }
  lines.push('', `Calls (${p.calls.length}):`);
  for (const c of p.calls) {
    lines.push(`  ${c.from} -> ${c.to}:${c.port} ${c.protocol}`);
    for (const e of c.evidence) lines.push(`      ${e}`);
  }
  lines.push('', `External hosts (${p.external.length}):`);
  for (const e of p.external) lines.push(`  ${e.from} -> ${e.host}:${e.port}`, ...e.evidence.map(x => `      ${x}`));
  lines.push('', `Unresolved (${p.unresolved.length}):`);
  for (const u of p.unresolved) lines.push(`  ${u.from}: ${u.evidence}`, `      ${u.reason}`);
  if (p.notes.length > 0) lines.push('', `Notes (${p.notes.length}):`, ...p.notes.map(n => `  ${n}`));
  return lines.join('\n') + '\n';
}

function formatComparison(c: RenderComparison): string {
  const lines = [`Proposed calls the render denies (${c.denied.length}):`];
  for (const d of c.denied) lines.push(`  ${d.from} -> ${d.to}:${d.port} (container port ${d.targetPort})`,
    ...d.evidence.map(e => `      ${e}`));
  lines.push('', `Render rows no evidence supports (${c.unsupported.length}):`);
  for (const u of c.unsupported) lines.push(`  ${u.from} -> ${u.to}:${u.port} ${u.protocol} (${u.policy})`);
  lines.push('', `${c.admitted} proposed call(s) the render admits.`);
  return lines.join('\n') + '\n';
}
