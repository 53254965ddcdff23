#!/usr/bin/env node
// Compiles (and type-checks) the library into lib/, then records when, for bin/synth.js.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
// --isolatedModules: refuse code that bin/synth.js could not transpile one file at a time (bin/transpile-changed.js).
const result = spawnSync(process.execPath, [tsc, '-p', root, '--isolatedModules'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.writeFileSync(path.join(root, 'lib', '.build-stamp'), new Date().toISOString() + '\n');
