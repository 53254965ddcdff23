import * as path from 'path';
import { IWarningSink, MeshTarget, MeshTargets } from '../src';
import { Release, ReleaseFile } from '../src';
import { OutputLockOptions, Synthesis, SynthTarget } from '../src';
import { SomaDelivery } from './delivery';
import { SOMA_LINKERD } from './linkerd';
import { SomaAgentHub } from './soma-agent-hub';
import { SomaWarnings } from './known-warnings';

/** Where each mesh's render is committed. A new mesh adds its folder here, and every synth and release writes it too. */
export const OUTDIR: Record<MeshTarget, string> = { [MeshTarget.ISTIO]: 'dist', [MeshTarget.LINKERD]: 'dist-linkerd', [MeshTarget.ISTIO_AMBIENT]: 'dist-ambient' };

/** A release file read and checked, with the name its errors use. */
export interface LoadedReleases {
  readonly file: ReleaseFile;
  readonly source: string;
}

/** Reads and checks a release file (every problem with its JSON path), before anything renders. */
export function loadReleases(releasesFile: string): LoadedReleases {
  return { file: Release.readFile(releasesFile), source: path.basename(releasesFile) };
}

/**
 * What renders SomaAgentHub for one mesh, with `releases`, into `outdir`, its canaries delivered by the release file
 * (the committed renders) or by Argo Rollouts (`delivery`).
 */
export function synthTarget(outdir: string, releases: LoadedReleases, target: MeshTarget,
  delivery: SomaDelivery = SomaDelivery.RELEASE_FILE, warnings: IWarningSink = new SomaWarnings()): SynthTarget {
  const mesh = { renderer: MeshTargets.renderer(target, SOMA_LINKERD), warningSink: warnings };
  return { outdir, build: app => new SomaAgentHub(app, 'soma-agent-hub', { releases, mesh, delivery }) };
}

/** Every mesh's target under `root` (dist/, dist-linkerd/, ...), or those of `meshes`. */
export function synthTargets(root: string, releases: LoadedReleases, meshes: readonly MeshTarget[] = Object.values(MeshTarget),
  warnings: IWarningSink = new SomaWarnings()): SynthTarget[] {
  return meshes.map(mesh => synthTarget(path.join(root, OUTDIR[mesh]), releases, mesh, SomaDelivery.RELEASE_FILE,
    warnings));
}

/**
 * Renders SomaAgentHub into every output folder under `root` (or those of `meshes`) as one transaction: the
 * release file is read under the lock, and the folders all change or none does.
 */
export function synthAll(root: string, releasesFile: string, meshes?: readonly MeshTarget[], options: OutputLockOptions = {}): void {
  const warnings = new SomaWarnings();
  Synthesis.withOutputLock(root, { description: 'synth', ...options, scanDirs: [root, path.dirname(path.resolve(releasesFile))] },
    lock => lock.commit(synthTargets(root, loadReleases(releasesFile), meshes, warnings)));
  if (warnings.summary) console.log(warnings.summary); // news only on stderr
}

/**
 * Renders SomaAgentHub for one mesh into `outdir` (Istio into dist/ by default; $CDK8S_OUTDIR and $SOMA_MESH
 * when run by `cdk8s synth`), with the releases (canaries, splits) of `releasesFile`, which `npm run release` edits,
 * delivered by that file (the committed renders) or by Argo Rollouts (`delivery`).
 */
export function main(outdir?: string, releasesFile = 'releases.json', target: MeshTarget = MeshTargets.parse(process.env.SOMA_MESH ?? MeshTarget.ISTIO),
  delivery: SomaDelivery = SomaDelivery.RELEASE_FILE): void {
  const dir = path.resolve(outdir ?? process.env.CDK8S_OUTDIR ?? OUTDIR[target]);
  const warnings = new SomaWarnings();
  Synthesis.withOutputLock(path.dirname(dir), { description: 'synth', scanDirs: [path.dirname(path.resolve(releasesFile))] },
    lock => lock.commit([synthTarget(dir, loadReleases(releasesFile), target, delivery, warnings)]));
  if (warnings.summary) console.log(warnings.summary); // news only on stderr
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    // The message names the construct path and the fix; a stack trace would only hide it.
    console.error(`synth failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
