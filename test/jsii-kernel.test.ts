import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { ensureAssembly, ROOT } from './support/jsii-build';

/**
 * The packed library works from another language: its tarball, loaded into the jsii kernel beside its peers' (as
 * the Python, Java, .NET and Go packages load it), renders the README's first example to the same YAML as the
 * TypeScript example does, through app.synth() and through a host-implemented IAppBuilder called back.
 * The Python runtime itself cannot be installed here; the kernel is what it drives.
 */

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-mesh-kernel-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function readYaml(dir: string): string {
  return fs.readdirSync(dir).sort().map(f => `# ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8')}`).join('\n');
}

/** The README example as a user's TypeScript program, compiled and run against the built library in lib/. */
function typescriptRender(outdir: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const example = /## Use the constructs in your own chart[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1];
  const js = ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } })
    .outputText.replace(/require\("soma-mesh"\)/g, JSON.stringify(path.join(ROOT, 'lib', 'src', 'index.js')).replace(/^/, 'require(').replace(/$/, ')'));
  // Inside the repository, so that the example's `require('cdk8s')` finds the peers as a user's project does.
  const dir = fs.mkdtempSync(path.join(ROOT, '.readme-kernel-'));
  try {
    fs.writeFileSync(path.join(dir, 'example.js'), js);
    execFileSync(process.execPath, [path.join(dir, 'example.js')], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: outdir }, stdio: 'pipe' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return readYaml(outdir);
}

let tarballs: Array<{ name: string; version: string; tarball: string }>;
beforeAll(() => {
  ensureAssembly();
  // The package as npm publishes it (built above; its bundled yaml and ajv inside), and each jsii peer's.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
  const peers = ['constructs', 'cdk8s', 'cdk8s-plus-28'].map(name => {
    const tarball = path.join(work, `${name}.tgz`);
    execFileSync('tar', ['-czf', tarball, '-C', path.join(ROOT, 'node_modules'), name]);
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    return { name, version, tarball };
  });
  tarballs = [...peers, { name: 'soma-mesh', version: packed.version, tarball: path.join(work, packed.filename) }];
}, 15 * 60 * 1000);

function kernelRender(mode: 'app' | 'callback'): string {
  const outdir = path.join(work, `kernel-${mode}`);
  execFileSync(process.execPath, [path.join(__dirname, 'support', 'kernel-host.js'), JSON.stringify(tarballs), outdir, mode],
    { cwd: work, stdio: 'pipe', env: { ...process.env, CDK8S_OUTDIR: '' } });
  return readYaml(outdir);
}

test('the README example driven through the jsii kernel renders what the TypeScript example renders', () => {
  const expected = typescriptRender(path.join(work, 'typescript'));
  expect(expected).toMatch(/kind: AuthorizationPolicy/);
  expect(expected).toMatch(/cluster\.local\/ns\/shop\/sa\/web/);
  expect(kernelRender('app')).toBe(expected);
});

test('a host-implemented IAppBuilder is called back by Synthesis.atomically and renders the same', () => {
  const expected = readYaml(path.join(work, 'typescript'));
  expect(kernelRender('callback')).toBe(expected);
});

test("the packed tarball holds the assembly (soma-mesh's types only), API.md and the bundled dependencies", () => {
  const packed = tarballs[tarballs.length - 1].tarball;
  const listed = execFileSync('tar', ['-tzf', packed], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n');
  expect(listed).toContain('package/.jsii');
  expect(listed).toContain('package/API.md');
  expect(listed).toContain('package/node_modules/yaml/package.json');
  expect(listed).toContain('package/node_modules/ajv/package.json');
  expect(listed.filter(f => f.startsWith('package/lib/app/') || f.startsWith('package/lib/bench/'))).toEqual([]);
  const packedJson = path.join(work, 'packed-package');
  fs.mkdirSync(packedJson);
  execFileSync('tar', ['-xzf', packed, '-C', packedJson, 'package/package.json']);
  const pkg = JSON.parse(fs.readFileSync(path.join(packedJson, 'package', 'package.json'), 'utf8'));
  // No install-time script whose file the package does not ship.
  expect(pkg.scripts?.prepare).toBeUndefined();
  expect(pkg.scripts?.install).toBeUndefined();
  expect(pkg.scripts?.postinstall).toBeUndefined();
});
