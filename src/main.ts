import { MeshTarget, parseMeshTarget, rendererFor } from './mesh/mesh-target';
import { synthesizeAtomically } from './synthesize';
import { SomaAgentHub } from './soma/soma-agent-hub';

/** Where each mesh's render is committed. */
export const OUTDIR: Record<MeshTarget, string> = { [MeshTarget.ISTIO]: 'dist', [MeshTarget.LINKERD]: 'dist-linkerd' };

/**
 * Renders SomaAgentHub for one mesh into `outdir` (Istio into dist/ by default; $CDK8S_OUTDIR and
 * $SOMA_MESH when run by `cdk8s synth`).
 */
export function main(outdir?: string, target: MeshTarget = parseMeshTarget(process.env.SOMA_MESH ?? MeshTarget.ISTIO)): void {
  synthesizeAtomically(outdir ?? process.env.CDK8S_OUTDIR ?? OUTDIR[target], app => {
    new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: rendererFor(target) } });
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
