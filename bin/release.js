#!/usr/bin/env node
// Moves a release without editing TypeScript: edits releases.json and re-renders every output folder, as one
// transaction (see `--help`). `npm run release -- slm-service canary 5`, `... next`, `... promote`, `... rollback`.
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = [];
const options = { file: path.join(root, 'releases.json'), noSynth: false, help: false };
// `--delivery argo-rollouts --out DIR`: the services a controller delivers get their Rollout rendered into DIR too.
const VALUED = { '--file': 'file', '--delivery': 'delivery', '--out': 'out' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const eq = arg.indexOf('=');
  const flag = eq >= 0 ? arg.slice(0, eq) : arg;
  if (arg === '--no-synth') options.noSynth = true;
  else if (arg === '--help' || arg === '-h') options.help = true;
  else if (VALUED[flag]) {
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (!value || value.startsWith('-')) {
      console.error(`release failed: ${flag} needs a value: ${flag} <value>`);
      process.exit(2);
    }
    options[VALUED[flag]] = flag === '--file' || flag === '--out' ? path.resolve(value) : value;
  } else args.push(arg);
}

// Build (type-check) first when sources changed, exactly as synth does; `status` reads lib/ too.
const check = spawnSync(process.execPath, [path.join(root, 'bin', 'synth.js'), '--build-only'], { cwd: root, stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

const { runRelease, RELEASE_USAGE } = require(path.join(root, 'lib', 'app', 'release.js'));
if (args.length === 0 || options.help) {
  console.log(RELEASE_USAGE);
  process.exit(options.help ? 0 : 1);
}
try {
  const { synthTarget, synthTargets } = require(path.join(root, 'lib', 'app', 'synth.js'));
  const { SOMA_SERVICES, SOMA_NAMESPACE } = require(path.join(root, 'lib', 'app', 'services.js'));
  const { parseSomaDelivery } = require(path.join(root, 'lib', 'app', 'delivery.js'));
  const delivery = options.delivery === undefined ? undefined : parseSomaDelivery(options.delivery);
  if (delivery && delivery !== 'release-file' && !options.out && !options.noSynth && args[1] !== 'status') {
    throw new Error(`--delivery ${delivery} needs --out DIR for the Rollout's render: the committed dist/ stays delivered by the release file`);
  }
  const services = SOMA_SERVICES.flatMap(s => [s.name, `${SOMA_NAMESPACE}/${s.name}`]);
  // Every mesh's folder follows the release (dist/ for Istio, dist-linkerd/ for Linkerd, ...), with --out's render,
  // in one transaction with the file.
  const targets = options.noSynth ? undefined
    : releases => [...synthTargets(root, releases), ...(options.out ? [synthTarget(options.out, releases, 'istio', delivery)] : [])];
  console.log(runRelease(args, options.file, { targets, services, lockDir: root, delivery }));
} catch (error) {
  console.error(`release failed: ${error.message}`);
  process.exit(1);
}
