import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';

/**
 * Builds and synthesizes an app into `outdir` all at once: the manifests are written to a
 * staging folder beside it and swapped in only when synth succeeds, so a failed synth
 * leaves the previous `outdir` exactly as it was.
 */
export function synthesizeAtomically(outdir: string, build: (app: App) => void): void {
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}-`));
  try {
    const app = new App({ outdir: staging });
    build(app);
    app.synth();
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const previous = `${staging}.old`;
  if (fs.existsSync(target)) fs.renameSync(target, previous);
  fs.chmodSync(staging, 0o755); // mkdtemp makes it private; dist/ is for everyone to read
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
}
