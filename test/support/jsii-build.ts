import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
const ASSEMBLY = path.join(ROOT, '.jsii');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  if (!fs.existsSync(ASSEMBLY)) return true;
  const sources = Math.max(newestSource(path.join(ROOT, 'src')), fs.statSync(path.join(ROOT, 'package.json')).mtimeMs);
  return fs.statSync(ASSEMBLY).mtimeMs < sources;
}

/**
 * Builds `.jsii` (and lib/) with `npm run build` when it is missing or older than the sources; one test file builds
 * while the others wait for it (a lock folder), so a fresh clone's `npm test` runs jsii once.
 */
export function ensureAssembly(): void {
  const lock = path.join(ROOT, '.jsii-build.lock');
  for (;;) {
    if (!stale()) return;
    try {
      fs.mkdirSync(lock);
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // another test file is building
      continue;
    }
    try {
      if (stale()) execFileSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--jsii-only'], { cwd: ROOT, stdio: 'pipe' });
      return;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}
