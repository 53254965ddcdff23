import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { AppSynth } from './renderers/app-synth';

/**
 * Synth as a transaction over every output folder (and the files that change with them, such as a release file):
 * after any failure, kill or full disk, either every folder and file is new or every one is as it was.
 *
 * How: under a lock, each folder is rendered into a staging folder beside it and each file into a staging file;
 * then a journal listing them is written atomically (the commit point), the staged copies are renamed into place,
 * and the journal is removed. A command killed before the journal exists applied nothing; one killed after it is
 * completed by the next command, which says so. Staging left by killed commands is removed by the next one.
 */

/**
 * One output folder: what to render into it. TypeScript only (`SynthesisTarget` elsewhere).
 * @jsii ignore
 */
export interface SynthTarget {
  /** The folder, for example `dist/`. */
  readonly outdir: string;
  /** Declares the app's charts on a fresh App whose outdir is the staging folder. */
  readonly build: (app: App) => void;
}

/** A file written together with the output folders, for example `releases.json`. */
export interface FileChange {
  readonly file: string;
  readonly content: string;
}

/**
 * How a transaction locks and reports. TypeScript only (`SynthesisOptions` elsewhere).
 * @jsii ignore
 */
export interface OutputLockOptions {
  /**
   * What runs, recorded in the lock and the journal so that a waiting command, or the one after a kill, can say.
   * @default 'synth'
   */
  readonly description?: string;
  /**
   * How long to wait for another command's lock before refusing.
   * @default - $SOMA_LOCK_WAIT_SECONDS, or 120 seconds
   */
  readonly waitSeconds?: number;
  /**
   * Folders holding output folders or files of this command, where staging left by killed commands is looked for.
   * @default - the lock's folder only
   */
  readonly scanDirs?: string[];
  /**
   * Where waiting and recovery are reported.
   * @default - standard error, prefixed with "note: "
   */
  readonly log?: (message: string) => void;
}

/**
 * A held lock: commit output folders and files through it. TypeScript only.
 * @jsii ignore
 */
export interface OutputLock {
  /** What the lock found and repaired of a killed command, when anything: already reported through `log`. */
  readonly recovered?: string;
  /** Renders every target into staging, then swaps all of them and the files in, or none. */
  commit(targets: SynthTarget[], files?: FileChange[]): void;
}

const LOCK_FILE = '.soma-mesh.lock';
const JOURNAL_FILE = '.soma-mesh.journal.json';
/** Temporary names carry the owner's pid, so that only a dead owner's leftovers are ever removed. */
const LEFTOVER = /^\.soma-(?:staging|previous|lock|journal)-(\d+)-[0-9a-f]+(?:-|$)|^\.soma-mesh\.lock\.stale-(\d+)-/;
/** Staging folders of earlier versions of this library (mkdtemp beside dist/), removed once surely abandoned. */
const LEGACY_STAGING = /^\.dist(-[a-z0-9-]+)?-[A-Za-z0-9]{6}(\.old)?$/;
const LEGACY_AGE_MS = 10 * 60 * 1000;

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  readonly command: string;
}

interface Journal extends LockInfo {
  /** Each folder's staging copy and the files it holds (relative paths), recorded before any is moved in. */
  readonly folders: ReadonlyArray<{ readonly target: string; readonly staging: string; readonly contents: readonly string[] }>;
  readonly files: ReadonlyArray<{ readonly target: string; readonly staging: string }>;
}

/** Locks held by this process, so that a release can run a synth inside its own lock. */
const held = new Map<string, { incomplete: boolean }>();

/**
 * Renders every target, then swaps all output folders (and `files`) in at once; see the file comment.
 * A failure leaves every folder and file as it was, and the error says so.
 */
export function synthesizeTransaction(targets: readonly SynthTarget[], options: OutputLockOptions & { readonly files?: readonly FileChange[]; readonly lockDir?: string } = {}): void {
  const outputs = [...targets.map(t => t.outdir), ...(options.files ?? []).map(f => f.file)];
  if (outputs.length === 0) return;
  const lockDir = options.lockDir ?? path.dirname(path.resolve(outputs[0]));
  withOutputLock(lockDir, { ...options, scanDirs: [...(options.scanDirs ?? []), ...outputs.map(o => path.dirname(path.resolve(o)))] },
    lock => lock.commit([...targets], options.files && [...options.files]));
}

/**
 * Builds and synthesizes an app into `outdir` all at once: a one-folder transaction, so a failed or killed
 * synth leaves the previous `outdir` exactly as it was.
 */
export function synthesizeAtomically(outdir: string, build: (app: App) => void): void {
  synthesizeTransaction([{ outdir, build }]);
}

/**
 * Runs `work` holding the output lock of `lockDir` (waiting for another command's, then refusing with its pid and
 * command), after completing or discarding what a killed command left there. Re-entrant within one process.
 */
export function withOutputLock<T>(lockDir: string, options: OutputLockOptions, work: (lock: OutputLock) => T): T {
  const dir = path.resolve(lockDir);
  const log = options.log ?? (message => process.stderr.write(`note: ${message}\n`));
  const description = options.description ?? 'synth';
  const lockFile = path.join(dir, LOCK_FILE);
  const outer = held.get(lockFile);
  if (outer) return work({ commit: (targets, files) => commit(dir, description, targets, files ?? [], outer) });
  return ioErrors([], () => {
    fs.mkdirSync(dir, { recursive: true });
    const stale = acquire(dir, lockFile, description, options.waitSeconds ?? waitFromEnv(), log);
    const state = { incomplete: false };
    held.set(lockFile, state);
    try {
      const recovered = recover(dir, stale, [dir, ...(options.scanDirs ?? [])]);
      if (recovered) log(recovered);
      return work({ recovered, commit: (targets, files) => commit(dir, description, targets, files ?? [], state) });
    } finally {
      held.delete(lockFile);
      // The lock goes first and the journal last: a kill between them leaves a journal whose owner is dead,
      // which the next command reports as applied (it was); one that finds the owner alive waits for it.
      fs.rmSync(lockFile, { force: true });
      if (!state.incomplete) fs.rmSync(path.join(dir, JOURNAL_FILE), { force: true });
    }
  });
}

function commit(lockDir: string, description: string, targets: readonly SynthTarget[], files: readonly FileChange[], state: { incomplete: boolean }): void {
  if (state.incomplete) throw new Error(`an earlier change under this lock is committed but not in place: run the command again to complete it`);
  const id = token();
  const names = [...targets.map(t => t.outdir), ...files.map(f => f.file)].map(o => path.resolve(o));
  const beside = (target: string, kind: string) => path.join(path.dirname(target), `.soma-${kind}-${id}-${path.basename(target)}`);
  const folders = targets.map(t => {
    const target = path.resolve(t.outdir);
    return { target, staging: beside(target, 'staging'), contents: [] as string[] };
  });
  const staged = files.map(f => ({ target: path.resolve(f.file), staging: beside(path.resolve(f.file), 'staging') }));
  const journalTemp = path.join(lockDir, `.soma-journal-${id}`);
  fs.rmSync(path.join(lockDir, JOURNAL_FILE), { force: true }); // an earlier commit under this lock, complete
  ioErrors(names, () => {
    try {
      targets.forEach((t, i) => {
        fs.mkdirSync(path.dirname(folders[i].target), { recursive: true });
        fs.mkdirSync(folders[i].staging);
        const app = new App({ outdir: folders[i].staging });
        t.build(app);
        AppSynth.synth(app); // app.synth(), without its repeated validations and yaml's syntax tree
        fs.chmodSync(folders[i].staging, 0o755); // dist/ is for everyone to read
        fsyncTree(folders[i].staging);
        folders[i].contents.push(...filesUnder(folders[i].staging));
      });
      files.forEach((f, i) => writeDurable(staged[i].staging, f.content, modeOf(staged[i].target)));
      const journal: Journal = { ...lockInfo(description), folders, files: staged };
      writeDurable(journalTemp, JSON.stringify(journal, null, 2));
      fs.renameSync(journalTemp, path.join(lockDir, JOURNAL_FILE)); // the commit point
      fsyncDir(lockDir);
    } catch (error) {
      for (const f of folders) fs.rmSync(f.staging, { recursive: true, force: true });
      for (const f of staged) fs.rmSync(f.staging, { force: true });
      fs.rmSync(journalTemp, { force: true });
      throw error;
    }
  });
  try {
    complete(lockDir);
  } catch (error) {
    state.incomplete = true;
    throw new Error(`${describeChange(names)} committed, but moving it into place failed: ${(error as Error).message}; `
      + `the next synth or release completes it (the journal is ${path.join(lockDir, JOURNAL_FILE)})`);
  }
}

/**
 * Moves a committed journal's staged folders and files into place. Safe to repeat after a kill at any point. The
 * journal stays until the lock is released, so a kill before that reads as applied.
 *
 * An output folder is never moved aside: `kubectl apply -f dist/` may run at any instant, and POSIX has no atomic
 * swap of two non-empty folders (Linux's RENAME_EXCHANGE is not reachable from Node). So each staged file is renamed
 * over its old copy (atomic per file), and only then are the files the new render no longer has removed: the folder
 * always exists, and every file in it is whole, old or new. A folder of one file (one chart) is thus old or new as a
 * whole at every instant; a folder of several is complete after the last rename, and the next command finishes it.
 */
function complete(lockDir: string): Journal {
  const journalFile = path.join(lockDir, JOURNAL_FILE);
  const journal = readJournal(journalFile);
  const dirs = new Set<string>([lockDir]);
  for (const f of journal.folders) {
    if (!fs.existsSync(f.target) && fs.existsSync(f.staging)) {
      fs.renameSync(f.staging, f.target); // a first render: the whole folder appears at once
    } else {
      for (const file of f.contents) {
        const staged = path.join(f.staging, file);
        if (!fs.existsSync(staged)) continue; // moved in before a kill
        const target = path.join(f.target, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.renameSync(staged, target);
      }
      const keep = new Set(f.contents);
      for (const file of filesUnder(f.target)) if (!keep.has(file)) fs.rmSync(path.join(f.target, file), { force: true });
      removeEmptyFolders(f.target);
      fs.rmSync(f.staging, { recursive: true, force: true });
    }
    dirs.add(path.dirname(f.target));
    dirs.add(f.target);
  }
  for (const f of journal.files) {
    if (fs.existsSync(f.staging)) fs.renameSync(f.staging, f.target);
    dirs.add(path.dirname(f.target));
  }
  for (const dir of dirs) fsyncDir(dir);
  return journal;
}

/** Every file below `dir`, as paths relative to it, sorted; none when there is no folder. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries.filter(e => !e.isDirectory()).map(e => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort();
}

/** Removes the folders below `dir` that a render no longer fills (deepest first); `dir` itself stays. */
function removeEmptyFolders(dir: string): void {
  const folders = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter(e => e.isDirectory())
    .map(e => path.join(e.parentPath ?? e.path, e.name)).sort((a, b) => b.length - a.length);
  for (const folder of folders) if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
}

function readJournal(file: string): Journal {
  let journal: Journal;
  try {
    journal = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`[${file}] the journal of an interrupted synth or release cannot be read (${(error as Error).message}): `
      + 'run `git status` to see what changed, restore the output folders and the release file with git checkout if needed, then delete the journal');
  }
  if (!journal || !Array.isArray(journal.folders) || !Array.isArray(journal.files)
    || !journal.folders.every(f => Array.isArray(f.contents))) {
    throw new Error(`[${file}] is not a journal of this library: delete it`);
  }
  return journal;
}

/** Completes a committed command, discards an uncommitted one; returns what to tell the user, if anything. */
function recover(lockDir: string, stale: LockInfo | undefined, scanDirs: readonly string[]): string | undefined {
  const messages: string[] = [];
  const journalFile = path.join(lockDir, JOURNAL_FILE);
  const finishing = fs.existsSync(journalFile) ? readJournal(journalFile) : undefined;
  // A live owner has applied its journal and released the lock, and is about to remove the journal.
  if (finishing && finishing.pid !== process.pid && finishing.host === os.hostname() && isAlive(finishing.pid)) {
    for (let waited = 0; waited < 10_000 && fs.existsSync(journalFile); waited += 20) sleep(20);
  }
  if (fs.existsSync(journalFile)) {
    const journal = complete(lockDir);
    fs.rmSync(journalFile, { force: true });
    fsyncDir(lockDir);
    const changed = [...journal.folders, ...journal.files].map(f => path.basename(f.target));
    messages.push(`${whoRan(journal)} was interrupted after it committed: it is now fully applied (${changed.join(', ')} are its result)`);
  } else if (stale) {
    messages.push(`${whoRan(stale)} was interrupted before it committed: nothing of it was applied, every output is as it was before it`);
  }
  let removed = 0;
  for (const dir of new Set(scanDirs.map(d => path.resolve(d)))) removed += removeLeftovers(dir);
  if (removed > 0 && messages.length === 0) messages.push(`removed ${removed} staging file(s) or folder(s) left by an interrupted synth or release`);
  return messages.length > 0 ? messages.join('; ') : undefined;
}

function removeLeftovers(dir: string): number {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of entries) {
    const match = LEFTOVER.exec(name);
    if (match) {
      const pid = Number(match[1] ?? match[2]);
      if (pid === process.pid || isAlive(pid)) continue;
    } else if (!LEGACY_STAGING.test(name) || !olderThan(path.join(dir, name), LEGACY_AGE_MS)) {
      continue;
    }
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function acquire(dir: string, lockFile: string, description: string, waitSeconds: number, log: (m: string) => void): LockInfo | undefined {
  const temp = path.join(dir, `.soma-lock-${token()}`);
  const deadline = Date.now() + waitSeconds * 1000;
  let stale: LockInfo | undefined;
  let announced = false;
  try {
    writeDurable(temp, JSON.stringify(lockInfo(description)));
    for (;;) {
      try {
        fs.linkSync(temp, lockFile); // atomic, and fails when the lock exists: the holder's record is always whole
        return stale;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLock(lockFile);
      if (!holder) continue; // released meanwhile
      if (holder.host === os.hostname() && !isAlive(holder.pid)) {
        if (breakStale(lockFile, holder)) stale = holder;
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(`[${lockFile}] ${whoRan(holder)} is still running, and this command waited ${waitSeconds}s for it: `
          + `run again when it has finished (if no such process runs, delete ${lockFile})`);
      }
      if (!announced) {
        log(`waiting for ${whoRan(holder)} to finish (it holds ${lockFile})`);
        announced = true;
      }
      sleep(50);
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function readLock(lockFile: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    return info && typeof info.pid === 'number' ? info : { pid: -1, host: os.hostname(), started: '?', command: 'an unknown command' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, host: os.hostname(), started: '?', command: 'an unknown command' };
  }
}

/** Removes a dead holder's lock; when another command took the lock meanwhile, puts theirs back. */
function breakStale(lockFile: string, holder: LockInfo): boolean {
  const moved = `${path.join(path.dirname(lockFile), '.soma-mesh.lock.stale')}-${token()}`;
  try {
    fs.renameSync(lockFile, moved);
  } catch {
    return false;
  }
  const taken = readLock(moved);
  const same = taken !== undefined && taken.pid === holder.pid && taken.started === holder.started;
  if (!same) {
    try {
      fs.linkSync(moved, lockFile);
    } catch { /* a third command took the lock meanwhile: it holds it now */ }
  }
  fs.rmSync(moved, { force: true });
  return same;
}

function lockInfo(command: string): LockInfo {
  return { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
}

function whoRan(info: LockInfo): string {
  return info.pid > 0 ? `"${info.command}" (pid ${info.pid}, started ${info.started})` : 'a command whose lock cannot be read';
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function waitFromEnv(): number {
  const value = process.env.SOMA_LOCK_WAIT_SECONDS;
  if (value === undefined) return 120;
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value)) {
    throw new Error(`SOMA_LOCK_WAIT_SECONDS "${value}" is not a number of seconds: give a decimal integer such as 120, or unset it`);
  }
  return Number(value);
}

function token(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function modeOf(file: string): number {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return 0o644;
  }
}

function writeDurable(file: string, content: string, mode = 0o644): void {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      fsyncTree(full);
    } else {
      const fd = fs.openSync(full, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function describeChange(outputs: readonly string[]): string {
  return outputs.length > 0 ? outputs.map(o => path.basename(o)).join(', ') : 'the change';
}

/** Turns a file-system failure into a message that says what happened, what is unchanged and what to do. */
function ioErrors<T>(outputs: readonly string[], work: () => T): T {
  try {
    return work();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const unchanged = outputs.length > 0 ? `${describeChange(outputs)} ${outputs.length > 1 ? 'are' : 'is'} unchanged` : 'nothing was changed';
    const where = e.path ? ` writing ${e.path}` : '';
    switch (e.code) {
      case 'ENOSPC':
      case 'EDQUOT':
        throw new Error(`no space left on the device${where}: free some space and run again; ${unchanged}`);
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        throw new Error(`cannot write${where || ' the output'} (${e.code}): check the folder's permissions and run again; ${unchanged}`);
      default:
        throw error;
    }
  }
}
