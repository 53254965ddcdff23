import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildLib, envCount, OUTPUT_FOLDERS, random, RunResult, Sandbox, Snapshot } from './support/sandbox';

/**
 * Synth and release as transactions, proven on real processes in a copy of the project: killed at random moments
 * and at chosen file-system changes, failed with ENOSPC at each write, and raced. The oracle is an uninterrupted
 * run of the same command: after every fault, releases.json, dist/ and dist-linkerd/ are all the old state or all
 * the new one, and after the next command they agree, nothing is left behind, and that command said which.
 *
 * Sizes (small by default, for `npm test`): SOMA_FAULT_KILLS random kills of each command, SOMA_FAULT_POINTS chosen
 * kill points of each, SOMA_FAULT_ENOSPC writes failed of each, SOMA_FAULT_RACES concurrent rounds ("all" runs
 * every point or write); SOMA_FAULT_SEED repeats a random run.
 */
const KILLS = envCount('SOMA_FAULT_KILLS', 2);
const POINTS = envCount('SOMA_FAULT_POINTS', 2);
const ENOSPC = envCount('SOMA_FAULT_ENOSPC', 2);
const RACES = envCount('SOMA_FAULT_RACES', 1);
const SEED = envCount('SOMA_FAULT_SEED', Date.now() % 1_000_000);
const WEIGHTS = [1, 5, 25, 50];
/** A generous bound per command run, for the test timeouts (a run takes well under a second). */
const PER_RUN_MS = 4000;

interface State {
  readonly releases: string;
  readonly folders: Record<string, string>;
}

let sandbox: Sandbox;
/** The uninterrupted result of `release slm-service canary <w>` for each weight: the states a fault may leave. */
const states = new Map<number, State>();
let cleanMs = { synth: 0, release: 0 };
/** Where the kills landed, by what the next command found: for the report, and to see that every phase was hit. */
const stats: Record<string, { beforeLock: number; beforeCommit: number; afterCommit: number; finished: number }> = {};
let phase = '';
/** ENOSPC runs by command: refused with nothing changed, or (a write after the commit point) succeeded. */
const enospc: Record<string, { refused: number; succeeded: number }> = {};

const weightOf = (releases: string): number | undefined => [...states].find(([, s]) => s.releases === releases)?.[0];
const stateOf = (w: number) => states.get(w)!;

beforeAll(async () => {
  buildLib();
  const oracle = Sandbox.create('soma-fault-oracle-');
  try {
    for (const w of WEIGHTS) {
      const result = await oracle.run('release', ['slm-service', 'canary', String(w)]);
      expect(result.stderr).not.toMatch(/release failed/);
      cleanMs.release = Math.max(cleanMs.release, result.ms);
      const snap = oracle.snapshot();
      states.set(w, { releases: snap.releases, folders: snap.folders });
    }
    const synth = await oracle.run('synth');
    cleanMs.synth = synth.ms;
  } finally {
    oracle.remove();
  }
  // Every state renders differently, so a folder left from the wrong state cannot pass for the right one.
  for (const folder of OUTPUT_FOLDERS) expect(new Set(WEIGHTS.map(w => stateOf(w).folders[folder])).size).toBe(WEIGHTS.length);
  sandbox = Sandbox.create('soma-fault-');
  const start = await sandbox.run('release', ['slm-service', 'canary', '1']);
  expect(start.code).toBe(0);
  expectState(sandbox.snapshot(), 1);
}, 60_000);

afterAll(() => {
  sandbox?.remove();
  if (KILLS > 2 || POINTS > 2) {
    // eslint-disable-next-line no-console
    console.log(`fault injection (seed ${SEED}): kills ${JSON.stringify(stats)}; ENOSPC ${JSON.stringify(enospc)}; clean runs ${JSON.stringify(cleanMs)} ms`);
  }
});

/** Everything is exactly state `w`, and nothing of an unfinished command is left. */
function expectState(snap: Snapshot, w: number): void {
  expect(snap.leftovers).toEqual([]);
  expect(snap.releases).toBe(stateOf(w).releases);
  expect(snap.folders).toEqual(stateOf(w).folders);
}

/**
 * Right after a fault in a command that moves the project from `old` to `next` (release: file and folders; synth:
 * folders only, the file already says `next`): each output is one of the two states. Without a journal (nothing
 * committed, or everything applied) the folders and the file agree; only a committed journal may show a mix of old
 * and new folders, which the next command completes. No folder is ever missing: `kubectl apply -f dist/` may run at
 * any instant.
 */
function expectAfterFault(snap: Snapshot, old: number, next: number, command: 'synth' | 'release'): void {
  const allowed = [old, next].map(stateOf);
  if (command === 'release') expect(allowed.map(s => s.releases)).toContain(snap.releases);
  else expect(snap.releases).toBe(stateOf(next).releases);
  if (!snap.journal) {
    const agreed = command === 'release' ? weightOf(snap.releases)! : (snap.folders.dist === stateOf(old).folders.dist ? old : next);
    expect(snap.folders).toEqual(stateOf(agreed).folders);
  } else {
    for (const folder of OUTPUT_FOLDERS) expect(allowed.map(s => s.folders[folder])).toContain(snap.folders[folder]);
  }
}

/**
 * Runs the next command (`release <service> status`) after a fault, and checks that it put everything in one state,
 * left nothing behind and said what happened. Returns the state.
 */
async function nextCommand(afterFault: Snapshot, old: number, next: number, command: 'synth' | 'release'): Promise<number> {
  const counted = stats[`${command} ${phase}`] ??= { beforeLock: 0, beforeCommit: 0, afterCommit: 0, finished: 0 };
  const status = await sandbox.run('release', ['slm-service', 'status']);
  expect(status.code).toBe(0);
  const snap = sandbox.snapshot();
  expect(snap.leftovers).toEqual([]);
  const folderState = [old, next].find(w => stateOf(w).folders.dist === snap.folders.dist);
  expect(folderState).toBeDefined();
  expect(snap.folders).toEqual(stateOf(folderState!).folders);
  if (command === 'release') expect(snap.releases).toBe(stateOf(folderState!).releases);
  if (afterFault.journal) {
    expect(folderState).toBe(next);
    expect(status.stderr).toMatch(/was interrupted after it committed: it is now fully applied/);
    counted.afterCommit++;
  } else if (afterFault.lock) {
    expect(status.stderr).toMatch(/was interrupted before it committed: nothing of it was applied/);
    expect(folderState).toBe(old);
    counted.beforeCommit++;
  } else {
    // Killed before it took the lock (or after it finished): at most a temporary file to remove, nothing to report.
    expect(status.stderr).not.toMatch(/was interrupted/);
    if (folderState === old) counted.beforeLock++;
    else counted.finished++;
  }
  return folderState!;
}

/** Prepares one step from state `current`: a release to another weight, or (synth) the file edited to it. */
function step(current: number, rnd: () => number): number {
  const others = WEIGHTS.filter(w => w !== current);
  return others[Math.floor(rnd() * others.length)];
}

async function killedRun(command: 'synth' | 'release', next: number, kill: { afterMs?: number; at?: number }): Promise<RunResult> {
  if (command === 'synth') sandbox.writeReleases(stateOf(next).releases);
  const args = command === 'release' ? ['slm-service', 'canary', String(next)] : [];
  const { child, done } = sandbox.start(command, args, kill.at !== undefined ? { mode: 'kill', at: kill.at } : undefined);
  if (kill.afterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
  return done;
}

describe.each(['release', 'synth'] as const)('%s killed', command => {
  test(`at ${KILLS} random moments: every output stays in one state, and the next command completes or discards it`, async () => {
    phase = 'random kills';
    const rnd = random(SEED + (command === 'synth' ? 1 : 0));
    let current = weightOf(sandbox.snapshot().releases)!;
    for (let i = 0; i < KILLS; i++) {
      const next = step(current, rnd);
      // Half the kills anywhere in a run, half in its last 40% (rendering and committing), where a kill costs most.
      const from = i % 2 === 0 ? 0 : 0.6;
      const afterMs = Math.floor((from + rnd() * (1.1 - from)) * cleanMs[command]);
      await killedRun(command, next, { afterMs });
      const snap = sandbox.snapshot();
      expectAfterFault(snap, current, next, command);
      current = await nextCommand(snap, current, next, command);
      if (command === 'synth' && current !== next) {
        // The edit stays in releases.json; the folders follow it at the next synth.
        expect((await sandbox.run('synth')).code).toBe(0);
        expectState(sandbox.snapshot(), next);
        current = next;
      }
    }
  }, 30_000 + KILLS * 3 * PER_RUN_MS);

  test(`at ${Number.isFinite(POINTS) ? POINTS : 'every'} chosen file-system change(s), spread over a run`, async () => {
    phase = 'chosen kills';
    const from = weightOf(sandbox.snapshot().releases)!;
    const probe = step(from, () => 0);
    if (command === 'synth') sandbox.writeReleases(stateOf(probe).releases);
    const { changes } = await sandbox.count(command, command === 'release' ? ['slm-service', 'canary', String(probe)] : []);
    expect(changes).toBeGreaterThan(10);
    let current = probe;
    const points = Number.isFinite(POINTS) ? spread(changes, POINTS) : Array.from({ length: changes }, (_, i) => i + 1);
    for (const at of points) {
      const next = step(current, () => 0.5);
      const result = await killedRun(command, next, { at });
      expect(result.signal).toBe('SIGKILL');
      const snap = sandbox.snapshot();
      expectAfterFault(snap, current, next, command);
      current = await nextCommand(snap, current, next, command);
      if (command === 'synth' && current !== next) {
        expect((await sandbox.run('synth')).code).toBe(0);
        current = next;
      }
    }
  }, 30_000 + (Number.isFinite(POINTS) ? POINTS : 80) * 3 * PER_RUN_MS);

  test(`failing with ENOSPC at ${Number.isFinite(ENOSPC) ? ENOSPC : 'every'} write(s): exits non-zero, says so, and changes nothing`, async () => {
    const from = weightOf(sandbox.snapshot().releases)!;
    const next = step(from, () => 0.9);
    if (command === 'synth') sandbox.writeReleases(stateOf(next).releases);
    const args = command === 'release' ? ['slm-service', 'canary', String(next)] : [];
    const { writes } = await sandbox.count(command, args);
    // The counted run applied the change: go back to `from` for the failing runs.
    expect((await sandbox.run('release', ['slm-service', 'canary', String(from)])).code).toBe(0);
    if (command === 'synth') sandbox.writeReleases(stateOf(next).releases);
    const before = sandbox.snapshot();
    const points = Number.isFinite(ENOSPC) ? spread(writes, ENOSPC) : Array.from({ length: writes }, (_, i) => i + 1);
    let failed = 0;
    const counted = enospc[command] = { refused: 0, succeeded: 0 };
    for (const at of points) {
      const result = await sandbox.run(command, args, { mode: 'enospc', at });
      const after = sandbox.snapshot();
      if (result.code === 0) {
        // Only writes after the commit point (a directory fsync) may fail harmlessly: the command then succeeded.
        expect(after.folders).toEqual(stateOf(next).folders);
        expect(after.leftovers).toEqual([]);
        expect((await sandbox.run('release', ['slm-service', 'canary', String(from)])).code).toBe(0);
        if (command === 'synth') sandbox.writeReleases(stateOf(next).releases);
        counted.succeeded++;
        continue;
      }
      failed++;
      counted.refused++;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`${command} failed: no space left on the device[^\\n]*: free some space and run again; `));
      expect(result.stderr).not.toMatch(/TypeError|internal error|\n\s+at /);
      expect(after).toEqual(before);
    }
    expect(failed).toBeGreaterThan(0);
  }, 30_000 + (Number.isFinite(ENOSPC) ? ENOSPC : 40) * 3 * PER_RUN_MS);
});

describe('concurrent commands', () => {
  test(`${RACES} round(s) of two releases and two synths at once: serialized, never a mismatch`, async () => {
    for (let round = 0; round < RACES; round++) {
      const [a, b] = round % 2 === 0 ? [5, 25] : [50, 1];
      const runs = await Promise.all([
        sandbox.run('release', ['slm-service', 'canary', String(a)]),
        sandbox.run('synth'),
        sandbox.run('release', ['slm-service', 'canary', String(b)]),
        sandbox.run('synth'),
      ]);
      for (const run of runs) expect({ code: run.code, stderr: run.stderr.replace(/^warning: .*\n/gm, '').replace(/^note: waiting for .*\n/gm, '') }).toEqual({ code: 0, stderr: '' });
      const snap = sandbox.snapshot();
      const w = weightOf(snap.releases);
      expect([a, b]).toContain(w);
      expectState(snap, w!);
    }
  }, 30_000 + RACES * 4 * PER_RUN_MS);

  test('a command that finds the lock held waits, then refuses with the holder and what to do', async () => {
    const lock = path.join(sandbox.dir, '.soma-mesh.lock');
    const before = sandbox.snapshot();
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'release held-by-test' }));
    try {
      const refused = await sandbox.run('synth', [], undefined, { SOMA_LOCK_WAIT_SECONDS: '0' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`synth failed: [${lock}] "release held-by-test" (pid ${process.pid}, started 2026-01-01T00:00:00.000Z) is still running, and this command waited 0s for it: run again when it has finished (if no such process runs, delete ${lock})`);
      const waiting = sandbox.start('synth', [], undefined, { SOMA_LOCK_WAIT_SECONDS: '60' });
      let said = '';
      waiting.child.stderr!.on('data', d => { said += d; });
      for (let waited = 0; !said.includes('note: waiting for') && waited < 30_000; waited += 50) await new Promise(resolve => setTimeout(resolve, 50));
      fs.rmSync(lock);
      const waited = await waiting.done;
      expect(waited.code).toBe(0);
      expect(waited.stderr).toContain('note: waiting for "release held-by-test"');
    } finally {
      fs.rmSync(lock, { force: true });
    }
    expect(sandbox.snapshot()).toEqual(before);
  });

  test('a lock whose holder died is taken over, and the command says the holder applied nothing', async () => {
    const before = sandbox.snapshot();
    const finished = sandbox.start('release', ['--help']); // a finished process: its pid is free
    await finished.done;
    const lockPid = finished.child.pid!;
    fs.writeFileSync(path.join(sandbox.dir, '.soma-mesh.lock'), JSON.stringify({ pid: lockPid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'release slm-service canary 50' }));
    const next = await sandbox.run('synth');
    expect(next.code).toBe(0);
    expect(next.stderr).toContain(`note: "release slm-service canary 50" (pid ${lockPid}, started 2026-01-01T00:00:00.000Z) was interrupted before it committed: nothing of it was applied`);
    expect(sandbox.snapshot()).toEqual(before);
  });
});

describe('leftovers', () => {
  test('staging folders of earlier versions (.dist-XXXXXX) are removed once surely abandoned, recent ones kept', async () => {
    const before = sandbox.snapshot();
    const old = new Date(Date.now() - 3_600_000);
    for (const name of ['.dist-AbC123', '.dist-linkerd-x9y8z7.old']) {
      fs.mkdirSync(path.join(sandbox.dir, name, 'inner'), { recursive: true });
      fs.utimesSync(path.join(sandbox.dir, name), old, old);
    }
    fs.mkdirSync(path.join(sandbox.dir, '.dist-Recent'));
    const next = await sandbox.run('synth');
    expect(next.code).toBe(0);
    expect(next.stderr).toContain('note: removed 2 staging file(s) or folder(s) left by an interrupted synth or release');
    expect(sandbox.snapshot().leftovers).toEqual(['.dist-Recent']);
    fs.rmSync(path.join(sandbox.dir, '.dist-Recent'), { recursive: true });
    expect(sandbox.snapshot()).toEqual(before);
  });
});

/** `n` points spread evenly over 1..total, ends included. */
function spread(total: number, n: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i + 1);
  if (n <= 1) return [Math.ceil(total / 2)];
  return [...new Set(Array.from({ length: n }, (_, i) => 1 + Math.round((i * (total - 1)) / (n - 1))))];
}
