import * as fs from 'fs';
import type { Mesh } from './mesh';
import { MeshService } from './mesh-service';
import { fail } from './validation';
import type { ServiceRelease } from './release';

/**
 * A release file: each service's routing (canary, split, A/B, mirror) and the versions it runs beyond
 * those declared in code, as JSON, so that a platform engineer moves a release with one command or one small
 * edit and reviews it as a dist/ diff. docs/releases.schema.json is its JSON Schema.
 *
 * ```json
 * { "services": { "slm-service": { "versions": { "v2": { "image": "repo/slm:2.0.0", "replicas": 1 } },
 *                                  "stable": "v1", "canary": { "version": "v2", "weight": 1 } } } }
 * ```
 */
export interface ReleaseFile {
  /** Releases by service (name, or namespace/name). */
  readonly services: Record<string, ServiceRelease>;
}

/** Reads and checks a release file; every problem is reported with the file and its JSON path. */
export function readReleaseFile(file: string): ReleaseFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`[${file}] cannot read the release file (${code ?? (e as Error).message}): ${code === 'ENOENT' ? 'create it with {"services": {}}' : 'check the path and its permissions'}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`[${file}] is not JSON (${(e as Error).message}): fix the JSON, or restore it with git checkout`);
  }
  return parseReleaseFile(data, file);
}

/** Checks parsed JSON against the release file's schema before anything renders; throws every problem at once. */
export function parseReleaseFile(data: unknown, source: string): ReleaseFile {
  const problems = releaseFileProblems(data);
  if (problems.length > 0) {
    const lines = problems.map(p => `[${source} ${p.path}] ${p.message}`);
    throw new Error(lines.length === 1 ? lines[0] : `${lines.length} problems in the release file:\n${lines.join('\n')}`);
  }
  return data as ReleaseFile;
}

/** One schema violation: where (a JSON path such as `$.services["slm-service"].canary.weight`) and the fix. */
export interface ReleaseFileProblem {
  readonly path: string;
  readonly message: string;
}

const VERSION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_REF = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Every way `data` departs from the release file schema (docs/releases.schema.json), in document order. */
export function releaseFileProblems(data: unknown): ReleaseFileProblem[] {
  const problems: ReleaseFileProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const show = (value: unknown) => (value === undefined ? 'missing' : JSON.stringify(value));
  const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
  const entry = (k: string) => `[${JSON.stringify(k)}]`;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const keysOf = (at: string, object: Record<string, unknown>, allowed: readonly string[]) => {
    for (const k of Object.keys(object)) if (!allowed.includes(k)) problem(at + key(k), `unknown key "${k}": use ${allowed.join(', ')}`);
  };
  const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  const string = (at: string, value: unknown, what: string, pattern?: RegExp) => {
    if (typeof value !== 'string' || value.length === 0) problem(at, `${show(value)} is not ${what}: write a non-empty string such as "v2"`);
    else if (pattern && !pattern.test(value)) problem(at, `"${value}" is not ${what}: use lower-case letters, digits and '-', such as "v2"`);
  };
  const percent = (at: string, value: unknown) => {
    if (!isInt(value, 0, 100)) problem(at, `${show(value)} is not a percentage: write an integer from 0 to 100`);
  };

  if (!isObject(data)) {
    problem('$', `${Array.isArray(data) ? 'a list' : show(data)} is not a release file: write {"services": {"<service>": {...}}}`);
    return problems;
  }
  keysOf('$', data, ['services']);
  const services = data.services;
  if (!isObject(services)) {
    problem('$.services', `${show(services)} is not an object: write {"<service>": {"stable": "v1", ...}}`);
    return problems;
  }
  for (const [service, release] of Object.entries(services)) {
    const at = `$.services${entry(service)}`;
    if (!SERVICE_REF.test(service)) problem(at, `"${service}" is not a service name: write a declared service's name, or namespace/name`);
    if (!isObject(release)) {
      problem(at, `${show(release)} is not a release: write an object such as {"stable": "v1", "canary": {"version": "v2", "weight": 1}}`);
      continue;
    }
    keysOf(at, release, ['versions', 'stable', 'canary', 'weights', 'match', 'mirror']);
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
        keysOf(`${at}.canary`, canary, ['version', 'weight', 'steps']);
        string(`${at}.canary.version`, canary.version, 'a version name', VERSION_NAME);
        percent(`${at}.canary.weight`, canary.weight);
        if (canary.steps !== undefined) {
          if (!Array.isArray(canary.steps) || canary.steps.length === 0) {
            problem(`${at}.canary.steps`, `${show(canary.steps)} is not a list of steps: write ascending percentages ending at 100, such as [1, 5, 25, 50, 100]`);
          } else {
            canary.steps.forEach((s, i) => { if (!isInt(s, 1, 100)) problem(`${at}.canary.steps[${i}]`, `${show(s)} is not a step: write an integer from 1 to 100`); });
          }
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
  }
  return problems;
}

/** Runs each release's extra versions and routes each service as its release says. */
export function applyReleases(mesh: Mesh, file: ReleaseFile, source: string): void {
  for (const [ref, release] of Object.entries(file.services)) {
    const where = `${source} $.services[${JSON.stringify(ref)}]`;
    let workload;
    try {
      workload = mesh.workload(ref);
    } catch (e) {
      return fail(where, (e as Error).message.replace(/^\[[^\]]*\] /, ''));
    }
    if (!(workload instanceof MeshService)) fail(where, `${ref} is deployed elsewhere, so it has no versions to route: remove its release`);
    const { versions, ...routing } = release;
    for (const [version, options] of Object.entries(versions ?? {})) workload.addVersion(version, options);
    workload.traffic.route(routing, where);
  }
}
