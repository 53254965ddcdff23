import { synthesizeAtomically } from './synthesize';
import { SomaAgentHub } from './soma/soma-agent-hub';

/** Renders SomaAgentHub into dist/ (or $CDK8S_OUTDIR when run by `cdk8s synth`). */
export function main(outdir = process.env.CDK8S_OUTDIR ?? 'dist'): void {
  synthesizeAtomically(outdir, app => {
    new SomaAgentHub(app, 'soma-agent-hub');
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
