#!/usr/bin/env node
// Renders SomaAgentHub from the compiled app, without ts-node's type-check on every run:
// Istio into dist/ and Linkerd into dist-linkerd/, or one of them with `--mesh istio|linkerd`.
// The app is compiled (and type-checked) by `npm run build`, which `npm ci` runs through `prepare`;
// when a source is newer than the last build, this transpiles the changed sources first, without
// type-checking them (that is `npm run build`'s and `npm test`'s job), so a synth after an edit stays fast.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
// Options are checked before anything runs: an unknown or misspelt one is refused, never ignored.
const USAGE = 'usage: node bin/synth.js [--mesh istio|linkerd] [--build-only]';
const argv = process.argv.slice(2).flatMap(a => (a.startsWith('--mesh=') ? ['--mesh', a.slice('--mesh='.length)] : [a]));
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--help' || argv[i] === '-h') { console.log(USAGE); process.exit(0); }
  if (argv[i] === '--build-only') continue;
  if (argv[i] === '--mesh' && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) { i++; continue; }
  console.error(argv[i] === '--mesh' ? `synth: --mesh needs a value (istio or linkerd)\n${USAGE}` : `synth: unknown option ${argv[i]}\n${USAGE}`);
  process.exit(2);
}
const stamp = path.join(root, 'lib', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (built === 0) {
  // Never built here: the one full, type-checked build.
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
} else if (Math.max(...['src', 'app', 'imports'].map(dir => newestSource(path.join(root, dir)))) > built) {
  require('./transpile-changed').transpileChanged();
}

if (argv.includes('--build-only')) process.exit(0); // bin/release.js: only make lib/ current

const { main, OUTDIR } = require(path.join(root, 'lib', 'app', 'synth.js'));
const { parseMeshTarget } = require(path.join(root, 'lib', 'src', 'renderers', 'mesh-target.js'));
const releases = path.join(root, 'releases.json');
const flag = argv.indexOf('--mesh');
try {
  if (process.env.CDK8S_OUTDIR) {
    main(process.env.CDK8S_OUTDIR, releases); // `cdk8s synth`: one mesh, $SOMA_MESH (Istio by default)
  } else {
    const targets = flag >= 0 ? [parseMeshTarget(argv[flag + 1] ?? '')] : Object.keys(OUTDIR);
    // Each folder is written atomically: a failure leaves that folder (and the ones after it) as they were.
    for (const target of targets) main(path.join(root, OUTDIR[target]), releases, target);
  }
} catch (error) {
  // The message names the construct path and the fix; a stack trace would only hide it.
  console.error(`synth failed: ${error.message}`);
  process.exit(1);
}
