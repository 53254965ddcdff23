#!/usr/bin/env node
// Renders SomaAgentHub from the compiled app, without ts-node's type-check on every run:
// Istio into dist/, Linkerd into dist-linkerd/ and Istio ambient into dist-ambient/, or one of them with
// `--mesh istio|linkerd|istio-ambient`; with `--delivery argo-rollouts --out DIR`, the canaries delivered by
// Argo Rollouts, into DIR.
// The app is compiled (and type-checked) by `npm run build` (the first synth runs its tsc part);
// when a source is newer than the last build, this transpiles the changed sources first, without
// type-checking them (that is `npm run build`'s and `npm test`'s job), so a synth after an edit stays fast.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
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

const MESHES = 'name'; // checked against the meshes the library renders, once lib/ is loaded
const USAGE = `usage: npm run synth [-- --mesh <${MESHES}>] [--delivery <release-file|argo-rollouts> --out DIR]
  renders SomaAgentHub into every output folder (or one mesh's) as one transaction: all change or none does;
  --delivery argo-rollouts --out DIR renders the canaries Argo Rollouts delivers into DIR (one mesh: Istio unless --mesh)`;

/** Reads the command line strictly: `--mesh istio` or `--mesh=istio`, the same for --delivery and --out; anything else is refused. */
function parseArgs(argv) {
  const options = { buildOnly: false, help: false };
  const VALUED = { '--mesh': 'mesh', '--delivery': 'delivery', '--out': 'out' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (arg === '--build-only') options.buildOnly = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (VALUED[flag]) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || value.startsWith('-')) fail(`${flag} needs a value: ${flag} <value>`);
      if (options[VALUED[flag]] !== undefined) fail(`${flag} is given twice: give it once`);
      options[VALUED[flag]] = value;
    } else {
      fail(`unknown ${arg.startsWith('-') ? 'option' : 'argument'} "${arg}": use --mesh <${MESHES}>, --delivery, --out, or nothing to render every mesh\n${USAGE}`);
    }
  }
  return options;
}

function fail(message) {
  console.error(`synth failed: ${message}`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (built === 0) {
  // Never built here: the one full, type-checked build.
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'build.js'), '--tsc-only'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
} else if (Math.max(...['src', 'app', 'imports'].map(dir => newestSource(path.join(root, dir)))) > built) {
  require('./transpile-changed').transpileChanged();
}

if (options.buildOnly) process.exit(0); // bin/release.js: only make lib/ current

const { main, synthAll } = require(path.join(root, 'lib', 'app', 'synth.js'));
const { parseMeshTarget } = require(path.join(root, 'lib', 'src', 'renderers', 'mesh-target.js'));
const { parseSomaDelivery } = require(path.join(root, 'lib', 'app', 'delivery.js'));
const releases = path.join(root, 'releases.json');
try {
  const mesh = options.mesh === undefined ? undefined : parseMeshTarget(options.mesh);
  const delivery = options.delivery === undefined ? undefined : parseSomaDelivery(options.delivery);
  if (delivery && delivery !== 'release-file' && !options.out && !process.env.CDK8S_OUTDIR) {
    throw new Error(`--delivery ${delivery} needs --out DIR: the committed dist/ and dist-linkerd/ stay delivered by the release file`);
  }
  if (process.env.CDK8S_OUTDIR) {
    main(process.env.CDK8S_OUTDIR, releases, undefined, delivery); // `cdk8s synth`: one mesh, $SOMA_MESH (Istio by default)
  } else if (options.out !== undefined) {
    main(path.resolve(options.out), releases, mesh ?? 'istio', delivery);
  } else {
    // Every output folder in one transaction: after a failure, a kill or a full disk, all are new or all are as they were.
    synthAll(root, releases, mesh && [mesh]);
  }
} catch (error) {
  // The message names the construct path and the fix; a stack trace would only hide it.
  console.error(`synth failed: ${error.message}`);
  process.exit(1);
}
