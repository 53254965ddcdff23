/**
 * `npm run bench`: measures synth in cold processes, one at a time, and prints one Markdown report.
 * Environment: BENCH_REPEATS (default 5) processes per measurement, median reported;
 * BENCH_SIZES (default 100,1000,3000) synthetic mesh sizes, 10 calls per service (`none`: SomaAgentHub only).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SOMA_CALLS } from '../app/calls';
import { SOMA_PEERS } from '../app/infrastructure';
import type { ChildResult, ChildTask } from './child';
import { somaDataPlane, syntheticDataPlane } from './data-plane';
import { HAS_GNU_TIME, median, runCold } from './measure';
import { EXACT_FLOOR_KINDS, MIRRORED_FLOOR_KINDS } from './raw-floor';
import type { DataPlane } from './visible-hosts';

const ROOT = path.resolve(__dirname, '..', '..');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,3000').split(',').map(Number).filter(size => size > 0);
const CALLS = 10;
const FLOOR_KINDS = new Set([...EXACT_FLOOR_KINDS, ...MIRRORED_FLOOR_KINDS]);

interface SynthCommand {
  label: string;
  command: string;
  args: string[];
  /** Make a source newer than lib/ before each run, as an edit does. */
  afterEdit?: boolean;
}
interface CommandRow { label: string; wall: number[]; rss: number[] }
/** CPU of `node bin/synth.js` and of a process that only loads cdk8s and cdk8s-plus-28, run in turn. */
interface LoadFloorRow { synth: number[]; floor: number[] }
interface SizeRow {
  services: number;
  calls: number;
  library: ChildResult[];
  floor: ChildResult[];
  baseline: ChildResult[];
  libraryWall: number[];
  floorWall: number[];
}

function main(): void {
  const load = [os.loadavg()[0]];
  const started = new Date();
  const compilers = compilersOnSynthPath();
  const commands = measureSynthCommands();
  const loadFloor = measureLoadFloor();
  const sizes = SIZES.map(services => measureSize(services, CALLS));
  log('1,000 services x 20 calls (object counts)');
  const doubled = child({ side: 'library', services: 1000, calls: 2 * CALLS });
  log('data plane');
  const soma = somaDataPlane();
  const synthetic = syntheticDataPlane(1000, CALLS);
  load.push(os.loadavg()[0]);
  process.stdout.write(report(started, load, compilers, commands, loadFloor, sizes, doubled, soma, synthetic));
}

/** SomaAgentHub, rendered by the README's command and its variants, each into a scratch folder. */
function measureSynthCommands(): CommandRow[] {
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  const commands: SynthCommand[] = [
    { label: '`npm run synth` (the README command)', command: 'npm', args: ['run', '--silent', 'synth'] },
    { label: '`node bin/synth.js` (what npm runs)', command: process.execPath, args: ['bin/synth.js'] },
    // The CLI checks npm for a newer version of itself on every run unless told not to; that is network, not synth.
    { label: '`cdk8s synth` (cdk8s.yaml app: `node bin/synth.js`)', command: cli, args: ['synth', '--no-check-upgrade'] },
    { label: '`npm run synth` after an edit (one source newer than lib/: transpiled, not type-checked)', command: 'npm', args: ['run', '--silent', 'synth'], afterEdit: true },
  ];
  const dist = fs.readFileSync(path.join(ROOT, 'dist', 'soma-agent-hub.k8s.yaml'), 'utf8');
  const edited = path.join(ROOT, 'app', 'calls.ts');
  const { atime, mtime } = fs.statSync(edited);
  try {
    return commands.map(c => measureSynthCommand(c, cli, dist, edited));
  } finally {
    fs.utimesSync(edited, atime, mtime); // the "edit" only moved its time; put it back
  }
}

function measureSynthCommand(c: SynthCommand, cli: string, dist: string, edited: string): CommandRow {
  log(`SomaAgentHub: ${c.label}`);
  const row: CommandRow = { label: c.label, wall: [], rss: [] };
  for (let i = 0; i < REPEATS; i++) {
    if (c.afterEdit) {
      const now = new Date();
      fs.utimesSync(edited, now, now);
    }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bench-synth-'));
    const outdir = path.join(scratch, 'dist');
    try {
      let cost;
      if (c.command === cli) {
        // The CLI is given a folder of its own and passes it to the app as CDK8S_OUTDIR.
        cost = runCold(c.command, [...c.args, '--output', outdir], { cwd: ROOT });
        const rendered = fs.readFileSync(path.join(outdir, 'soma-agent-hub.k8s.yaml'), 'utf8');
        if (rendered !== dist) throw new Error(`${c.label} rendered something other than the committed dist/`);
      } else {
        // Exactly the README command, in place: it rewrites the output folders, which must come out unchanged.
        const before = outputFolders();
        cost = runCold(c.command, c.args, { cwd: ROOT, env: { CDK8S_OUTDIR: undefined } });
        if (outputFolders() !== before) throw new Error(`${c.label} changed the committed output folders: run it and commit them first`);
      }
      row.wall.push(cost.wallMs);
      row.rss.push(cost.maxRssKb);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  return row;
}

/** The load floor: what a process pays to load cdk8s and cdk8s-plus-28, the least any cdk8s synth costs. */
const LOAD_FLOOR = ['-e', "require('cdk8s'); require('cdk8s-plus-28')"];

/**
 * `node bin/synth.js` (all renders and the analyzer, in place) next to the load floor, one after the other so that a
 * busy moment of the machine hits both; CPU time (user + system) of each whole process.
 */
function measureLoadFloor(): LoadFloorRow {
  log('SomaAgentHub: `node bin/synth.js` next to the load floor');
  const row: LoadFloorRow = { synth: [], floor: [] };
  const before = outputFolders();
  for (let i = 0; i < Math.max(REPEATS, 7); i++) {
    row.floor.push(runCold(process.execPath, LOAD_FLOOR, { cwd: ROOT }).cpuMs);
    row.synth.push(runCold(process.execPath, ['bin/synth.js'], { cwd: ROOT, env: { CDK8S_OUTDIR: undefined } }).cpuMs);
  }
  if (outputFolders() !== before) {
    throw new Error('`node bin/synth.js` changed the committed output folders: run it and commit them first');
  }
  return row;
}

/** Every file of the repository's output folders (dist/, and any dist-*), with its content, as one string. */
function outputFolders(): string {
  const parts: string[] = [];
  for (const dir of fs.readdirSync(ROOT).filter(d => /^dist(-|$)/.test(d)).sort()) {
    for (const file of fs.readdirSync(path.join(ROOT, dir)).sort()) {
      parts.push(`${dir}/${file}\n${fs.readFileSync(path.join(ROOT, dir, file), 'utf8')}`);
    }
  }
  return parts.join('\n');
}

/** The TypeScript compilers (typescript, ts-node) that `node bin/synth.js` loads when lib/ is up to date. */
function compilersOnSynthPath(): string[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bench-modules-'));
  try {
    const file = path.join(scratch, 'modules');
    const hook = path.join(__dirname, 'report-modules.js');
    runCold(process.execPath, ['--require', hook, 'bin/synth.js'], {
      cwd: ROOT, env: { CDK8S_OUTDIR: path.join(scratch, 'dist'), SOMA_BENCH_MODULES_FILE: file },
    });
    return fs.existsSync(file) ? [...new Set(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean))] : [];
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Library and floor at one size, alternating so that a slow moment of the machine hits both. */
function measureSize(services: number, calls: number): SizeRow {
  log(`${services} services x ${calls} calls`);
  const row: SizeRow = { services, calls, library: [], floor: [], baseline: [], libraryWall: [], floorWall: [] };
  let kinds: string[] | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const lib = childWithWall({ side: 'library', services, calls });
    row.library.push(lib.result);
    row.libraryWall.push(lib.wallMs);
    // The floor writes the kinds the library writes, so both sides render the same objects.
    kinds ??= Object.keys(lib.result.kinds).filter(k => FLOOR_KINDS.has(k));
    const floor = childWithWall({ side: 'floor', services, calls, kinds });
    row.floor.push(floor.result);
    row.floorWall.push(floor.wallMs);
    row.baseline.push(child({ side: 'baseline', services, calls }));
  }
  return row;
}

function child(task: ChildTask): ChildResult {
  return childWithWall(task).result;
}

function childWithWall(task: ChildTask): { result: ChildResult; wallMs: number } {
  const cost = runCold(process.execPath, [path.join(__dirname, 'child.js'), JSON.stringify(task)], { cwd: ROOT });
  return { result: JSON.parse(cost.stdout) as ChildResult, wallMs: cost.wallMs };
}

function report(started: Date, load: number[], compilers: string[], commands: CommandRow[], loadFloor: LoadFloorRow,
  sizes: SizeRow[], doubled: ChildResult, soma: DataPlane, synthetic: DataPlane): string {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(safeRead('/proc/cpuinfo'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  out(`### Benchmark run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out();
  out(`Machine: ${os.cpus().length} cores (\`nproc\`), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, ${os.platform()} ${os.release()}.`);
  out(`Load average (1 min) ${load[0].toFixed(1)} at start, ${load[1].toFixed(1)} at end; bench niceness ${os.getPriority()}. Each figure is the median of ${REPEATS} cold processes, run one at a time; peak memory is ${HAS_GNU_TIME ? 'GNU time\'s maximum resident set size' : 'the largest `process.resourceUsage().maxRSS` of the command\'s node processes'}.`);
  out();
  out('**SomaAgentHub synth** (cold process; the npm and node commands render in place and must leave the committed output unchanged, `cdk8s synth` renders into a scratch folder checked equal to `dist/`)');
  out();
  out('| command | wall, median | wall, min to max | peak memory |');
  out('|---|---:|---:|---:|');
  for (const c of commands) out(`| ${c.label} | ${sec(median(c.wall))} | ${sec(Math.min(...c.wall))} to ${sec(Math.max(...c.wall))} | ${mb(median(c.rss))} |`);
  out();
  const synthCpu = median(loadFloor.synth);
  const floorCpu = median(loadFloor.floor);
  const loadRatio = synthCpu / floorCpu;
  out('**Synth CPU against the load floor** (CPU time, user + system, of each whole process, median of '
    + `${loadFloor.synth.length}, the two run in turn: \`node bin/synth.js\` renders every mesh and runs the analyzer;`
    + ' the load floor only loads cdk8s and cdk8s-plus-28)');
  out();
  out('| process | CPU, median | CPU, min to max |');
  out('|---|---:|---:|');
  const range = (cpu: number[]) => `${sec(Math.min(...cpu))} to ${sec(Math.max(...cpu))}`;
  out(`| load floor: \`node -e "${LOAD_FLOOR[1]}"\` | ${sec(floorCpu)} | ${range(loadFloor.floor)} |`);
  out(`| \`node bin/synth.js\` | ${sec(synthCpu)} | ${range(loadFloor.synth)} |`);
  out();
  out(`Synth CPU / load-floor CPU: **${ratio(loadRatio)}**.`);
  out();
  out(compilers.length === 0
    ? 'Type-checking on the synth path: none. With lib/ up to date, `node bin/synth.js` loads neither typescript nor ts-node; after an edit it transpiles the changed sources alone (no type-check).'
    : `Type-checking on the synth path: \`node bin/synth.js\` loaded ${compilers.join(' and ')} although lib/ should be up to date.`);
  out();
  out(`**Synthetic meshes, ${CALLS} calls per service: the library next to the raw cdk8s floor** (synth = declaring the chart + \`app.synth()\` to a file, inside the process; memory = the process's peak RSS; baseline = a process that loads the same modules and generates the topology but renders nothing)`);
  out();
  out('| services | calls | library synth | floor synth | time ratio | library peak | floor peak | memory ratio | above baseline (library / floor) | objects | YAML |');
  out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of sizes) {
    const lib = median(s.library.map(r => r.ms));
    const floor = median(s.floor.map(r => r.ms));
    const libRss = median(s.library.map(r => r.maxRssKb));
    const floorRss = median(s.floor.map(r => r.maxRssKb));
    const base = median(s.baseline.map(r => r.maxRssKb));
    const objects = total(s.library[0].kinds);
    const floorObjects = total(s.floor[0].kinds);
    out(`| ${n(s.services)} | ${n(s.services * s.calls)} | ${sec(lib)} | ${sec(floor)} | ${ratio(lib / floor)} | ${mb(libRss)} | ${mb(floorRss)} | ${ratio(libRss / floorRss)} | ${mb(libRss - base)} / ${mb(floorRss - base)} (${ratio((libRss - base) / (floorRss - base))}) | ${n(objects)}${objects === floorObjects ? '' : ` (floor ${n(floorObjects)})`} | ${(s.library[0].bytes / 2 ** 20).toFixed(1)} MB |`);
  }
  out();
  out('Whole cold process (spawn to exit, node start-up and module loading included), and the CPU time (user + system, all threads) of the synth itself, which a busy machine disturbs less than wall time:');
  out();
  out('| services | library process | floor process | ratio | library synth CPU | floor synth CPU | CPU ratio |');
  out('|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of sizes) {
    const lw = median(s.libraryWall);
    const fw = median(s.floorWall);
    const lc = median(s.library.map(r => r.cpuMs));
    const fc = median(s.floor.map(r => r.cpuMs));
    out(`| ${n(s.services)} | ${sec(lw)} | ${sec(fw)} | ${ratio(lw / fw)} | ${sec(lc)} | ${sec(fc)} | ${ratio(lc / fc)} |`);
  }
  out();
  const first = sizes[0];
  if (first) {
    const libKinds = Object.keys(first.library[0].kinds).sort();
    const floorKinds = Object.keys(first.floor[0].kinds).sort();
    const missing = libKinds.filter(k => !floorKinds.includes(k));
    out(`Kinds emitted: library ${libKinds.join(', ')}; floor ${floorKinds.join(', ')}.`
      + (missing.length > 0 ? ` The floor does not build ${missing.join(', ')}, so it is lighter than the library by those.` : ' Same kinds, same counts.')
      + ` VirtualService and DestinationRule${MIRRORED_FLOOR_KINDS.includes('Sidecar') ? ' (and Sidecar)' : ''} appear on both sides only once the library renders them.`);
    out();
  }
  const at = (services: number) => sizes.find(s => s.services === services);
  const k1 = at(1000);
  const k3 = at(3000);
  let growth: number | undefined;
  if (k1 && k3) {
    growth = median(k3.library.map(r => r.ms)) / median(k1.library.map(r => r.ms));
    const floorGrowth = median(k3.floor.map(r => r.ms)) / median(k1.floor.map(r => r.ms));
    out(`Growth, synth time at 3,000 / at 1,000 services: library ${growth.toFixed(2)}, floor ${floorGrowth.toFixed(2)} (linear is 3.0).`);
    out();
  }
  out('**Objects emitted** (library)');
  out();
  out('| services | calls | objects | per service | AuthorizationPolicies | per service |');
  out('|---:|---:|---:|---:|---:|---:|');
  const somaKinds: Record<string, number> = {};
  for (const m of safeRead(path.join(ROOT, 'dist', 'soma-agent-hub.k8s.yaml')).matchAll(/^kind: (\S+)$/gm)) somaKinds[m[1]] = (somaKinds[m[1]] ?? 0) + 1;
  const somaServices = somaKinds.Deployment ?? 0;
  out(`| SomaAgentHub: ${somaServices} (+ ${SOMA_PEERS.length} peers) | ${SOMA_CALLS.length} | ${n(total(somaKinds))} | ${(total(somaKinds) / somaServices).toFixed(2)} | ${somaKinds.AuthorizationPolicy ?? 0} | ${((somaKinds.AuthorizationPolicy ?? 0) / somaServices).toFixed(2)} |`);
  const objectRows: Array<[number, number, Record<string, number>]> = sizes.map(s => [s.services, s.services * s.calls, s.library[0].kinds]);
  objectRows.push([1000, 1000 * 2 * CALLS, doubled.kinds]);
  for (const [services, calls, kinds] of objectRows) {
    const ap = kinds.AuthorizationPolicy ?? 0;
    out(`| ${n(services)} | ${n(calls)} | ${n(total(kinds))} | ${(total(kinds) / services).toFixed(2)} | ${n(ap)} | ${(ap / services).toFixed(2)} |`);
  }
  out();
  out('AuthorizationPolicies: one ALLOW policy per called workload (and per infrastructure peer, always guarded) and one allow-nothing per namespace created, whatever the number of calls.');
  out();
  out('**Data plane: hosts each sidecar proxy is programmed with** (read from the rendered YAML: Services and ServiceEntries, plus hosts that exist without being rendered here: istiod, the ingress gateway and, for SomaAgentHub, the infrastructure peers\' Services)');
  out();
  out('| mesh | proxies | hosts in registry | without Sidecar, mean / max | with Sidecar, mean / max | fewer hosts per proxy |');
  out('|---|---:|---:|---:|---:|---:|');
  for (const [label, dp] of [['SomaAgentHub', soma], [`synthetic, 1,000 services x ${CALLS} calls`, synthetic]] as const) {
    const scoped = dp.withScoping
      ? `${dp.withScoping.mean.toFixed(1)} / ${dp.withScoping.max}${dp.unscoped > 0 ? ` (${dp.unscoped} proxies unscoped)` : ''}`
      : 'n/a (no Sidecar rendered)';
    const fewer = dp.withScoping ? `${(dp.withoutScoping.mean / dp.withScoping.mean).toFixed(1)}x` : 'n/a';
    out(`| ${label} | ${n(dp.proxies)} | ${n(dp.registry)} | ${dp.withoutScoping.mean.toFixed(1)} / ${dp.withoutScoping.max} | ${scoped} | ${fewer} |`);
  }
  out();
  out('**Targets**');
  out();
  out('| target | measured | met |');
  out('|---|---:|---|');
  const readme = commands[0];
  if (readme) out(`| SomaAgentHub synth through \`npm run synth\` at most 1.0 s | ${sec(median(readme.wall))} | ${yes(median(readme.wall) <= 1000)} |`);
  out(`| \`node bin/synth.js\` CPU at most 3x the load floor's | ${ratio(loadRatio)} | ${yes(loadRatio <= 3)} |`);
  for (const s of [k1, k3]) {
    if (!s) continue;
    const t = median(s.library.map(r => r.ms)) / median(s.floor.map(r => r.ms));
    out(`| ${n(s.services)} services x ${CALLS}: time at most 1.15x the raw floor | ${ratio(t)} | ${yes(t <= 1.15)} |`);
  }
  if (k1) {
    const m = median(k1.library.map(r => r.maxRssKb)) / median(k1.floor.map(r => r.maxRssKb));
    out(`| 1,000 services x ${CALLS}: memory at most 1.3x the floor | ${ratio(m)} | ${yes(m <= 1.3)} |`);
  }
  if (growth !== undefined) out(`| time at 3,000 / at 1,000 at most 3.3 | ${growth.toFixed(2)} | ${yes(growth <= 3.3)} |`);
  const reduction = (dp: DataPlane) => (dp.withScoping ? dp.withoutScoping.mean / dp.withScoping.mean : undefined);
  const sr = reduction(soma);
  const yr = reduction(synthetic);
  out(`| Sidecar scoping: at least 5x fewer hosts per proxy on SomaAgentHub | ${sr === undefined ? 'n/a' : `${sr.toFixed(1)}x`} | ${sr === undefined ? 'not yet: no Sidecar rendered' : yes(sr >= 5)} |`);
  out(`| Sidecar scoping: at least 50x fewer at 1,000 services | ${yr === undefined ? 'n/a' : `${yr.toFixed(1)}x`} | ${yr === undefined ? 'not yet: no Sidecar rendered' : yes(yr >= 50)} |`);
  if (k1) {
    const ap10 = k1.library[0].kinds.AuthorizationPolicy ?? 0;
    const ap20 = doubled.kinds.AuthorizationPolicy ?? 0;
    out(`| AuthorizationPolicies grow with services, not calls | ${n(ap10)} at ${n(1000 * CALLS)} calls, ${n(ap20)} at ${n(2000 * CALLS)} | ${yes(ap10 === ap20)} |`);
  }
  out();
  return lines.join('\n');
}

function total(kinds: Record<string, number>): number {
  return Object.values(kinds).reduce((a, b) => a + b, 0);
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const ratio = (r: number) => `${r.toFixed(2)}x`;
const n = (v: number) => v.toLocaleString('en-US');
const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
const log = (what: string) => process.stderr.write(`bench: ${what}\n`);

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

main();
