/**
 * One measurement, in a process of its own so that its peak memory is its own:
 * `node lib/bench/child.js '{"side":"library","services":1000}'` prints one JSON line (a `ChildResult`).
 * Both sides load the same modules, so that module loading weighs the same on each.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { libraryChart } from './library-mesh';
import { floorChart } from './raw-floor';
import { syntheticMesh } from './synthetic-mesh';

export interface ChildTask {
  /**
   * `library`: through Mesh, MeshService and allowFrom; `floor`: the same objects with raw cdk8s;
   * `baseline`: neither, only the modules and the generated topology, to see what a process costs before rendering.
   */
  readonly side: 'library' | 'floor' | 'baseline';
  readonly services: number;
  /** @default 10 */
  readonly calls?: number;
  /** @default 7 */
  readonly seed?: number;
  /** For the floor: the kinds the library's render holds. @default - the exact kinds only */
  readonly kinds?: string[];
}

export interface ChildResult {
  /** Wall time of declaring the chart and `app.synth()` (build, resolve, YAML, write), in ms. */
  readonly ms: number;
  /** CPU time (user + system, every thread) over the same span, in ms. */
  readonly cpuMs: number;
  /** Peak resident memory of the whole process, in KiB. */
  readonly maxRssKb: number;
  /** Bytes of YAML written. */
  readonly bytes: number;
  /** Objects written, by kind. */
  readonly kinds: Record<string, number>;
}

/** Renders one synthetic mesh into a temporary folder, as synth does, and measures it. */
export function measure(task: ChildTask): ChildResult {
  const mesh = syntheticMesh(task.services, task.calls ?? 10, task.seed ?? 7);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `soma-bench-${task.side}-`));
  try {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const app = new App({ outdir });
    if (task.side === 'library') libraryChart(app, mesh);
    else if (task.side === 'floor') floorChart(app, mesh, new Set(task.kinds ?? []));
    app.synth();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const maxRssKb = process.resourceUsage().maxRSS;
    const files = fs.readdirSync(outdir);
    let bytes = 0;
    const kinds: Record<string, number> = {};
    for (const file of files) {
      const text = fs.readFileSync(path.join(outdir, file), 'utf8');
      bytes += Buffer.byteLength(text);
      // Top-level `kind:` lines: one per document, without parsing 15 MB of YAML.
      for (const match of text.matchAll(/^kind: (\S+)$/gm)) kinds[match[1]] = (kinds[match[1]] ?? 0) + 1;
    }
    return { ms, cpuMs: (used.user + used.system) / 1000, maxRssKb, bytes, kinds };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  process.stdout.write(JSON.stringify(measure(JSON.parse(process.argv[2]) as ChildTask)) + '\n');
}
