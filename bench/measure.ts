import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What one cold process cost, measured from outside it. */
export interface ProcessCost {
  /** Wall time from spawn to exit, in ms. */
  readonly wallMs: number;
  /** Peak resident memory of the process tree's largest process, in KiB. */
  readonly maxRssKb: number;
  /** CPU time (user + system) of the process and the children it waited for, in ms. */
  readonly cpuMs: number;
  readonly stdout: string;
}

const GNU_TIME = '/usr/bin/time';
export const HAS_GNU_TIME = fs.existsSync(GNU_TIME);

/**
 * Runs a command as a cold process and measures its wall time, CPU time and peak memory: with GNU time
 * (`%M`, the largest resident set among the process and the children it waited for; `%U %S`, their CPU) when
 * present, else by loading `report-rss` into every node process of the command.
 */
export function runCold(command: string, args: readonly string[], options: SpawnSyncOptions = {}): ProcessCost {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bench-proc-'));
  const rssFile = path.join(scratch, 'rss');
  try {
    let argv: string[];
    let env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]; // `{ KEY: undefined }` unsets KEY
    if (HAS_GNU_TIME) {
      argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, command, ...args];
    } else {
      argv = [command, ...args];
      const hook = path.join(__dirname, 'report-rss.js');
      env = { ...env, SOMA_BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${hook}`.trim() };
    }
    const start = performance.now();
    const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options, env });
    const wallMs = performance.now() - start;
    if (result.status !== 0) {
      throw new Error(`${[command, ...args].join(' ')} exited with ${result.status}: ${result.stderr}`);
    }
    // One line per process measured: peak RSS (KiB), then user and system CPU (seconds).
    const lines = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split('\n') : [];
    const rows = lines.map(l => l.trim().split(/\s+/).map(Number))
      .filter(r => r.length === 3 && r.every(n => !Number.isNaN(n)));
    const rss = rows.map(r => r[0]);
    // GNU time counts the children it waited for; the hook's lines are one per node process, so they add up.
    const cpuMs = rows.length > 0 ? rows.reduce((sum, r) => sum + (r[1] + r[2]) * 1000, 0) : NaN;
    return { wallMs, maxRssKb: rss.length > 0 ? Math.max(...rss) : NaN, cpuMs, stdout: String(result.stdout) };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
