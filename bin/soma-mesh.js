#!/usr/bin/env node
// The soma-mesh command: matrix, diff, graph and check over rendered YAML (see README.md).
const path = require('path');
const { run } = require(path.join(__dirname, '..', 'lib', 'src', 'cli', 'soma-mesh.js'));
try {
  process.exitCode = run(process.argv.slice(2));
} catch (error) {
  // Input errors are handled in run(); anything else is a bug, reported in one line.
  console.error(`soma-mesh: internal error: ${error.message}`);
  process.exitCode = 3;
}
