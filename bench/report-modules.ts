/**
 * Loaded with `node --require` into a synth: on exit, appends to $SOMA_BENCH_MODULES_FILE the TypeScript
 * compilers the process loaded (typescript, ts-node), one per line, to show whether synth type-checks.
 */
import * as fs from 'fs';

const file = process.env.SOMA_BENCH_MODULES_FILE;
if (file) {
  process.on('exit', () => {
    const compilers = new Set(Object.keys(require.cache)
      .map(m => /[\\/]node_modules[\\/](typescript|ts-node)[\\/]/.exec(m)?.[1])
      .filter((m): m is string => m !== undefined));
    fs.appendFileSync(file, [...compilers].map(c => `${c}\n`).join(''));
  });
}
