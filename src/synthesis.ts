import { App } from 'cdk8s';
import {
  FileChange, OutputLock, OutputLockOptions, synthesizeAtomically, synthesizeTransaction, withOutputLock,
} from './synthesize';

/** Declares an app's charts on a fresh App (whose outdir is a staging folder). */
export interface IAppBuilder {
  /** Adds the charts to `app`. */
  populate(app: App): void;
}

/** One output folder of a synthesis transaction: what to render into it. */
export interface SynthesisTarget {
  /** The folder, for example `dist/`. */
  readonly outdir: string;
  /** Declares the charts rendered into it. */
  readonly builder: IAppBuilder;
}

/** How a synthesis transaction locks and what it writes beside the output folders. */
export interface SynthesisOptions {
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
   * Files written together with the output folders, for example `releases.json`.
   * @default - none
   */
  readonly files?: FileChange[];
  /**
   * The folder that holds the lock.
   * @default - the folder of the first output
   */
  readonly lockDir?: string;
}

/**
 * Synthesis as a transaction over every output folder (and the files that change with them): after any failure,
 * kill or full disk, either every folder and file is new or every one is as it was.
 */
export class Synthesis {
  /** Builds and synthesizes an app into `outdir` all at once; a failed or killed synth leaves `outdir` as it was. */
  public static atomically(outdir: string, builder: IAppBuilder): void {
    synthesizeAtomically(outdir, app => builder.populate(app));
  }

  /** Renders every target, then swaps all output folders (and `files`) in at once, or none. */
  public static transaction(targets: SynthesisTarget[], options: SynthesisOptions = {}): void {
    synthesizeTransaction(targets.map(t => ({ outdir: t.outdir, build: (app: App) => t.builder.populate(app) })), options);
  }

  /**
   * Runs `work` holding the output lock of `lockDir`, after completing or discarding what a killed command left.
   * Re-entrant within one process. TypeScript only.
   * @jsii ignore
   */
  public static withOutputLock<T>(lockDir: string, options: OutputLockOptions, work: (lock: OutputLock) => T): T {
    return withOutputLock(lockDir, options, work);
  }

  private constructor() {}
}
