/**
 * Loaded into every node process of a command with `NODE_OPTIONS=--require ...` when `/usr/bin/time`
 * is missing: each process appends its own peak resident memory (KiB) to $SOMA_BENCH_RSS_FILE on exit.
 */
import * as fs from 'fs';

const file = process.env.SOMA_BENCH_RSS_FILE;
if (file) process.on('exit', () => fs.appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
