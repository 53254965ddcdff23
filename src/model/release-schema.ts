/**
 * The release file's schema (docs/releases.schema.json) as a check that names the JSON path and the fix of every
 * problem, so that a bad file is refused before anything renders, never half-understood. The routing declared in
 * code (`service.traffic.route`) is checked by the same rules.
 */

import { checkImage } from './validation';

const VERSION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_REF = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** One schema violation: where (a JSON path such as `$.services["slm-service"].canary.weight`) and the fix. */
export interface ReleaseFileProblem {
  readonly path: string;
  readonly message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (value: unknown) => (value === undefined ? 'missing' : JSON.stringify(value));
/** A map entry in a JSON path: `["slm-service"]`. */
const entry = (k: string) => `[${JSON.stringify(k)}]`;
/** A schema key in a JSON path: `.canary`, or `["odd key"]`. */
const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : entry(k));
const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Every way `data` departs from the release file schema (docs/releases.schema.json), in document order. */
export function releaseFileProblems(data: unknown): ReleaseFileProblem[] {
  const problems: ReleaseFileProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  if (!isObject(data)) {
    problem('$', `${Array.isArray(data) ? 'a list' : show(data)} is not a release file: write {"services": {"<service>": {...}}}`);
    return problems;
  }
  for (const k of Object.keys(data)) if (k !== 'services') problem(`$.${k}`, `unknown key "${k}": use services`);
  const services = data.services;
  if (!isObject(services)) {
    problem('$.services', `${show(services)} is not an object: write {"<service>": {"stable": "v1", ...}}`);
    return problems;
  }
  for (const [service, release] of Object.entries(services)) {
    const at = `$.services${entry(service)}`;
    if (!SERVICE_REF.test(service)) problem(at, `"${service}" is not a service name: write a declared service's name, or namespace/name`);
    problems.push(...serviceReleaseProblems(release, at, true));
  }
  return problems;
}

/**
 * Every way one service's release (or, without `versions`, its routing as declared in code) departs from the
 * schema; paths start with `at`.
 */
export function serviceReleaseProblems(release: unknown, at: string, versionsAllowed: boolean): ReleaseFileProblem[] {
  const problems: ReleaseFileProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const keysOf = (at: string, object: Record<string, unknown>, allowed: readonly string[]) => {
    for (const k of Object.keys(object)) if (!allowed.includes(k)) problem(at + key(k), `unknown key "${k}": use ${allowed.join(', ')}`);
  };
  const string = (at: string, value: unknown, what: string, pattern?: RegExp) => {
    if (typeof value !== 'string' || value.length === 0) problem(at, `${show(value)} is not ${what}: write a non-empty string such as "v2"`);
    else if (pattern && (!pattern.test(value) || value.length > 63)) problem(at, `"${value}" is not ${what}: use at most 63 lower-case letters, digits and '-', such as "v2"`);
  };
  const percent = (at: string, value: unknown) => {
    if (!isInt(value, 0, 100)) problem(at, `${show(value)} is not a percentage: write an integer from 0 to 100`);
  };

  if (!isObject(release)) {
    problem(at, `${show(release)} is not a release: write an object such as {"stable": "v1", "canary": {"version": "v2", "weight": 1}}`);
    return problems;
  }
  keysOf(at, release, [...(versionsAllowed ? ['versions'] : []), 'stable', 'canary', 'weights', 'match', 'mirror']);
  if (release.versions !== undefined) {
    if (!isObject(release.versions)) {
      problem(`${at}.versions`, `${show(release.versions)} is not an object: write {"v2": {"image": "repo/name:2.0.0", "replicas": 1}}`);
    } else {
      for (const [version, options] of Object.entries(release.versions)) {
        const vat = `${at}.versions${entry(version)}`;
        if (!VERSION_NAME.test(version) || version.length > 63) problem(vat, `"${version}" is not a version name: use lower-case letters, digits and '-', such as "v2"`);
        if (!isObject(options)) {
          problem(vat, `${show(options)} is not a version: write {"image": "repo/name:2.0.0", "replicas": 1}, or {} for the service's image`);
          continue;
        }
        keysOf(vat, options, ['image', 'replicas']);
        if (options.image !== undefined && (typeof options.image !== 'string' || options.image.length === 0)) {
          problem(`${vat}.image`, `${show(options.image)} is not an image reference: write "repo/name:2.0.0"`);
        } else if (typeof options.image === 'string') {
          const error = checkImage(options.image);
          if (error) problem(`${vat}.image`, error);
        }
        if (options.replicas !== undefined && !isInt(options.replicas, 0, 10000)) {
          problem(`${vat}.replicas`, `${show(options.replicas)} is not a number of pods: write an integer from 0 to 10000`);
        }
      }
    }
  }
  if (release.stable !== undefined) string(`${at}.stable`, release.stable, 'a version name', VERSION_NAME);
  if (release.canary !== undefined) {
    const canary = release.canary;
    if (!isObject(canary)) {
      problem(`${at}.canary`, `${show(canary)} is not a canary: write {"version": "v2", "weight": 1}`);
    } else {
      keysOf(`${at}.canary`, canary, ['version', 'weight', 'steps', 'controller']);
      string(`${at}.canary.version`, canary.version, 'a version name', VERSION_NAME);
      percent(`${at}.canary.weight`, canary.weight);
      if (canary.steps !== undefined) {
        if (!Array.isArray(canary.steps) || canary.steps.length === 0) {
          problem(`${at}.canary.steps`, `${show(canary.steps)} is not a list of steps: write ascending percentages ending at 100, such as [1, 5, 25, 50, 100]`);
        } else {
          canary.steps.forEach((s, i) => { if (!isInt(s, 1, 100)) problem(`${at}.canary.steps[${i}]`, `${show(s)} is not a step: write an integer from 1 to 100`); });
        }
      }
      if (canary.controller !== undefined && (canary.controller as unknown) !== 'argo-rollouts') {
        problem(`${at}.canary.controller`, `${show(canary.controller)} is not a controller: write "argo-rollouts", ` +
          'or leave it out (set by a release command run with the controller)');
      }
    }
  }
  if (release.weights !== undefined) {
    if (!isObject(release.weights)) problem(`${at}.weights`, `${show(release.weights)} is not an object: write {"v1": 90, "v2": 10}`);
    else for (const [version, weight] of Object.entries(release.weights)) percent(`${at}.weights${entry(version)}`, weight);
  }
  if (release.match !== undefined) {
    if (!Array.isArray(release.match)) {
      problem(`${at}.match`, `${show(release.match)} is not a list: write [{"version": "v2", "headers": {"x-cohort": "beta"}}]`);
    } else {
      release.match.forEach((m, i) => {
        const mat = `${at}.match[${i}]`;
        if (!isObject(m)) return problem(mat, `${show(m)} is not a rule: write {"version": "v2", "headers": {"x-cohort": "beta"}}`);
        keysOf(mat, m, ['version', 'name', 'headers', 'callers']);
        string(`${mat}.version`, m.version, 'a version name', VERSION_NAME);
        if (m.name !== undefined) string(`${mat}.name`, m.name, 'a rule name', VERSION_NAME);
        if (m.headers !== undefined) {
          if (!isObject(m.headers)) problem(`${mat}.headers`, `${show(m.headers)} is not an object: write {"x-cohort": "beta"}`);
          else for (const [h, v] of Object.entries(m.headers)) if (typeof v !== 'string') problem(`${mat}.headers${entry(h)}`, `${show(v)} is not a header value: write a string`);
        }
        if (m.callers !== undefined && (!Array.isArray(m.callers) || m.callers.some(c => typeof c !== 'string'))) {
          problem(`${mat}.callers`, `${show(m.callers)} is not a list of workload names: write ["memory-gateway"]`);
        }
        return undefined;
      });
    }
  }
  if (release.mirror !== undefined) {
    const mirror = release.mirror;
    if (!isObject(mirror)) {
      problem(`${at}.mirror`, `${show(mirror)} is not a mirror: write {"version": "v3", "percent": 10}`);
    } else {
      keysOf(`${at}.mirror`, mirror, ['version', 'percent']);
      string(`${at}.mirror.version`, mirror.version, 'a version name', VERSION_NAME);
      if (!(typeof mirror.percent === 'number' && mirror.percent > 0 && mirror.percent <= 100)) {
        problem(`${at}.mirror.percent`, `${show(mirror.percent)} is not a percentage above 0: write a number from 0.01 to 100`);
      }
    }
  }
  return problems;
}
