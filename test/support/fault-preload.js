// Preloaded (node -r) into synth and release by test/fault-injection.test.ts, never by the library: counts the
// process's file-system changes and, at the chosen one, kills the process (SIGKILL, as `kill -9` or an OOM kill
// would) or fails it with ENOSPC (a full disk). Written apart from src/: it knows nothing of how synth works.
//   SOMA_FAULT_MODE=count|kill|enospc   SOMA_FAULT_AT=<n>, the n-th change (1-based)   SOMA_FAULT_COUNT_FILE=<file>
const fs = require('fs');

const mode = process.env.SOMA_FAULT_MODE;
// bin/release.js's `synth.js --build-only` child only checks lib/: faults are for the command itself.
if (mode && !process.argv.includes('--build-only')) {
  const at = Number(process.env.SOMA_FAULT_AT || 0);
  const original = {};
  let changes = 0;
  let writes = 0;
  const isWriteOpen = flags => typeof flags === 'string' ? /[wax+]/.test(flags) : typeof flags === 'number' && (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0;
  // Calls that change the file system, and of them those that need space (ENOSPC can only come from these).
  const CHANGES = ['writeFileSync', 'writeSync', 'openSync', 'mkdirSync', 'mkdtempSync', 'renameSync', 'rmSync', 'unlinkSync',
    'rmdirSync', 'linkSync', 'symlinkSync', 'fsyncSync', 'copyFileSync', 'appendFileSync', 'chmodSync', 'cpSync'];
  const NEEDS_SPACE = new Set(['writeFileSync', 'writeSync', 'openSync', 'mkdirSync', 'mkdtempSync', 'linkSync', 'symlinkSync',
    'fsyncSync', 'copyFileSync', 'appendFileSync', 'cpSync']);
  for (const name of CHANGES) {
    original[name] = fs[name];
    fs[name] = function (...args) {
      if (name === 'openSync' && !isWriteOpen(args[1])) return original[name].apply(fs, args);
      changes++;
      if (mode === 'kill' && changes === at) process.kill(process.pid, 'SIGKILL');
      if (NEEDS_SPACE.has(name)) {
        writes++;
        if (mode === 'enospc' && writes === at) {
          const target = typeof args[0] === 'string' ? args[0] : undefined;
          throw Object.assign(new Error(`ENOSPC: no space left on device, ${name.replace(/Sync$/, '')}${target ? ` '${target}'` : ''}`),
            { code: 'ENOSPC', errno: -28, syscall: name.replace(/Sync$/, ''), path: target });
        }
      }
      return original[name].apply(fs, args);
    };
  }
  if (mode === 'count' && process.env.SOMA_FAULT_COUNT_FILE) {
    process.on('exit', () => original.writeFileSync.call(fs, process.env.SOMA_FAULT_COUNT_FILE, JSON.stringify({ changes, writes })));
  }
}
