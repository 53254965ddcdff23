import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { diffMatrices, diffObjects } from '../review/diff';
import { linkerdAccessMatrix } from '../review/linkerd/access';
import { DEFAULT_POLICIES } from '../review/linkerd/workloads';
import { DiagramEdge, edgesOfMatrix, toDot, toMermaid } from '../review/diagram';
import { AccessMatrix, AccessMatrixOptions, accessMatrix } from '../review/matrix';
import { analyze } from '../review/analyze';
import { KubeObject, PeerWorkload } from '../review/inventory';
import { detectMesh, MeshDetectionError } from '../review/mesh-detection';
import { formatDiff, formatFindings, formatMatrix } from './format';
import { InputError, LoadedObjects, loadObjects, loadPeers } from './load';
import { runImport } from './import';

export const USAGE = `usage: soma-mesh <command> [options]

commands:
  matrix DIR          who can call whom: caller, callee, port, methods, paths, mTLS
  diff OLD NEW        access changes between two renders; exits 1 when access widened
  graph DIR           the call graph as a picture: the matrix of a render in DIR
  graph --app FILE    ... or the declared call graph of the cdk8s app (a chart class) exported by FILE
  check DIR           the analyzer (docs/analyzer.md); exits 1 on any error
  import DIR          the mesh a folder of YAML implies: services, calls with evidence (soma-mesh import --help)

options:
  --format FORMAT     matrix, diff: text (default), json, markdown; check: text, json; graph: mermaid (default), dot
  --peers FILE        workloads deployed by other charts (JSON or YAML: a list, {"peers": [...]} or a call-graph's "infra")
  --trust-domain TD   the mesh's trust domain (default cluster.local)
  --trust-domain-alias TD  a trust domain treated as the local one (repeatable)
  --root-namespace NS the mesh's root namespace (default istio-system)
  --cluster-domain D  the cluster's DNS domain, of Service hosts (default cluster.local)
  --default-inbound-policy P  Linkerd: the cluster's default inbound policy (default all-unauthenticated)
  --allow-widening    diff: exit 0 even when access widened
  --app FILE          graph: a compiled module exporting a chart class, constructed as new Chart(new App(), 'app')
  --export NAME       graph --app: which export (default: \`default\`, or the module's only exported class)
  -h, --help          this text
  -V, --version       the version

DIR is a folder (every .yaml, .yml and .json file under it, in name order) or one file. Exit codes: 0 fine,
1 findings (check) or widened access (diff), 2 bad input. docs/review.md says what the matrix decides.
`;

/** Where the command writes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_IO: Io = { out: t => process.stdout.write(t), err: t => process.stderr.write(t) };

interface Args {
  readonly positional: string[];
  readonly format?: string;
  readonly peers: PeerWorkload[];
  readonly allowWidening: boolean;
  readonly app?: string;
  readonly exportName?: string;
  readonly help: boolean;
  readonly version: boolean;
  readonly mesh: AccessMatrixOptions;
  readonly linkerdDefault: string;
}

const FLAGS = new Set(['--allow-widening', '--help', '--version']);
const WITH_VALUE = new Set(['--format', '--peers', '--app', '--export', '--trust-domain', '--trust-domain-alias', '--root-namespace',
  '--default-inbound-policy', '--cluster-domain']);

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  let allowWidening = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (WITH_VALUE.has(name)) {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new InputError(`${name} needs a value (see soma-mesh --help)`);
      values.set(name, [...(values.get(name) ?? []), v]);
    } else if (eq > 0 && FLAGS.has(name)) throw new InputError(`${name} takes no value (see soma-mesh --help)`);
    else if (eq > 0) throw new InputError(`unknown option ${name} (see soma-mesh --help)`);
    else if (arg === '--allow-widening') allowWidening = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version' || arg === '-V') version = true;
    else if (arg.startsWith('-') && arg !== '-') throw new InputError(`unknown option ${arg} (see soma-mesh --help)`);
    else positional.push(arg);
  }
  const one = (name: string) => {
    const list = values.get(name);
    if (list && list.length > 1) throw new InputError(`${name} given ${list.length} times: give it once`);
    return list?.[0];
  };
  const peers = (values.get('--peers') ?? []).flatMap(file => loadPeers(file));
  const mesh: AccessMatrixOptions = {
    peers, trustDomain: one('--trust-domain'), trustDomainAliases: values.get('--trust-domain-alias'), rootNamespace: one('--root-namespace'),
    clusterDomain: one('--cluster-domain'),
  };
  const linkerdDefault = one('--default-inbound-policy') ?? 'all-unauthenticated';
  if (!DEFAULT_POLICIES.includes(linkerdDefault)) throw new InputError(`--default-inbound-policy ${linkerdDefault} is not one of ${DEFAULT_POLICIES.join(', ')}`);
  return { positional, format: one('--format'), peers, allowWidening, app: one('--app'), exportName: one('--export'), help, version, mesh, linkerdDefault };
}

/** The package's version, from its package.json. */
export function version(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'soma-mesh') return String(pkg.version);
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

function expectFormat(format: string | undefined, allowed: string[], fallback: string): string {
  const f = format ?? fallback;
  if (!allowed.includes(f)) throw new InputError(`--format ${f} is not one of ${allowed.join(', ')}`);
  return f;
}

function expectArgs(args: Args, count: number, usage: string): string[] {
  if (args.positional.length - 1 !== count) throw new InputError(`usage: soma-mesh ${usage}`);
  return args.positional.slice(1);
}

/** Runs the command; returns the exit code (0 fine, 1 findings or widened access, 2 bad input, 3 a bug). */
export function run(argv: string[], io: Io = PROCESS_IO): number {
  try {
    return runCommand(argv, io);
  } catch (error) {
    if (error instanceof InputError || error instanceof MeshDetectionError) {
      io.err(`soma-mesh: ${error.message}\n`);
      return 2;
    }
    // Every input is validated before it is evaluated; reaching this is a bug in soma-mesh, said plainly.
    const where = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.err(`soma-mesh: failed unexpectedly (${where}). This is a bug in soma-mesh, not in your input: please report it with the command and the YAML.\n`);
    return 3;
  }
}

function runCommand(argv: string[], io: Io): number {
  if (argv[0] === 'import') return runImport(argv.slice(1), io);
  const args = parseArgs(argv);
  if (args.help) { io.out(USAGE); return 0; }
  if (args.version) { io.out(`soma-mesh ${version()}\n`); return 0; }
  const command = args.positional[0];
  const load = (dir: string): LoadedObjects => loadObjects(dir, text => io.err(`soma-mesh: notice: ${text}\n`));
  const istio = (objects: KubeObject[], dir: string) => {
    if (detectMesh(objects) === 'linkerd') {
      throw new MeshDetectionError(`${dir} holds Linkerd objects, and check runs Istio's analyzer only: run \`soma-mesh matrix ${dir}\` `
        + 'to see who can call whom under Linkerd (diff and graph evaluate Linkerd too)');
    }
    return objects;
  };
  // Each mesh's objects are evaluated by that mesh's semantics.
  const matrixOf = (objects: KubeObject[]): AccessMatrix => (detectMesh(objects) === 'linkerd'
    ? linkerdAccessMatrix(objects, { peers: args.peers, clusterDefaultPolicy: args.linkerdDefault, trustDomain: args.mesh.trustDomain })
    : accessMatrix(objects, args.mesh));
  switch (command) {
    case 'matrix': {
      const [dir] = expectArgs(args, 1, 'matrix DIR [--format text|json|markdown] [--peers FILE]');
      const format = expectFormat(args.format, ['text', 'json', 'markdown'], 'text');
      io.out(formatMatrix(matrixOf(load(dir).objects), format));
      return 0;
    }
    case 'diff': {
      const [before, after] = expectArgs(args, 2, 'diff OLD NEW [--format text|json|markdown] [--peers FILE] [--allow-widening]');
      const format = expectFormat(args.format, ['text', 'json', 'markdown'], 'text');
      const old = load(before).objects;
      const next = load(after).objects;
      const [oldMesh, newMesh] = [detectMesh(old), detectMesh(next)];
      if (oldMesh !== newMesh) throw new MeshDetectionError(`${before} holds ${oldMesh} objects and ${after} ${newMesh} objects: compare renders of one mesh`);
      const diff = oldMesh === 'linkerd' ? diffMatrices(matrixOf(old), matrixOf(next)) : diffObjects(old, next, args.mesh);
      io.out(formatDiff(diff, format));
      return diff.widened && !args.allowWidening ? 1 : 0;
    }
    case 'graph': {
      const dir = args.positional[1];
      if (args.positional.length > 2 || (dir === undefined) === (args.app === undefined)) {
        throw new InputError('usage: soma-mesh graph DIR | --app FILE [--export NAME] [--format mermaid|dot] [--peers FILE]');
      }
      const format = expectFormat(args.format, ['mermaid', 'dot'], 'mermaid');
      let edges: DiagramEdge[];
      if (dir !== undefined) {
        const objects = load(dir).objects;
        edges = edgesOfMatrix(matrixOf(objects), objects);
      } else {
        edges = declaredEdges(args.app!, args.exportName);
      }
      io.out(format === 'dot' ? toDot(edges) : toMermaid(edges));
      return 0;
    }
    case 'check': {
      const [dir] = expectArgs(args, 1, 'check DIR [--format text|json] [--peers FILE]');
      const format = expectFormat(args.format, ['text', 'json'], 'text');
      const { objects, sources } = load(dir);
      const findings = analyze(istio(objects, dir), args.mesh);
      io.out(formatFindings(findings, sources, format));
      return findings.some(f => f.severity === 'error') ? 1 : 0;
    }
    case 'help':
      io.out(USAGE);
      return 0;
    case undefined:
      io.err(USAGE);
      return 2;
    default:
      throw new InputError(`unknown command "${command}" (commands: matrix, diff, graph, check, import; see soma-mesh --help)`);
  }
}

/** The declared call graphs of every mesh in the app a module exports (a chart class taking `(scope, id)`). */
function declaredEdges(file: string, exportName?: string): DiagramEdge[] {
  let module: Record<string, unknown>;
  try {
    module = require(path.resolve(file));
  } catch (error) {
    throw new InputError(`${file}: cannot load the app: ${(error as Error).message}`);
  }
  const classes = Object.entries(module).filter(([, v]) => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v)));
  const name = exportName ?? ('default' in module ? 'default' : classes.length === 1 ? classes[0][0] : undefined);
  const chart = name === undefined ? undefined : module[name];
  if (typeof chart !== 'function') {
    const found = classes.map(([n]) => n).join(', ') || 'none';
    throw new InputError(`${file}: name the chart class with --export (exported classes: ${found})`);
  }
  const app = new App();
  new (chart as new (scope: App, id: string) => IConstruct)(app, 'app');
  // Any construct with a call graph is a mesh; read by shape, so an app built on another copy of soma-mesh works too.
  const graphs = app.node.findAll().map(c => (c as { callGraph?: { edges?: () => DiagramEdge[] } }).callGraph).filter(g => typeof g?.edges === 'function');
  if (graphs.length === 0) throw new InputError(`${file}: the app ${name} declares no Mesh`);
  return graphs.flatMap(g => g!.edges!());
}
