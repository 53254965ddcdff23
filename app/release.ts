import * as path from 'path';
import { Release, ReleaseFile, ServiceRelease, Synthesis, SynthTarget } from '../src';
import { SomaDelivery } from './delivery';
import { ReleaseDelivery } from './release-delivery';
import { LoadedReleases, loadReleases } from './synth';

export const RELEASE_USAGE = `usage: npm run release -- <service> <command> [arguments] [--file releases.json] [--no-synth]
  status                                       show the split
  canary <percent>                             send <percent> of requests to the canary
  next                                         move the canary to its next step
  promote                                      the canary becomes the stable version (100%)
  rollback                                     100% to the stable version; the canary keeps running at 0%
  abort                                        the same as rollback: stop the canary now
  start <version> [--image <img>] [--replicas <n>]   start a canary at its first step
  split <version>=<percent> ...                a weighted split (percents sum to 100)
  stable <version>                             100% to one version
Each command edits the release file and re-renders every output folder (dist/, dist-linkerd/, ...) as one
transaction: all of them change, or none does. Review the change with git diff.
With --delivery argo-rollouts --out DIR, a service listed in app/delivery.ts is delivered by Argo Rollouts: status says
so, promote/abort/rollback/start/stable render the Rollout's fields into DIR (for a GitOps sync) and print the
kubectl argo rollouts equivalent; canary, next and split are the controller's and are refused.`;

/** The release commands and how many arguments each takes (besides --flags). */
const COMMANDS: Record<string, { readonly args: [number, number]; readonly flags: readonly string[]; readonly example: string }> = {
  status: { args: [0, 0], flags: [], example: 'status' },
  canary: { args: [1, 1], flags: [], example: 'canary 5' },
  next: { args: [0, 0], flags: [], example: 'next' },
  promote: { args: [0, 0], flags: [], example: 'promote' },
  rollback: { args: [0, 0], flags: [], example: 'rollback' },
  abort: { args: [0, 0], flags: [], example: 'abort' },
  start: { args: [1, 1], flags: ['image', 'replicas'], example: 'start v3 --image repo/name:3.0.0 --replicas 1' },
  split: { args: [1, 20], flags: [], example: 'split v1=90 v2=10' },
  stable: { args: [1, 1], flags: [], example: 'stable v1' },
};

const VERSION = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Highest replica count a command accepts: a typo guard, far above any one version's pods. */
const MAX_REPLICAS = 1000;

/** How a release command runs. */
export interface ReleaseOptions {
  /**
   * The output folders rendered with the new release file, in the same transaction as the file.
   * @default - none: only the file changes (`--no-synth`)
   */
  readonly targets?: (releases: LoadedReleases) => SynthTarget[];
  /**
   * The services a release may name; any other is an error listing these.
   * @default - any DNS name (the render then rejects an undeclared one)
   */
  readonly services?: readonly string[];
  /**
   * Where the lock and journal live (the folder holding the output folders).
   * @default - the release file's folder
   */
  readonly lockDir?: string;
  /** Where waiting and recovery are reported. @default - standard error */
  readonly log?: (message: string) => void;
  /**
   * Who delivers the canaries: the release file, or Argo Rollouts for the services app/delivery.ts lists.
   * @default SomaDelivery.RELEASE_FILE
   */
  readonly delivery?: SomaDelivery;
}

/** One parsed command line. */
interface ReleaseCommand {
  readonly service: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly flags: Readonly<Record<string, string>>;
}

/**
 * Runs one release command: under the output lock, reads the release file, applies the command, and writes the
 * file and every output folder as one transaction (see synthesizeTransaction). A rejected command changes nothing.
 * Returns what to print.
 */
export function runRelease(args: string[], file: string, options: ReleaseOptions = {}): string {
  const command = parseCommand(args, options.services);
  const lockDir = options.lockDir ?? path.dirname(path.resolve(file));
  return Synthesis.withOutputLock(lockDir, { description: `release ${args.join(' ')}`, scanDirs: [path.dirname(path.resolve(file))], log: options.log }, lock => {
    const releases = loadReleases(file);
    const services = releases.file.services;
    const current: ServiceRelease = Object.prototype.hasOwnProperty.call(services, command.service) ? services[command.service] : {};
    const by = new ReleaseDelivery(command.service, options.delivery ?? SomaDelivery.RELEASE_FILE);
    if (command.command === 'status') return `${describe(command.service, current)}\n${by.describe(current)}`;
    by.refuse(command.command);
    const next = by.record(command.command, apply(current, command));
    const updated: ReleaseFile = { ...releases.file, services: { ...services, [command.service]: next } };
    try {
      Release.parseFile(updated, file);
      lock.commit(options.targets?.({ file: updated, source: releases.source }) ?? [], [{ file, content: JSON.stringify(updated, null, 2) + '\n' }]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${file} is unchanged, and so is every output folder.`);
    }
    const note = by.note(command.command, next);
    return `${describe(command.service, next)}\n${note ? `${note}\n` : ''}review: git diff -- ${file}${options.targets ? ' dist*/' : ''}`;
  });
}

/** Checks a command line completely before anything is read or written. */
function parseCommand(argv: readonly string[], services: readonly string[] | undefined): ReleaseCommand {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value: --${name} <value>`);
    if (name in flags) throw new Error(`--${name} is given twice: give it once`);
    flags[name] = value;
  }
  const [service, command, ...args] = positional;
  if (service === undefined || command === undefined) throw new Error(`a release command names a service and a command\n${RELEASE_USAGE}`);
  checkService(service, services);
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
    throw new Error(`unknown command "${command}": use one of ${Object.keys(COMMANDS).join(', ')}\n${RELEASE_USAGE}`);
  }
  const spec = COMMANDS[command];
  for (const flag of Object.keys(flags)) {
    if (!spec.flags.includes(flag)) {
      throw new Error(`${command} takes ${spec.flags.length > 0 ? `only ${spec.flags.map(f => `--${f}`).join(', ')}` : 'no options'}, not --${flag}: for example "${service} ${spec.example}"`);
    }
  }
  const [min, max] = spec.args;
  if (args.length < min || args.length > max) {
    throw new Error(`${command} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}${args.length > 0 ? ` (${args.map(a => JSON.stringify(a)).join(' ')})` : ''}: for example "${service} ${spec.example}"`);
  }
  return { service, command, args, flags };
}

function checkService(service: string, services: readonly string[] | undefined): void {
  const known = services ? [...services].sort() : undefined;
  const valid = known ? known.includes(service) : /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(service);
  if (!valid) {
    const names = known?.filter(k => !k.includes('/'));
    const list = names && names.length > 0 && names.length < known!.length ? `${names.join(', ')} (or namespace/name)` : known?.join(', ');
    throw new Error(`unknown service "${service}": ${list ? `use one of ${list}` : 'name a declared service, or namespace/name'}`);
  }
}

function apply(release: ServiceRelease, { command, args, flags }: ReleaseCommand): ServiceRelease {
  switch (command) {
    case 'canary': return Release.setCanaryWeight(release, decimal(args[0], 'the canary weight', 0, 100));
    case 'next': return Release.nextStep(release);
    case 'promote': return Release.promote(release);
    case 'rollback':
    case 'abort': return Release.rollback(release);
    case 'start': {
      const version = checkVersion(args[0], 'start');
      const replicas = flags.replicas === undefined ? undefined : decimal(flags.replicas, '--replicas', 0, MAX_REPLICAS);
      if (flags.image !== undefined && flags.image.length === 0) throw new Error('--image is empty: give an image reference such as repo/name:3.0.0');
      return Release.startCanary(release, version, { image: flags.image, replicas });
    }
    case 'split': {
      const weights: Record<string, number> = {};
      for (const arg of args) {
        const eq = arg.indexOf('=');
        if (eq < 0) throw new Error(`"${arg}" is not <version>=<percent>: write v1=90 v2=10`);
        const version = checkVersion(arg.slice(0, eq), 'split');
        if (Object.prototype.hasOwnProperty.call(weights, version)) throw new Error(`version ${version} is given twice: give each version once, such as v1=90 v2=10`);
        weights[version] = decimal(arg.slice(eq + 1), `the weight of ${version}`, 0, 100);
      }
      return Release.setSplit(release, weights);
    }
    case 'stable': return Release.setStable(release, checkVersion(args[0], 'stable'));
    default: throw new Error(`unknown command "${command}": use one of ${Object.keys(COMMANDS).join(', ')}`);
  }
}

/** A decimal integer in range, nothing else: no "", no 0x10, no 1e1, no 5.0, no +5. */
function decimal(value: string, what: string, min: number, max: number): number {
  const range = `a decimal integer from ${min} to ${max}`;
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new Error(`${what} ${JSON.stringify(value)} is not a decimal integer: give ${range}, such as ${Math.min(max, 5)}`);
  const n = Number(value);
  if (n < min || n > max) throw new Error(`${what} ${value} is out of range: give ${range}`);
  return n;
}

function checkVersion(version: string, command: string): string {
  if (!VERSION.test(version) || version.length > 63) {
    throw new Error(`${JSON.stringify(version)} is not a version name: use lower-case letters, digits and '-', for example "${command} v2"`);
  }
  return version;
}

function describe(service: string, release: ServiceRelease): string {
  const split = Release.resolveSplit(release, release.stable ?? 'v1').map(s => `${s.version} ${s.weight}%`).join(', ');
  const canary = release.canary ? ` (canary ${release.canary.version}, steps ${(release.canary.steps ?? []).join('/') || 'default'})` : '';
  return `${service}: ${split}${canary}`;
}
