import * as fs from 'fs';
import { readReleaseFile, ReleaseFile } from '../src';
import { nextStep, promote, rollback, ServiceRelease, setCanaryWeight, setSplit, setStable, startCanary } from '../src';
import { resolveSplit } from '../src';
import { SomaDelivery } from './delivery';
import { ReleaseDelivery } from './release-delivery';

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
Each command edits the release file, then re-renders dist/: review the change with git diff.
With --delivery argo-rollouts --out DIR, a service listed in app/delivery.ts is delivered by Argo Rollouts: status says
so, promote/abort/rollback/start/stable render the Rollout's fields into DIR (for a GitOps sync) and print the
kubectl argo rollouts equivalent; canary, next and split are the controller's and are refused.`;

/**
 * Runs one release command on a release file, then `render` (synth). If the render fails, the file is put
 * back as it was, so a rejected release (a weight above 100, a version that does not exist) changes nothing.
 * Returns what to print.
 */
export function runRelease(args: string[], file: string, render: () => void, delivery: SomaDelivery = SomaDelivery.RELEASE_FILE): string {
  const [service, command, ...rest] = args;
  if (!service || !command) throw new Error(RELEASE_USAGE);
  const before = fs.readFileSync(file, 'utf8');
  const releases = readReleaseFile(file);
  const current: ServiceRelease = releases.services[service] ?? {};
  const by = new ReleaseDelivery(service, delivery);
  if (command === 'status') return `${describe(service, current)}\n${by.describe(current)}`;
  by.refuse(command);
  const next = apply(current, command, rest);
  const updated: ReleaseFile = { ...releases, services: { ...releases.services, [service]: next } };
  fs.writeFileSync(file, JSON.stringify(updated, null, 2) + '\n');
  try {
    render();
  } catch (error) {
    fs.writeFileSync(file, before);
    throw new Error(`${(error as Error).message}\n${file} is unchanged.`);
  }
  const note = by.note(command, next);
  return `${describe(service, next)}\n${note ? `${note}\n` : ''}review: git diff -- ${file} dist/`;
}

function apply(release: ServiceRelease, command: string, args: string[]): ServiceRelease {
  const option = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  switch (command) {
    case 'canary': return setCanaryWeight(release, percent(args[0]));
    case 'next': return nextStep(release);
    case 'promote': return promote(release);
    case 'rollback':
    case 'abort': return rollback(release);
    case 'start': {
      if (!args[0] || args[0].startsWith('--')) throw new Error('start needs a version: start v3 --image repo/name:tag');
      const replicas = option('replicas');
      return startCanary(release, args[0], { image: option('image'), replicas: replicas === undefined ? undefined : Number(replicas) });
    }
    case 'split': {
      const weights: Record<string, number> = {};
      for (const arg of args) {
        const [version, weight] = arg.split('=');
        if (!version || weight === undefined) throw new Error(`"${arg}" is not <version>=<percent>: write v1=90 v2=10`);
        weights[version] = percent(weight);
      }
      return setSplit(release, weights);
    }
    case 'stable':
      if (!args[0]) throw new Error('stable needs a version: stable v1');
      return setStable(release, args[0]);
    default:
      throw new Error(`unknown command "${command}"\n${RELEASE_USAGE}`);
  }
}

function percent(value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0 || n > 100) throw new Error(`"${value}" is not a percentage: give an integer from 0 to 100`);
  return n;
}

function describe(service: string, release: ServiceRelease): string {
  const split = resolveSplit(release, release.stable ?? 'v1').map(s => `${s.version} ${s.weight}%`).join(', ');
  const canary = release.canary ? ` (canary ${release.canary.version}, steps ${(release.canary.steps ?? []).join('/') || 'default'})` : '';
  return `${service}: ${split}${canary}`;
}
