import { App } from 'cdk8s';
import { diffObjects } from '../access/diff';
import { edgesOfCallGraph, edgesOfMatrix, toDot, toMermaid } from '../access/diagram';
import { accessMatrix } from '../access/matrix';
import { analyze } from '../analyzer/analyze';
import { PeerWorkload } from '../analyzer/inventory';
import { SomaAgentHub } from '../soma/soma-agent-hub';
import { formatDiff, formatFindings, formatMatrix } from './format';
import { InputError, loadObjects, loadPeers } from './load';

export const USAGE = `usage: soma-mesh <command> [options]

commands:
  matrix DIR          who can call whom: caller, callee, port, methods, paths, mTLS
  diff OLD NEW        access changes between two renders; exits 1 when access widened
  graph [DIR]         the call graph as a picture: SomaAgentHub's declared graph, or the matrix of DIR
  check DIR           the analyzer (docs/analyzer.md); exits 1 on any error

options:
  --format FORMAT     matrix, diff: text (default), json, markdown; check: text, json; graph: mermaid (default), dot
  --peers FILE        workloads deployed by other charts (JSON or YAML: a list, {"peers": [...]} or a call-graph's "infra")
  --allow-widening    diff: exit 0 even when access widened
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
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let format: string | undefined;
  let peers: PeerWorkload[] = [];
  let allowWidening = false;
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
    else if (arg.startsWith('-')) throw new InputError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { positional, format, peers, allowWidening };
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
        if (args.positional.length > 2) throw new InputError('usage: soma-mesh graph [DIR] [--format mermaid|dot] [--peers FILE]');
        const format = expectFormat(args.format, ['mermaid', 'dot'], 'mermaid');
        const dir = args.positional[1];
        const objects = dir ? loadObjects(dir).objects : [];
        const edges = dir ? edgesOfMatrix(accessMatrix(objects, args.peers), objects) : edgesOfCallGraph(new SomaAgentHub(new App(), 'soma-agent-hub').mesh.callGraph);
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
