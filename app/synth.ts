import * as path from 'path';
import { MeshTarget, parseMeshTarget, rendererFor } from '../src';
import { readReleaseFile } from '../src';
import { synthesizeAtomically } from '../src';
import { SomaDelivery } from './delivery';
import { SOMA_LINKERD } from './linkerd';
import { SomaAgentHub } from './soma-agent-hub';

/** Where each mesh's render is committed. */
export const OUTDIR: Record<MeshTarget, string> = { [MeshTarget.ISTIO]: 'dist', [MeshTarget.LINKERD]: 'dist-linkerd', [MeshTarget.ISTIO_AMBIENT]: 'dist-ambient' };

/**
 * Renders SomaAgentHub for one mesh into `outdir` (Istio into dist/ by default; $CDK8S_OUTDIR and $SOMA_MESH
 * when run by `cdk8s synth`), with the releases (canaries, splits) of `releasesFile`, which `npm run release` edits,
 * delivered by that file (the committed renders) or by Argo Rollouts (`delivery`).
 */
export function main(outdir?: string, releasesFile = 'releases.json', target: MeshTarget = parseMeshTarget(process.env.SOMA_MESH ?? MeshTarget.ISTIO),
  delivery: SomaDelivery = SomaDelivery.RELEASE_FILE): void {
  const releases = { file: readReleaseFile(releasesFile), source: path.basename(releasesFile) };
  synthesizeAtomically(outdir ?? process.env.CDK8S_OUTDIR ?? OUTDIR[target], app => {
    new SomaAgentHub(app, 'soma-agent-hub', { releases, mesh: { renderer: rendererFor(target, SOMA_LINKERD) }, delivery });
  });
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
