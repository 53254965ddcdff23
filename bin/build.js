#!/usr/bin/env node
// Compiles (and type-checks) everything into lib/ with tsc, then the library with jsii: lib/src/ again and `.jsii`,
// the assembly other languages' packages are generated from (`npm run package:code`). Records when, for bin/synth.js.
// `--tsc-only` skips jsii: bin/synth.js's first build on a fresh clone, which only needs lib/app/.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const tscOnly = process.argv.includes('--tsc-only');

function run(script, args) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
// --isolatedModules: refuse code that bin/synth.js could not transpile one file at a time (bin/transpile-changed.js).
run(tsc, ['-p', root, '--isolatedModules']);
if (!tscOnly) {
  // The peers' devDependencies are newer than their peerDependencies floors on purpose (the floors are installed and
  // checked by bin/check-package.js), so jsii's advice to pin them to the floor is silenced, and only it.
  run(require.resolve('jsii/bin/jsii', { paths: [root] }), ['--silence-warnings=metadata/missing-dev-dependency', '--fail-on-warnings']);
}
fs.writeFileSync(path.join(root, 'lib', '.build-stamp'), new Date().toISOString() + '\n');
