#!/usr/bin/env node
// Packs the library as npm would publish it, checks what the package holds, installs it into a scratch cdk8s
// project pinned to the oldest cdk8s, constructs and cdk8s-plus-28 that package.json's peerDependencies accept,
// compiles the README's examples (as one program) and docs/library.md's examples there under `tsc --strict` (the library's own
// declarations checked too: no skipLibCheck), runs them, checks what they synthesize, and runs the packaged
// `soma-mesh matrix` over each render.
// Needs the npm registry (or a warm npm cache). Run by .ci/run; `npm run check:package` by hand.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();

/** The oldest version each peer range accepts: the `^x.y.z` floor. */
function oldest(name) {
  const range = pkg.peerDependencies[name];
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? '');
  if (!m) fail(`peerDependencies.${name} is "${range}": write it as ^x.y.z, whose floor this check installs`);
  return m[1];
}

function fail(message) {
  console.error(`check-package: ${message}`);
  process.exit(1);
}

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    fail(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

/** Every ```ts block of a Markdown file marked `<!-- library-example -->`. */
function examples(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const found = [...text.matchAll(/<!-- library-example -->\s*```ts\n([\s\S]*?)```/g)].map(m => m[1]);
  if (found.length === 0) fail(`${file} has no \`\`\`ts block marked <!-- library-example -->`);
  return found;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-mesh-package-'));
try {
  // 1. Pack: what npm publishes, built (tsc, then jsii) as the `prepack` script builds it. The build runs first, on
  // its own, because npm prints lifecycle scripts' output on the same stdout as `pack --json`.
  run(process.execPath, [path.join(root, 'bin', 'build.js')], root);
  const packed = JSON.parse(run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root))[0];
  const files = packed.files.map(f => f.path);
  // node_modules/: the bundled dependencies (yaml, ajv and theirs), which jsii requires inside the package.
  const outside = files.filter(f => !/^(lib\/src\/|lib\/imports\/|bin\/soma-mesh\.js$|LICENSE$|README\.md$|API\.md$|\.jsii$|package\.json$|docs\/[^/]+\.md$|node_modules\/)/.test(f));
  if (outside.length > 0) fail(`the package holds files that are not the library: ${outside.slice(0, 10).join(', ')}`);
  for (const needed of ['LICENSE', 'lib/src/index.js', 'lib/src/index.d.ts', 'bin/soma-mesh.js', '.jsii', 'API.md']) {
    if (!files.includes(needed)) fail(`the package lacks ${needed}`);
  }
  if (files.some(f => f.endsWith('.tsbuildinfo') || f.startsWith('lib/app/') || f.startsWith('lib/bench/'))) fail('the package holds the app, bench or build state');

  // 2. A scratch cdk8s project on the oldest supported peers, with the packed library.
  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  const peers = Object.fromEntries(Object.keys(pkg.peerDependencies).map(name => [name, oldest(name)]));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'scratch-cdk8s-project', version: '0.0.0', private: true,
    dependencies: { ...peers, 'soma-mesh': `file:${path.join(work, packed.filename)}` },
  }, null, 2));
  run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--strict-peer-deps'], project);
  for (const [name, version] of Object.entries(peers)) {
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', name, 'package.json'), 'utf8')).version;
    if (installed !== version) fail(`${name} ${installed} was installed, not the pinned ${version}`);
    // One copy only: a nested copy under soma-mesh is what breaks `new Mesh(chart, ...)`.
    if (fs.existsSync(path.join(project, 'node_modules', 'soma-mesh', 'node_modules', name))) fail(`soma-mesh brought its own copy of ${name}`);
  }

  // 3. The examples, compiled under --strict with the repository's TypeScript, then run.
  // The README's examples build on its first one: one program, as a reader assembles them.
  const [first, ...later] = [...fs.readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
  if (!first) fail('README.md has no ```ts example');
  const readmeProgram = later.length === 0 ? first : `${first.replace('app.synth();', '')}${later.join('\n')}\napp.synth();\n`;
  const sources = [readmeProgram, ...examples('docs/library.md')];
  sources.forEach((source, i) => fs.writeFileSync(path.join(project, `example-${i}.ts`), source));
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, esModuleInterop: true, outDir: 'out', types: [] },
    include: ['example-*.ts'],
  }, null, 2));
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  run(process.execPath, [tsc, '-p', project], project);
  let objects = 0;
  sources.forEach((_, i) => {
    const out = path.join(work, `dist-${i}`);
    run(process.execPath, [path.join(project, 'out', `example-${i}.js`)], project, { CDK8S_OUTDIR: out });
    const yaml = fs.existsSync(out) ? fs.readdirSync(out).map(f => fs.readFileSync(path.join(out, f), 'utf8')).join('\n') : '';
    if (!/kind: AuthorizationPolicy|kind: Server/.test(yaml)) fail(`example ${i} synthesized no mesh policy into ${out}`);
    objects += (yaml.match(/^kind: /gm) ?? []).length;
    // The packaged command reads what the packaged library rendered.
    const matrix = run(process.execPath, [path.join(project, 'node_modules', 'soma-mesh', 'bin', 'soma-mesh.js'), 'matrix', out, '--format', 'json'], project);
    if (!Array.isArray(JSON.parse(matrix).entries)) fail(`soma-mesh matrix printed no access matrix for example ${i}`);
  });
  console.log(`check-package: ${packed.filename} (${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB) on ${Object.entries(peers).map(([n, v]) => `${n}@${v}`).join(', ')}: ${sources.length} examples compiled under --strict and synthesized ${objects} objects in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
