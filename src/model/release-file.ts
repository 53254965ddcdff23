import * as fs from 'fs';
import type { Mesh } from './mesh';
import { MeshService } from './mesh-service';
import { fail } from './validation';
import type { ServiceRelease } from './release';

/**
 * A release file: each service's routing (canary, split, A/B, mirror) and the versions it runs beyond
 * those declared in code, as JSON, so that a platform engineer moves a release with one command or one small
 * edit and reviews it as a dist/ diff.
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

const RELEASE_KEYS = new Set(['versions', 'stable', 'canary', 'weights', 'match', 'mirror']);

/** Reads and shape-checks a release file; errors name the file and the key. */
export function readReleaseFile(file: string): ReleaseFile {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`[${file}] cannot read the release file: ${(e as Error).message}; fix the JSON, or restore it with git checkout`);
  }
  return parseReleaseFile(data, file);
}

export function parseReleaseFile(data: any, source: string): ReleaseFile {
  if (!data || typeof data !== 'object' || !data.services || typeof data.services !== 'object' || Array.isArray(data.services)) {
    fail(source, 'a release file is {"services": {"<service>": {...}}}: put each service\'s release under "services"');
  }
  for (const [service, release] of Object.entries<any>(data.services)) {
    const where = `${source} services["${service}"]`;
    if (!release || typeof release !== 'object' || Array.isArray(release)) fail(where, 'a release is an object: {"stable": "v1", "canary": {...}}');
    for (const key of Object.keys(release)) {
      if (!RELEASE_KEYS.has(key)) fail(where, `unknown key "${key}": use ${[...RELEASE_KEYS].join(', ')}`);
    }
    if (release.canary && (typeof release.canary.version !== 'string' || typeof release.canary.weight !== 'number')) {
      fail(where, 'canary needs "version" (a string) and "weight" (a number): {"version": "v2", "weight": 1}');
    }
  }
  return data as ReleaseFile;
}

/** Runs each release's extra versions and routes each service as its release says. */
export function applyReleases(mesh: Mesh, file: ReleaseFile, source: string): void {
  for (const [ref, release] of Object.entries(file.services)) {
    const where = `${source} services["${ref}"]`;
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
