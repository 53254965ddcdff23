import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './manifests';

/**
 * A throw-away copy of the project (bin/, compiled lib/, releases.json and the output folders; sources and
 * node_modules linked) where synth and release run as real processes, to be killed, starved of disk or raced.
 * Knows nothing of how synth works: it runs the commands and reads the files back.
 */
/** The committed output folders: dist/ and every dist-* beside it (one per mesh). */
export const OUTPUT_FOLDERS = fs.readdirSync(REPO_ROOT, { withFileTypes: true })
  .filter(e => e.isDirectory() && /^dist(-[a-z0-9-]+)?$/.test(e.name)).map(e => e.name).sort();
const PRELOAD = path.join(__dirname, 'fault-preload.js');

/** A fault for one command: SIGKILL or ENOSPC at the n-th file-system change (see fault-preload.js). */
export interface Fault {
  readonly mode: 'kill' | 'enospc' | 'count';
  readonly at?: number;
  readonly countFile?: string;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** What a test compares: the release file's text, a digest of each output folder, and what synth leaves behind. */
export interface Snapshot {
  readonly releases: string;
  readonly folders: Record<string, string>;
  /** Names in the project folder that only an unfinished synth or release leaves: staging, journal, lock. */
  readonly leftovers: string[];
  readonly journal: boolean;
  readonly lock: boolean;
}

/** Brings the repository's lib/ up to date once (as `npm run synth` does), for sandboxes to copy. */
export function buildLib(): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synth.js'), '--build-only'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bin/synth.js --build-only failed: ${result.stderr}`);
}

export class Sandbox {
  public static create(prefix: string): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.cpSync(path.join(REPO_ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
    for (const folder of OUTPUT_FOLDERS) fs.cpSync(path.join(REPO_ROOT, folder), path.join(dir, folder), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'releases.json'), path.join(dir, 'releases.json'));
    for (const linked of ['node_modules', 'src', 'app', 'imports']) fs.symlinkSync(path.join(REPO_ROOT, linked), path.join(dir, linked));
    // lib/ was just copied from a current build: no command here needs to compile.
    fs.writeFileSync(path.join(dir, 'lib', '.build-stamp'), new Date(Date.now() + 3_600_000).toISOString());
    const future = new Date(Date.now() + 3_600_000);
    fs.utimesSync(path.join(dir, 'lib', '.build-stamp'), future, future);
    return new Sandbox(dir);
  }

  private constructor(public readonly dir: string) {}

  /** Starts `bin/<command>.js args` here, with a fault when given; `kill` it for a random kill. */
  public start(command: 'synth' | 'release', args: readonly string[] = [], fault?: Fault, env: Record<string, string> = {}): { child: ChildProcess; done: Promise<RunResult> } {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(this.dir, 'bin', `${command}.js`), ...args], {
      cwd: this.dir,
      env: {
        ...process.env,
        NODE_OPTIONS: `-r ${PRELOAD}`,
        SOMA_FAULT_MODE: fault?.mode ?? '',
        SOMA_FAULT_AT: String(fault?.at ?? 0),
        SOMA_FAULT_COUNT_FILE: fault?.countFile ?? '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', d => { stdout += d; });
    child.stderr!.on('data', d => { stderr += d; });
    const done = new Promise<RunResult>(resolve => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started })));
    return { child, done };
  }

  public run(command: 'synth' | 'release', args: readonly string[] = [], fault?: Fault, env: Record<string, string> = {}): Promise<RunResult> {
    return this.start(command, args, fault, env).done;
  }

  /** The number of file-system changes and of writes a clean run of the command makes. */
  public async count(command: 'synth' | 'release', args: readonly string[]): Promise<{ changes: number; writes: number }> {
    const countFile = path.join(os.tmpdir(), `soma-fault-count-${process.pid}-${Date.now()}.json`);
    const result = await this.run(command, args, { mode: 'count', countFile });
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    const counted = JSON.parse(fs.readFileSync(countFile, 'utf8'));
    fs.rmSync(countFile, { force: true });
    return counted;
  }

  public snapshot(): Snapshot {
    const names = fs.readdirSync(this.dir);
    const folders: Record<string, string> = {};
    for (const folder of OUTPUT_FOLDERS) folders[folder] = digest(path.join(this.dir, folder));
    return {
      releases: fs.readFileSync(path.join(this.dir, 'releases.json'), 'utf8'),
      folders,
      leftovers: names.filter(n => n.startsWith('.')).sort(),
      journal: names.includes('.soma-mesh.journal.json'),
      lock: names.includes('.soma-mesh.lock'),
    };
  }

  public writeReleases(text: string): void {
    const temp = path.join(this.dir, 'releases.json.test-tmp');
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, path.join(this.dir, 'releases.json'));
  }

  public remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A folder's file names and contents as one hash; "missing" when there is no folder. */
export function digest(dir: string): string {
  if (!fs.existsSync(dir)) return 'missing';
  const hash = createHash('sha256');
  const visit = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) visit(rel);
      else hash.update(`${rel}\0`).update(fs.readFileSync(path.join(dir, rel))).update('\0');
    }
  };
  visit('');
  return hash.digest('hex').slice(0, 16);
}

export { seededRandom as random } from './random';

/** A count from an environment variable (decimal), or the small default that keeps `npm test` quick. */
export function envCount(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (value === 'all') return Number.POSITIVE_INFINITY;
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new Error(`${name}="${value}" is not a count: give a decimal integer, or "all"`);
  return Number(value);
}
