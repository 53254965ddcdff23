#!/usr/bin/env node
// Compiles (and type-checks) everything into lib/ with tsc, then the library with jsii: lib/src/ again and `.jsii`,
// the assembly other languages' packages are generated from (`npm run package:code`). Records when, for bin/synth.js.
// `--tsc-only` skips jsii: bin/synth.js's first build on a fresh clone, which only needs lib/app/; `--jsii-only` runs
// jsii alone (lib/src/ and `.jsii`), for the tests that read the assembly.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const tscOnly = process.argv.includes('--tsc-only');
const jsiiOnly = process.argv.includes('--jsii-only');

// jsii's tools warn on every run that Node 20 is past its end of life; Node 20 is this project's toolchain.
const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0] };

function run(script, args) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
// --isolatedModules: refuse code that bin/synth.js could not transpile one file at a time (bin/transpile-changed.js).
if (!jsiiOnly) run(tsc, ['-p', root, '--isolatedModules']);
if (!tscOnly) {
  // Every other warning fails the build. Two kinds are silenced, as cdk8s and cdk8s-plus do: the peers'
  // devDependencies are newer than their peerDependencies floors on purpose (bin/check-package.js installs and checks
  // the floors), and member names that are reserved words somewhere (`namespace` in C#, `from` in Python) are
  // escaped by jsii-pacmak in each language (`@namespace`, `from_`).
  run(require.resolve('jsii/bin/jsii', { paths: [root] }), [
    '--silence-warnings=metadata/missing-dev-dependency', '--silence-warnings=reserved-word', '--fail-on-warnings',
  ]);
}
if (!jsiiOnly) fs.writeFileSync(path.join(root, 'lib', '.build-stamp'), new Date().toISOString() + '\n');
