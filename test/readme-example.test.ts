import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { REPO_ROOT, readManifests } from './support/manifests';

/** The README's "use the constructs in your own chart" example must compile against the public API and render. */
describe('README example', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const example = /## Use the constructs in your own chart[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1];

  test('type-checks against the package entry point', () => {
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.readme-'));
    try {
      const file = path.join(dir, 'example.ts');
      // The example imports 'soma-mesh' as a user would; point it at the sources.
      fs.writeFileSync(file, example.replace(/from 'soma-mesh'/g, `from '${path.join(REPO_ROOT, 'src')}'`));
      const program = ts.createProgram([file], { strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS });
      const diagnostics = ts.getPreEmitDiagnostics(program).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every later TypeScript example of the README type-checks after the first, and renders', () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
    expect(blocks.length).toBeGreaterThan(3);
    // One program: the first example's declarations, then each capability's, then synth.
    const [first, ...later] = blocks;
    const program = first.replace('app.synth();', '') + later.join('\n') + '\napp.synth();\n';
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.readme-'));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-all-'));
    try {
      const file = path.join(dir, 'all.ts');
      fs.writeFileSync(file, program.replace(/from 'soma-mesh'/g, `from '${path.join(REPO_ROOT, 'src')}'`));
      const checked = ts.createProgram([file], { strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS });
      expect(ts.getPreEmitDiagnostics(checked).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
      runExample(program, out);
      const objects = readManifests(out);
      expect(objects.filter(o => o.kind === 'VirtualService').map(o => o.metadata.name)).toEqual(expect.arrayContaining(['slm', 'web-public']));
      expect(objects.filter(o => o.kind === 'ServiceEntry').map(o => o.spec.hosts[0])).toEqual(['api.stripe.com']);
      expect(objects.filter(o => o.kind === 'Telemetry')).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('renders a STRICT, deny-by-default mesh with exactly the declared callers', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    try {
      runExample(example, out);
      const objects = readManifests(out);
      const policies = objects.filter(o => o.kind === 'AuthorizationPolicy');
      expect(policies.map(p => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(['infra/redis-callers', 'shop/allow-nothing', 'shop/orders-callers']);
      const orders = policies.find(p => p.metadata.name === 'orders-callers')!;
      expect(orders.spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }],
        to: [{ operation: { ports: ['9000'], methods: ['GET', 'POST'], paths: ['/v1/orders', '/v1/orders/{*}'] } }],
      }]);
      expect(objects.find(o => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'shop')?.spec.mtls.mode).toBe('STRICT');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

/** Runs a TypeScript example as a user's app would run, with 'soma-mesh' pointing at the sources, synthesizing into `out`. */
function runExample(source: string, out: string): void {
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText
    .replace(/require\("soma-mesh"\)/g, `require(${JSON.stringify(path.join(REPO_ROOT, 'src'))})`);
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = out;
  try {
    new Function('require', 'exports', js)(require, {});
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
  }
}
