import * as path from 'path';
import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { diffObjects } from '../review/diff';
import { DiagramEdge, edgesOfMatrix, toDot, toMermaid } from '../review/diagram';
import { accessMatrix } from '../review/matrix';
import { analyze } from '../review/analyze';
import { PeerWorkload } from '../review/inventory';
import { formatDiff, formatFindings, formatMatrix } from './format';
import { InputError, loadObjects, loadPeers } from './load';

export const USAGE = `usage: soma-mesh <command> [options]

commands:
  matrix DIR          who can call whom: caller, callee, port, methods, paths, mTLS
  diff OLD NEW        access changes between two renders; exits 1 when access widened
  graph DIR           the call graph as a picture: the matrix of a render in DIR
  graph --app FILE    ... or the declared call graph of the cdk8s app (a chart class) exported by FILE
  check DIR           the analyzer (docs/analyzer.md); exits 1 on any error

options:
  --format FORMAT     matrix, diff: text (default), json, markdown; check: text, json; graph: mermaid (default), dot
  --peers FILE        workloads deployed by other charts (JSON or YAML: a list, {"peers": [...]} or a call-graph's "infra")
  --allow-widening    diff: exit 0 even when access widened
  --app FILE          graph: a compiled module exporting a chart class, constructed as new Chart(new App(), 'app')
  --export NAME       graph --app: which export (default: \`default\`, or the module's only exported class)
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
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let format: string | undefined;
  let peers: PeerWorkload[] = [];
  let allowWidening = false;
  let app: string | undefined;
  let exportName: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--format') format = value();
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length);
    else if (arg === '--peers') peers = [...peers, ...loadPeers(value())];
    else if (arg === '--allow-widening') allowWidening = true;
    else if (arg === '--app') app = value();
    else if (arg === '--export') exportName = value();
    else if (arg.startsWith('-')) throw new InputError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { positional, format, peers, allowWidening, app, exportName };
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

/** Runs the command; returns the exit code (0 fine, 1 findings or widened access, 2 bad input). */
export function run(argv: string[], io: Io = PROCESS_IO): number {
  try {
    const args = parseArgs(argv);
    const command = args.positional[0];
    switch (command) {
      case 'matrix': {
        const [dir] = expectArgs(args, 1, 'matrix DIR [--format text|json|markdown] [--peers FILE]');
        const format = expectFormat(args.format, ['text', 'json', 'markdown'], 'text');
        io.out(formatMatrix(accessMatrix(loadObjects(dir).objects, args.peers), format));
        return 0;
      }
      case 'diff': {
        const [before, after] = expectArgs(args, 2, 'diff OLD NEW [--format text|json|markdown] [--peers FILE] [--allow-widening]');
        const format = expectFormat(args.format, ['text', 'json', 'markdown'], 'text');
        const diff = diffObjects(loadObjects(before).objects, loadObjects(after).objects, args.peers);
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
          const objects = loadObjects(dir).objects;
          edges = edgesOfMatrix(accessMatrix(objects, args.peers), objects);
        } else {
          edges = declaredEdges(args.app!, args.exportName);
        }
        io.out(format === 'dot' ? toDot(edges) : toMermaid(edges));
        return 0;
      }
      case 'check': {
        const [dir] = expectArgs(args, 1, 'check DIR [--format text|json] [--peers FILE]');
        const format = expectFormat(args.format, ['text', 'json'], 'text');
        const { objects, sources } = loadObjects(dir);
        const findings = analyze(objects, { peers: args.peers });
        io.out(formatFindings(findings, sources, format));
        return findings.some(f => f.severity === 'error') ? 1 : 0;
      }
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new InputError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    if (error instanceof InputError) {
      io.err(`soma-mesh: ${error.message}\n`);
      return 2;
    }
    throw error;
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
