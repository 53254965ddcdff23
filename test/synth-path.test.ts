import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './support/manifests';

/**
 * bin/synth.js brings lib/ up to date after an edit without type-checking: the changed sources are
 * transpiled alone (bin/transpile-changed.js). Type errors are for `npm run build` and the tests.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { transpileChanged, staleSources } = require(path.join(REPO_ROOT, 'bin', 'transpile-changed.js'));

describe('synth after an edit', () => {
  let project: string;
  const write = (file: string, text: string, mtime: Date) => {
    const full = path.join(project, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    fs.utimesSync(full, mtime, mtime);
  };

  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-transpile-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'tsconfig.json'), path.join(project, 'tsconfig.json'));
    const earlier = new Date(Date.now() - 60_000);
    write('src/fresh.ts', 'export const fresh = 1;\n', earlier);
    write('lib/src/fresh.js', '// compiled earlier\n', new Date());
    // A type error: transpiling does not see it, type-checking would.
    write('src/edited.ts', "import { fresh } from './fresh';\nconst n: number = 'not a number';\nexport const edited = [fresh, n];\n", new Date());
    write('imports/new-import.ts', 'export enum Mode { STRICT = "STRICT" }\n', new Date());
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  test('transpiles exactly the sources newer than their compiled file, type errors and all', () => {
    expect(staleSources(project).map((f: string) => path.relative(project, f)).sort()).toEqual(['imports/new-import.ts', 'src/edited.ts']);
    transpileChanged(project);
    const edited = fs.readFileSync(path.join(project, 'lib/src/edited.js'), 'utf8');
    expect(edited).toContain('require("./fresh")');
    expect(edited).toContain('exports.edited = [fresh_1.fresh, n];');
    expect(edited).not.toContain(': number');
    expect(fs.readFileSync(path.join(project, 'lib/imports/new-import.js'), 'utf8')).toContain('Mode["STRICT"] = "STRICT"');
    expect(fs.readFileSync(path.join(project, 'lib/src/fresh.js'), 'utf8')).toBe('// compiled earlier\n');
    expect(staleSources(project)).toEqual([]);
  });
});
