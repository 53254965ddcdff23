import { PropsCheck } from './props-check';
import { serviceReleaseProblems } from './release-schema';
import { CanaryRelease, DEFAULT_CANARY_STEPS, TrafficRouting } from './routing';

/**
 * Progressive delivery as edits of a service's release (its routing, plus versions added without code).
 * Each step returns a new release; the file holding it is then re-rendered and reviewed as a dist/ diff.
 */

/** A version run without code changes, from a release file. */
export interface ReleaseVersion {
  /** The container image, pinned (never `latest`). @default - the service's image */
  readonly image?: string;
  /** Pods of this version. @default - the service's replicas */
  readonly replicas?: number;
}

/** One service's release: its routing, and versions beyond those declared in code. */
export interface ServiceRelease extends TrafficRouting {
  /** Versions to run beside those declared in code. @default - none */
  readonly versions?: Record<string, ReleaseVersion>;
}

/** Sends `weight` percent to the canary. */
export function setCanaryWeight(release: ServiceRelease, weight: number): ServiceRelease {
  checkRelease('setCanaryWeight', release).integer('weight', weight, 0, 100, false);
  const canary = requireCanary(release);
  checkPercent(weight);
  return { ...release, canary: { ...canary, weight } };
}

/** Moves the canary to its next planned step. */
export function nextStep(release: ServiceRelease): ServiceRelease {
  checkRelease('nextStep', release);
  const canary = requireCanary(release);
  const steps = canary.steps ?? DEFAULT_CANARY_STEPS;
  const next = steps.find(s => s > canary.weight);
  if (next === undefined) throw new Error(`the canary ${canary.version} is at ${canary.weight}%, the last step: run "promote" to make it stable`);
  return { ...release, canary: { ...canary, weight: next } };
}

/** The canary becomes the stable version, with 100%; the old stable version keeps running as a rollback target. */
export function promote(release: ServiceRelease): ServiceRelease {
  checkRelease('promote', release);
  const canary = requireCanary(release);
  const { canary: _dropped, ...rest } = release;
  return { ...rest, stable: canary.version };
}

/**
 * Instant rollback: 100% to the stable version. The canary stays declared at weight 0, so its Deployment keeps
 * running for diagnosis; A/B rules and mirroring to it are removed, since they too send it requests.
 */
export function rollback(release: ServiceRelease): ServiceRelease {
  checkRelease('rollback', release);
  const canary = requireCanary(release);
  const match = release.match?.filter(m => m.version !== canary.version);
  const mirror = release.mirror?.version === canary.version ? undefined : release.mirror;
  const { match: _m, mirror: _r, ...rest } = release;
  return { ...rest, ...(match && match.length > 0 ? { match } : {}), ...(mirror ? { mirror } : {}), canary: { ...canary, weight: 0 } };
}

/** Starts a canary of `version` at its first step, adding the version when an image is given. */
export function startCanary(release: ServiceRelease, version: string, options: ReleaseVersion & { steps?: number[] } = {}): ServiceRelease {
  const at = checkRelease('startCanary', release);
  at.string('version', version, '"v3"');
  const o = at.object<ReleaseVersion & { steps?: number[] }>('options', options, '{ image: "repo/name:3.0.0", replicas: 1 }', true);
  at.knownKeys('options', o, 'StartCanaryOptions');
  at.string('options.image', o.image, '"repo/name:3.0.0"', true);
  at.integer('options.replicas', o.replicas, 0, 10000);
  at.array('options.steps', o.steps, '[1, 5, 25, 50, 100]', (step, item) => at.integer(item, step, 1, 100, false));
  if (release.canary && release.canary.weight > 0) {
    throw new Error(`a canary of ${release.canary.version} is running at ${release.canary.weight}%: promote it or roll it back first`);
  }
  const steps = options.steps ?? release.canary?.steps;
  const canary: CanaryRelease = { version, weight: (steps ?? DEFAULT_CANARY_STEPS)[0], ...(steps ? { steps } : {}) };
  const versions = options.image || options.replicas !== undefined
    ? { ...release.versions, [version]: { ...(options.image ? { image: options.image } : {}), ...(options.replicas !== undefined ? { replicas: options.replicas } : {}) } }
    : release.versions;
  const { weights: _w, ...rest } = release;
  return { ...rest, ...(versions ? { versions } : {}), canary };
}

/** A weighted split over several versions (replaces any canary). */
export function setSplit(release: ServiceRelease, weights: Record<string, number>): ServiceRelease {
  const at = checkRelease('setSplit', release);
  at.record('weights', weights, '{ v1: 90, v2: 10 }', (_version, weight, item) => at.integer(item, weight, 0, 100, false), false);
  Object.values(weights).forEach(checkPercent);
  const sum = Object.values(weights).reduce((s, w) => s + w, 0);
  if (sum !== 100) throw new Error(`weights ${Object.entries(weights).map(([v, w]) => `${v}=${w}`).join(' ')} sum to ${sum}, not 100`);
  const { canary: _c, ...rest } = release;
  return { ...rest, weights };
}

/** 100% to one version: no canary, no split. */
export function setStable(release: ServiceRelease, version: string): ServiceRelease {
  checkRelease('setStable', release).string('version', version, '"v1"');
  const { canary: _c, weights: _w, ...rest } = release;
  return { ...rest, stable: version };
}

function requireCanary(release: ServiceRelease): CanaryRelease {
  if (!release.canary) throw new Error('no canary is declared: start one with "start <version> [--image <image>]"');
  return release.canary;
}

function checkPercent(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new Error(`weight ${weight} is not a percentage: use an integer from 0 to 100`);
}

/** A release as the release file holds it (the same schema), for callers from JavaScript. */
function checkRelease(operation: string, release: ServiceRelease): PropsCheck {
  const at: PropsCheck = new PropsCheck(operation);
  const problems = serviceReleaseProblems(release, 'release', true);
  if (problems.length > 0) at.fail(problems[0].path, problems[0].message.replace(/: /, '; '), 'fix the release first');
  return at;
}
