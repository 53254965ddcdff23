#!/usr/bin/env node
// Moves a release without editing TypeScript: edits releases.json and re-renders every output folder, as one
// transaction (see `--help`). `npm run release -- slm-service canary 5`, `... next`, `... promote`, `... rollback`.
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = [];
let file = path.join(root, 'releases.json');
let noSynth = false;
let help = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--no-synth') noSynth = true;
  else if (arg === '--help' || arg === '-h') help = true;
  else if (arg === '--file' || arg.startsWith('--file=')) {
    const value = arg === '--file' ? argv[++i] : arg.slice('--file='.length);
    if (!value || value.startsWith('-')) {
      console.error('release failed: --file needs a path: --file releases.json');
      process.exit(2);
    }
    file = path.resolve(value);
  } else args.push(arg);
}

// Build (type-check) first when sources changed, exactly as synth does; `status` reads lib/ too.
const check = spawnSync(process.execPath, [path.join(root, 'bin', 'synth.js'), '--build-only'], { cwd: root, stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

const { runRelease, RELEASE_USAGE } = require(path.join(root, 'lib', 'app', 'release.js'));
if (args.length === 0 || help) {
  console.log(RELEASE_USAGE);
  process.exit(help ? 0 : 1);
}
try {
  const { synthTargets } = require(path.join(root, 'lib', 'app', 'synth.js'));
  const { SOMA_SERVICES, SOMA_NAMESPACE } = require(path.join(root, 'lib', 'app', 'services.js'));
  const services = SOMA_SERVICES.flatMap(s => [s.name, `${SOMA_NAMESPACE}/${s.name}`]);
  // Every mesh's folder follows the release (dist/ for Istio, dist-linkerd/ for Linkerd, ...), in one transaction with the file.
  const targets = noSynth ? undefined : releases => synthTargets(root, releases);
  console.log(runRelease(args, file, { targets, services, lockDir: root }));
} catch (error) {
  console.error(`release failed: ${error.message}`);
  process.exit(1);
}
