#!/usr/bin/env node
// The soma-mesh command: matrix, diff, graph and check over rendered YAML (docs/review.md).
const path = require('path');

// A reader that stops early (`soma-mesh matrix dist | head`) closes the pipe: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', error => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

let run;
try {
  ({ run } = require(path.join(__dirname, '..', 'lib', 'src', 'cli', 'soma-mesh.js')));
} catch (error) {
  console.error(`soma-mesh: the compiled command is missing (${error.message.split('\n')[0]}): run \`npm run build\` in the package`);
  process.exit(3);
}
// run() reports every failure itself (bad input: exit 2; a bug: exit 3, said as such).
process.exitCode = run(process.argv.slice(2));
