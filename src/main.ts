import * as path from 'path';
import { readReleaseFile } from './mesh/release-file';
import { synthesizeAtomically } from './synthesize';
import { SomaAgentHub } from './soma/soma-agent-hub';

/**
 * Renders SomaAgentHub into dist/ (or $CDK8S_OUTDIR when run by `cdk8s synth`), with the releases
 * (canaries, splits) of `releasesFile`, which `npm run release` edits.
 */
export function main(outdir = process.env.CDK8S_OUTDIR ?? 'dist', releasesFile = 'releases.json'): void {
  const releases = { file: readReleaseFile(releasesFile), source: path.basename(releasesFile) };
  synthesizeAtomically(outdir, app => {
    new SomaAgentHub(app, 'soma-agent-hub', { releases });
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
