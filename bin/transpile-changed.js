// Brings lib/ up to date for synth without type-checking: each source of src/, app/ and imports/ that is newer
// than its compiled file is transpiled alone (TypeScript's transpileModule, as ts-node --transpile-only does).
// Type-checking belongs to `npm run build` and `npm test`; a synth after an edit should not wait for it.
const fs = require('fs');
const path = require('path');

const SOURCE_DIRS = ['src', 'app', 'imports'];

/** The sources whose compiled file in lib/ is missing or older than they are. */
function staleSources(root = path.resolve(__dirname, '..')) {
  const stale = [];
  const visit = dir => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = outputOf(root, full);
        if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(full).mtimeMs) stale.push(full);
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (fs.existsSync(path.join(root, dir))) visit(path.join(root, dir));
  return stale;
}

function outputOf(root, source) {
  return path.join(root, 'lib', path.relative(root, source)).replace(/\.ts$/, '.js');
}

/** Transpiles the stale sources with tsconfig.json's options; returns them. */
function transpileChanged(root = path.resolve(__dirname, '..')) {
  const stale = staleSources(root);
  if (stale.length === 0) return stale;
  const ts = require(require.resolve('typescript', { paths: [root, __dirname] }));
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  for (const source of stale) {
    const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), { compilerOptions: options, fileName: source });
    const out = outputOf(root, source);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Temporary file, then rename: a synth killed here leaves the old compiled file, never a truncated one
    // (which, newer than its source, would never be transpiled again).
    const temp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(temp, outputText);
    fs.renameSync(temp, out);
  }
  return stale;
}

module.exports = { transpileChanged, staleSources };
