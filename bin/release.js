#!/usr/bin/env node
// Moves a release without editing TypeScript: edits releases.json, then re-renders dist/ (see `--help`).
// `npm run release -- slm-service canary 5`, `... next`, `... promote`, `... rollback`.
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const fileFlag = args.indexOf('--file');
const file = fileFlag >= 0 ? path.resolve(args.splice(fileFlag, 2)[1]) : path.join(root, 'releases.json');
const noSynth = args.includes('--no-synth');
// `--delivery argo-rollouts --out DIR`: the services a controller delivers get their Rollout rendered into DIR too.
const take = name => (args.indexOf(name) >= 0 ? args.splice(args.indexOf(name), 2)[1] ?? '' : undefined);
const deliveryName = take('--delivery');
const out = take('--out');
const rest = args.filter(a => a !== '--no-synth');

// Build (type-check) first when sources changed, exactly as synth does; `status` reads lib/ too.
const check = spawnSync(process.execPath, [path.join(root, 'bin', 'synth.js'), '--build-only'], { cwd: root, stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

const { runRelease, RELEASE_USAGE } = require(path.join(root, 'lib', 'app', 'release.js'));
if (rest.length === 0 || rest.includes('--help')) {
  console.log(RELEASE_USAGE);
  process.exit(rest.length === 0 ? 1 : 0);
}
try {
  const { parseSomaDelivery } = require(path.join(root, 'lib', 'app', 'delivery.js'));
  const delivery = deliveryName === undefined ? undefined : parseSomaDelivery(deliveryName);
  if (delivery && delivery !== 'release-file' && !out && !noSynth && rest[1] !== 'status') throw new Error(`--delivery ${delivery} needs --out DIR for the Rollout's render: the committed dist/ stays delivered by the release file`);
  const render = () => {
    if (noSynth) return;
    const { main, OUTDIR } = require(path.join(root, 'lib', 'app', 'synth.js'));
    if (process.env.CDK8S_OUTDIR) return main(process.env.CDK8S_OUTDIR, file);
    // Both meshes' renders follow the release (dist/ for Istio, dist-linkerd/ for Linkerd).
    for (const target of Object.keys(OUTDIR)) main(path.join(root, OUTDIR[target]), file, target);
    if (out) main(path.resolve(out), file, 'istio', delivery);
  };
  console.log(runRelease(rest, file, render, delivery));
} catch (error) {
  console.error(`release failed: ${error.message}`);
  process.exit(1);
}
