import * as fs from 'fs';
import type { Mesh } from './mesh';
import { MeshService } from './mesh-service';
import { fail } from './validation';
import { PropsCheck } from './props-check';
import type { ServiceRelease } from './release';
import { releaseFileProblems } from './release-schema';

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

/** Runs each release's extra versions and routes each service as its release says. */
export function applyReleases(mesh: Mesh, file: ReleaseFile, source: string): void {
  checkReleaseFileArgument(new PropsCheck('Release.apply'), 'file', file, source);
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

/**
 * A release file as `applyReleases` takes it: already read and parsed (a path is the likely mistake), and the name
 * its errors give it. Its content is then checked against the schema, as a file read from disk is.
 */
function checkReleaseFileArgument(at: PropsCheck, prop: string, file: unknown, source: unknown): void {
  at.string('source', source, '"releases.json"');
  if (typeof file === 'string') {
    const path = JSON.stringify(file);
    at.fail(prop, `${path} (a string) is not a release file`,
      `read it first and pass what it holds: Release.readFile(${path}), with source ${path}`);
  }
  parseReleaseFile(file, source as string);
}
