/**
 * Loaded into every node process of a command with `NODE_OPTIONS=--require ...` when `/usr/bin/time`
 * is missing: each process appends its own peak resident memory (KiB) and its user and system CPU (seconds)
 * to $SOMA_BENCH_RSS_FILE on exit, as GNU time's `%M %U %S` would.
 */
import * as fs from 'fs';

const file = process.env.SOMA_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    fs.appendFileSync(file, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
