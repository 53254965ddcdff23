import type { DeliveryController } from './delivery';
/**
 * Which version of a service receives which requests, mesh-neutral and JSON-shaped, so that a release
 * can live in a small config file (see release-file.ts) and be changed without editing TypeScript.
 */

/** A canary: one version receives `weight` percent of requests, the stable version the rest. */
export interface CanaryRelease {
  /** The new version. */
  readonly version: string;
  /** Percent of requests it receives, an integer from 0 (rolled back) to 100. */
  readonly weight: number;
  /**
   * The planned weights, walked one by one with `release <service> next`.
   * @default [1, 5, 10, 25, 50, 100]
   */
  readonly steps?: number[];
  /**
   * The controller that was already running the stable version when this canary started (set by a release command
   * run with the controller): only such a canary may be a Rollout's template, since a Rollout created with the
   * canary's template would promote it at once, unjudged.
   * @default - none: started by the release file
   */
  readonly controller?: DeliveryController;
}

/** A/B routing: requests that match go to `version`, whatever the split says. */
export interface VersionMatch {
  /** The version matching requests go to. */
  readonly version: string;
  /**
   * A name for the rule, shown in the rendered route.
   * @default - `match-<n>`
   */
  readonly name?: string;
  /**
   * Request headers that must all have exactly these values (names in lower case), for example a cohort header.
   * @default - any headers
   */
  readonly headers?: Record<string, string>;
  /**
   * Workloads (names, or namespace/name) whose requests match: A/B by caller.
   * @default - any caller
   */
  readonly callers?: string[];
}

/** Copies of requests sent to another version; its answers are dropped. */
export interface TrafficMirror {
  /** The version that receives the copies; it must receive no weight of the split itself. */
  readonly version: string;
  /** Percent of requests copied, from 0 to 100. */
  readonly percent: number;
}

/** How a service's requests are spread over its versions. */
export interface TrafficRouting {
  /**
   * The version that receives whatever the canary or split does not.
   * @default - the service's first version
   */
  readonly stable?: string;
  /**
   * A canary beside the stable version.
   * @default - none: 100% to the stable version
   */
  readonly canary?: CanaryRelease;
  /**
   * A weighted split over several versions, integer percents summing to 100. Exclusive with `canary`.
   * @default - none
   */
  readonly weights?: Record<string, number>;
  /**
   * A/B rules, tried in order before the split.
   * @default - none
   */
  readonly match?: VersionMatch[];
  /**
   * Mirroring of the split's requests to another version.
   * @default - none
   */
  readonly mirror?: TrafficMirror;
}

/** One destination of a split. */
export interface WeightedVersion {
  readonly version: string;
  readonly weight: number;
}

export const DEFAULT_CANARY_STEPS: readonly number[] = [1, 5, 10, 25, 50, 100];

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** The split a routing asks for, zero weights left out, in a stable order (stable version first). */
export function resolveSplit(routing: TrafficRouting, firstVersion: string): WeightedVersion[] {
  const stable = routing.stable ?? firstVersion;
  if (routing.weights) {
    return Object.entries(routing.weights).filter(([, w]) => w > 0).map(([version, weight]) => ({ version, weight }));
  }
  const canary = routing.canary;
  if (!canary || canary.weight === 0) return [{ version: stable, weight: 100 }];
  if (canary.weight === 100) return [{ version: canary.version, weight: 100 }];
  return [{ version: stable, weight: 100 - canary.weight }, { version: canary.version, weight: canary.weight }];
}

/** Every version a routing names, with what names it. */
export function versionsNamed(routing: TrafficRouting): Array<{ version: string; where: string }> {
  const named: Array<{ version: string; where: string }> = [];
  if (routing.stable !== undefined) named.push({ version: routing.stable, where: 'stable' });
  if (routing.canary) named.push({ version: routing.canary.version, where: 'canary' });
  for (const version of Object.keys(routing.weights ?? {})) named.push({ version, where: 'weights' });
  (routing.match ?? []).forEach((m, i) => named.push({ version: m.version, where: `match[${i}]` }));
  if (routing.mirror) named.push({ version: routing.mirror.version, where: 'mirror' });
  return named;
}

/** Checks a routing whose default stable version is `firstVersion` (that versions exist is checked by the service). */
export function checkRouting(routing: TrafficRouting, firstVersion: string): string[] {
  const errors: string[] = [];
  const isPercent = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 100;
  if (routing.canary && routing.weights) {
    errors.push('routing has both canary and weights: use canary for stable + one new version, weights for any other split');
  }
  if (routing.canary) {
    const { version, weight, steps } = routing.canary;
    if (!isPercent(weight)) errors.push(`canary weight ${weight} is not a percentage: use an integer from 0 to 100`);
    if (version === (routing.stable ?? firstVersion)) {
      errors.push(`canary version "${version}" is also the stable version: name a different version for the canary`);
    }
    if (steps !== undefined) {
      const ascending = steps.every((s, i) => isPercent(s) && s > 0 && (i === 0 || s > steps[i - 1]));
      if (steps.length === 0 || !ascending || steps[steps.length - 1] !== 100) {
        errors.push(`canary steps [${steps.join(', ')}] are not ascending percentages ending at 100: for example [1, 5, 25, 50, 100]`);
      }
    }
  }
  if (routing.weights) {
    const entries = Object.entries(routing.weights);
    for (const [version, weight] of entries) {
      if (!isPercent(weight)) errors.push(`weight ${weight} of version "${version}" is not a percentage: use an integer from 0 to 100`);
    }
    const sum = entries.reduce((s, [, w]) => s + w, 0);
    if (sum !== 100) {
      errors.push(`weights ${entries.map(([v, w]) => `${v}=${w}`).join(', ')} sum to ${sum}, not 100: make the percentages add up to 100`);
    }
  }
  for (const [i, m] of (routing.match ?? []).entries()) {
    const headers = Object.entries(m.headers ?? {});
    if (headers.length === 0 && (m.callers ?? []).length === 0) {
      errors.push(`match[${i}] to "${m.version}" has neither headers nor callers, so it would take every request: give a header or a caller, or use the split`);
    }
    for (const [name, value] of headers) {
      if (!HEADER_NAME.test(name)) errors.push(`match[${i}] header "${name}" is not a lower-case header name: Istio matches header names in lower case, write "${name.toLowerCase()}"`);
      if (typeof value !== 'string' || value.length === 0) errors.push(`match[${i}] header "${name}" has an empty value: give the exact value to match`);
    }
  }
  if (routing.mirror) {
    const { version, percent } = routing.mirror;
    if (!(typeof percent === 'number' && percent > 0 && percent <= 100)) {
      errors.push(`mirror percent ${percent} is not a percentage above 0: use a number from 0.01 to 100, or remove mirror`);
    }
    const split = resolveSplit(routing, firstVersion);
    if (split.some(s => s.version === version)) {
      errors.push(`mirror to "${version}", which also receives ${split.find(s => s.version === version)!.weight}% of the split: requests would be copied to the subset that serves them; mirror to a version with no weight`);
    }
  }
  return errors;
}
