/**
 * `npm run bench:review`: the review commands at scale. Renders the benchmark's synthetic mesh (10 calls per service)
 * at each size, and the same mesh with one call more, then runs `soma-mesh matrix`, `check` and `diff` on them as cold
 * processes and reports wall time and peak memory next to the time synth took to write the render.
 * BENCH_REVIEW_SIZES (default 1000,3000); BENCH_REPEATS (default 3) processes per measurement, median reported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { libraryChart } from './library-mesh';
import { median, runCold } from './measure';
import { syntheticMesh } from './synthetic-mesh';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'soma-mesh.js');
const SIZES = (process.env.BENCH_REVIEW_SIZES ?? '1000,3000').split(',').map(Number).filter(n => n > 0);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

interface Row { services: number; objects: number; synthMs: number; cost: Record<string, { ms: number; mb: number }> }

function render(services: number, outdir: string, extraCall: boolean): { ms: number; objects: number } {
  const mesh = syntheticMesh(services, 10, 7);
  const taken = new Set(mesh.calls.filter(c => c.from === 0).map(c => c.to));
  const to = [...Array(services).keys()].find(i => i !== 0 && !taken.has(i))!;
  const calls = extraCall ? [...mesh.calls, { from: 0, to, port: mesh.services[to].ports[0].port }] : mesh.calls;
  const start = performance.now();
  const app = new App({ outdir });
  libraryChart(app, { ...mesh, calls });
  app.synth();
  const ms = performance.now() - start;
  const objects = fs.readdirSync(outdir).reduce((n, f) => n + (fs.readFileSync(path.join(outdir, f), 'utf8').match(/^kind: /gm) ?? []).length, 0);
  return { ms, objects };
}

function main(): void {
  const rows: Row[] = [];
  for (const services of SIZES) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-review-bench-'));
    try {
      const before = path.join(scratch, 'before');
      const after = path.join(scratch, 'after');
      const { ms: synthMs, objects } = render(services, before, false);
      render(services, after, true);
      const commands: Record<string, string[]> = {
        matrix: ['matrix', before], check: ['check', before], diff: ['diff', before, after, '--allow-widening'],
      };
      const cost: Row['cost'] = {};
      for (const [name, args] of Object.entries(commands)) {
        const runs = Array.from({ length: REPEATS }, () => runCold(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
        cost[name] = { ms: median(runs.map(r => r.wallMs)), mb: median(runs.map(r => r.maxRssKb)) / 1024 };
      }
      rows.push({ services, objects, synthMs, cost });
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log('**Review commands at scale** (cold processes, median of %d; synth: the same render, in process)\n', REPEATS);
  console.log('| services | objects | synth | matrix | check | diff (one call added) | peak memory matrix / check / diff |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.services.toLocaleString('en')} | ${r.objects.toLocaleString('en')} | ${s(r.synthMs)} | ${s(r.cost.matrix.ms)} | ${s(r.cost.check.ms)} | ${s(r.cost.diff.ms)} | ${['matrix', 'check', 'diff'].map(c => `${r.cost[c].mb.toFixed(0)} MB`).join(' / ')} |`);
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0], rows[rows.length - 1]];
    const growth = (c: string) => (b.cost[c].ms / a.cost[c].ms).toFixed(2);
    console.log(`\nGrowth from ${a.services.toLocaleString('en')} to ${b.services.toLocaleString('en')} services (${(b.services / a.services).toFixed(1)}x): matrix ${growth('matrix')}x, check ${growth('check')}x, diff ${growth('diff')}x, synth ${(b.synthMs / a.synthMs).toFixed(2)}x.`);
  }
}

main();
