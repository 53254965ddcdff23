import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { stringify } from 'yaml';
import { cli } from './support/cli';
import { REPO_ROOT } from './support/manifests';

/**
 * The soma-mesh command as a Unix tool: invalid objects refused with FILE:LINE, kind, name and field; files that are
 * not manifests skipped with a notice; inputs that would hang or exhaust it refused; exit codes as documented.
 */

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-input-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'in-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const WORKLOAD = stringify({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }] } } },
});

function policy(spec: unknown): string {
  return stringify({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec });
}

describe('invalid objects are refused, naming file, line, object and field (exit 2)', () => {
  const cases: Array<[string, string, string]> = [
    ['a selector given as a list', policy({ selector: [{ matchLabels: { app: 'web' } }] }), 'p.yaml:7: AuthorizationPolicy shop/p: spec.selector: must be a map, not [{"matchLabels":{"app":"web"}}]'],
    ['action: 7', policy({ action: 7 }), 'p.yaml:7: AuthorizationPolicy shop/p: spec.action: must be a string, not 7'],
    ['methods: "GET"', policy({ rules: [{ to: [{ operation: { methods: 'GET' } }] }] }), 'p.yaml:10: AuthorizationPolicy shop/p: spec.rules[0].to[0].operation.methods: must be a list, not "GET"'],
    ['rules as a map', policy({ rules: { from: [] } }), 'p.yaml:7: AuthorizationPolicy shop/p: spec.rules: must be a list, not {"from":[]}'],
    ['operation ports as numbers', policy({ rules: [{ to: [{ operation: { ports: [8080] } }] }] }), 'p.yaml:11: AuthorizationPolicy shop/p: spec.rules[0].to[0].operation.ports[0]: must be a string, not 8080'],
    ['an unknown field', policy({ rules: [{ form: [] }] }), 'p.yaml:8: AuthorizationPolicy shop/p: spec.rules[0].form: unknown field'],
    ['a container port as a string', WORKLOAD.replace('containerPort: 8080', 'containerPort: "8080"'), 'p.yaml:19: Deployment shop/web: spec.template.spec.containers[0].ports[0].containerPort: must be a port number from 1 to 65535, not "8080"'],
    ['a Service port named http_8080', stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http_8080', port: 8080 }] } }),
      'p.yaml:10: Service shop/web: spec.ports[0].name: "http_8080" is not a valid Service port name: at most 63 lowercase letters, digits and \'-\''],
    ['a Service selector as a list', stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: ['app=web'], ports: [{ port: 80 }] } }),
      'p.yaml:7: Service shop/web: spec.selector: must be a map of labels, not a list'],
    ['a label that is a number', WORKLOAD.replace('app: web\n  template', 'app: web\n      version: 2\n  template'), 'p.yaml:10: Deployment shop/web: spec.selector.matchLabels.version: must be a string, not 2 (quote it)'],
    ['a when key Istio does not know', policy({ rules: [{ when: [{ key: 'request.header[x]', values: ['1'] }] }] }), 'p.yaml:9: AuthorizationPolicy shop/p: spec.rules[0].when[0].key: unknown attribute "request.header[x]"'],
    ['an operation port that is no port', policy({ rules: [{ to: [{ operation: { ports: ['http'] } }] }] }), 'p.yaml:11: AuthorizationPolicy shop/p: spec.rules[0].to[0].operation.ports[0]: must be a port number from 1 to 65535, not "http"'],
    ['serviceAccounts with principals', policy({ rules: [{ from: [{ source: { serviceAccounts: ['shop/web'], principals: ['*'] } }] }] }), 'p.yaml:9: AuthorizationPolicy shop/p: spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals'],
    ['an apiVersion the CRD does not serve', stringify({ apiVersion: 'security.istio.io/v9', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: {} }),
      'p.yaml:1: AuthorizationPolicy shop/p: apiVersion: AuthorizationPolicy is not served as security.istio.io/v9 (served: security.istio.io/v1, security.istio.io/v1beta1)'],
    ['a Deployment without spec', stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' } }),
      'p.yaml:1: Deployment shop/api: spec: is required: the API server refuses a Deployment without spec.selector and spec.template'],
    ['a StatefulSet without selector', stringify({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'db' } } } } }),
      'p.yaml:7: StatefulSet shop/db: spec.selector: is required: the API server refuses it without one (the labels of the pods it manages)'],
  ];
  test.each(cases)('%s', (_name, yaml, expected) => {
    const dir = dirWith({ 'a.yaml': WORKLOAD, 'p.yaml': yaml });
    for (const command of ['matrix', 'check']) {
      const result = cli(command, dir);
      expect(result.code).toBe(2);
      expect(result.out).toBe('');
      const lines = result.err.split('\n');
      expect(lines[0]).toBe(`soma-mesh: ${path.join(dir, expected)}`);
      expect(lines[lines.length - 2]).toMatch(/invalid: the API server would refuse (it|them); fix (it|them) and run again$/);
    }
  });

  test('a Service port named "8083" (a DNS label, as kompose writes it) is accepted as the API server accepts it', () => {
    const service = stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: '8080', port: 8080 }] } });
    const result = cli('matrix', dirWith({ 'a.yaml': WORKLOAD, 's.yaml': service }));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
  });

  test('a List whose items are not objects is refused at the item, never evaluated', () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n  - 1\n  - x\n  - null\n';
    const dir = dirWith({ 'a.yaml': WORKLOAD, 'list.yaml': list });
    for (const command of ['matrix', 'check']) {
      const result = cli(command, dir);
      expect(result.code).toBe(2);
      expect(result.err).toBe(`soma-mesh: ${path.join(dir, 'list.yaml')}:4: items[0]: not an object (1): each item of a List is a Kubernetes object\n`);
    }
  });

  test('diff refuses an invalid object on either side', () => {
    const good = dirWith({ 'a.yaml': WORKLOAD });
    const bad = dirWith({ 'a.yaml': WORKLOAD, 'p.yaml': policy({ action: 'MAYBE' }) });
    const result = cli('diff', good, bad);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')[0]).toBe(`soma-mesh: ${path.join(bad, 'p.yaml')}:7: AuthorizationPolicy shop/p: spec.action: must be one of ALLOW, DENY, AUDIT, CUSTOM, not "MAYBE"`);
  });
});

describe('input handling', () => {
  test('files that are not manifests are skipped with one notice each; the folder is still read', () => {
    const dir = dirWith({
      'a.yaml': WORKLOAD,
      'values.yaml': 'replicaCount: 2\nimage:\n  tag: "1.0"\n',
      'package.json': '{"name": "x", "version": "1.0.0"}',
      'data.json': '[1, 2, 3]',
      'Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
      'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n',
      'notes.txt': 'not read',
    });
    const result = cli('matrix', dir);
    expect(result.code).toBe(0);
    expect(result.out).toContain('shop/web');
    expect(result.err.split('\n')).toEqual([
      `soma-mesh: notice: ${path.join(dir, 'Chart.yaml')}: skipped: no "kind": not a Kubernetes manifest`,
      `soma-mesh: notice: ${path.join(dir, 'data.json')}: skipped: a list, not a Kubernetes object`,
      `soma-mesh: notice: ${path.join(dir, 'kustomization.yaml')}: skipped: a kustomize Kustomization, not a manifest (run kustomize build first)`,
      `soma-mesh: notice: ${path.join(dir, 'package.json')}: skipped: no "kind": not a Kubernetes manifest`,
      `soma-mesh: notice: ${path.join(dir, 'values.yaml')}: skipped: no "kind": not a Kubernetes manifest`,
      '',
    ]);
  });

  test('empty input: no Kubernetes objects found, exit 2', () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect(cli('matrix', empty)).toEqual({ code: 2, out: '', err: `soma-mesh: ${empty}: no Kubernetes objects found\n` });
    const onlyValues = dirWith({ 'values.yaml': 'a: 1\n' });
    const result = cli('check', onlyValues);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`soma-mesh: notice: ${path.join(onlyValues, 'values.yaml')}: skipped: no "kind": not a Kubernetes manifest\nsoma-mesh: ${onlyValues}: no Kubernetes objects found\n`);
    const emptyFile = dirWith({ 'a.yaml': '' });
    expect(cli('matrix', path.join(emptyFile, 'a.yaml')).err).toBe(`soma-mesh: ${path.join(emptyFile, 'a.yaml')}: no Kubernetes objects found\n`);
  });

  test('an alias bomb is refused in bounded time', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    const dir = dirWith({ 'bomb.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${lines.map(l => `  ${l}`).join('\n')}\n` });
    const started = Date.now();
    const result = cli('matrix', dir);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`soma-mesh: ${path.join(dir, 'bomb.yaml')}:1: too many YAML aliases (a document that expands like a "billion laughs" attack): refused\n`);
  });

  test('a FIFO is refused without waiting for a writer', () => {
    const dir = dirWith({ 'a.yaml': WORKLOAD });
    const fifo = path.join(dir, 'pipe.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(cli('matrix', dir)).toEqual({ code: 2, out: '', err: `soma-mesh: ${fifo}: a FIFO (named pipe), not a file: refused\n` });
    expect(cli('matrix', fifo).err).toBe(`soma-mesh: ${fifo}: a FIFO (named pipe), not a file: refused\n`);
  });

  test('a link to a device, a link loop, a folder that contains itself and a dangling link are refused, naming the file', () => {
    const dev = dirWith({ 'a.yaml': WORKLOAD });
    fs.symlinkSync('/dev/zero', path.join(dev, 'zero.yaml'));
    expect(cli('matrix', dev).err).toBe(`soma-mesh: ${path.join(dev, 'zero.yaml')}: a character device, not a file: refused\n`);
    const loop = dirWith({ 'a.yaml': WORKLOAD });
    fs.symlinkSync(path.join(loop, 'y.yaml'), path.join(loop, 'x.yaml'));
    fs.symlinkSync(path.join(loop, 'x.yaml'), path.join(loop, 'y.yaml'));
    expect(cli('matrix', loop)).toEqual({ code: 2, out: '', err: `soma-mesh: ${path.join(loop, 'x.yaml')}: a link loop (symbolic links that point at each other)\n` });
    const self = dirWith({ 'a.yaml': WORKLOAD });
    fs.mkdirSync(path.join(self, 'sub'));
    fs.symlinkSync(self, path.join(self, 'sub', 'back'));
    expect(cli('matrix', self).err).toBe(`soma-mesh: ${path.join(self, 'sub', 'back')}: a link loop (this folder contains itself)\n`);
    const dangling = dirWith({ 'a.yaml': WORKLOAD });
    fs.symlinkSync(path.join(dangling, 'gone.yaml'), path.join(dangling, 'b.yaml'));
    expect(cli('check', dangling).err).toBe(`soma-mesh: ${path.join(dangling, 'b.yaml')}: a link to nothing (dangling symbolic link)\n`);
  });

  test('an unreadable file is refused, naming it', () => {
    const dir = dirWith({ 'a.yaml': WORKLOAD, 'b.yaml': WORKLOAD });
    const file = path.join(dir, 'b.yaml');
    fs.chmodSync(tmp, 0o755);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'a.yaml'), 0o644);
    fs.chmodSync(file, 0o000);
    // Root reads any file whatever its mode: the command runs as nobody, as the kernel refuses others.
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const command = [...asNobody, process.execPath, path.join(REPO_ROOT, 'bin', 'soma-mesh.js'), 'matrix', dir];
    const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', `soma-mesh: ${file}: cannot be read: permission denied\n`]);
  });

  test('a file over the size limit is refused before it is read', () => {
    const dir = dirWith({ 'a.yaml': WORKLOAD });
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 65 * 1024 * 1024); // sparse: no disk used
    expect(cli('matrix', dir)).toEqual({ code: 2, out: '', err: `soma-mesh: ${big}: 65.0 MB is over the 64.0 MB limit for one file\n` });
  });

  test('--help, --version and unknown options', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: soma-mesh <command> \[options\]\n/);
    expect(cli('matrix', '-h')).toEqual(help);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(cli('--version')).toEqual({ code: 0, out: `soma-mesh ${pkg.version}\n`, err: '' });
    expect(cli('matrix', 'dist', '--mesh=linkerd')).toEqual({ code: 2, out: '', err: 'soma-mesh: unknown option --mesh (see soma-mesh --help)\n' });
    expect(cli('matrix', 'dist', '--allow-widening=yes').err).toBe('soma-mesh: --allow-widening takes no value (see soma-mesh --help)\n');
    expect(cli('matrix', 'dist', '--format').err).toBe('soma-mesh: --format needs a value (see soma-mesh --help)\n');
    expect(cli('matrix', 'dist', '--format', 'json', '--format=text').err).toBe('soma-mesh: --format given 2 times: give it once\n');
    const none = cli();
    expect([none.code, none.out, none.err.startsWith('usage: soma-mesh')]).toEqual([2, '', true]);
  });

  test('synth refuses an unknown option instead of ignoring it, and reads --mesh=VALUE', () => {
    const synth = (...args: string[]) => spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synth.js'), ...args], { encoding: 'utf8' });
    const help = synth('--help');
    expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^usage: npm run synth \[-- --mesh <name>\]/)]);
    const unknown = synth('--mesh=linkerd', '--frobnicate');
    expect([unknown.status, unknown.stdout, unknown.stderr])
      .toEqual([2, '', `synth failed: unknown option "--frobnicate": use --mesh <name>, --delivery, --out, or nothing to render every mesh\n${help.stdout}`]);
    expect([synth('--mesh').status, synth('--mesh').stderr]).toEqual([2, 'synth failed: --mesh needs a value: --mesh <value>\n']);
  });

  test('a closed output pipe ends the command quietly', () => {
    // Enough rows to overflow a pipe's buffer: 3,000 open workloads.
    const docs = Array.from({ length: 3000 }, (_, i) => WORKLOAD.replace(/web/g, `web${i}`));
    const dir = dirWith({ 'many.yaml': docs.join('---\n') });
    const bin = path.join(REPO_ROOT, 'bin', 'soma-mesh.js');
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" matrix "${dir}" 2>"${dir}/err.txt" | head -n 1; echo "status $?"`], { encoding: 'utf8' });
    expect(result.stdout).toMatch(/^FROM\s+TO\s+PORT/);
    expect(fs.readFileSync(path.join(dir, 'err.txt'), 'utf8')).toBe('');
  });

  test('a failure that is not the input\'s fault still says plainly what happened (exit 3)', () => {
    const dir = dirWith({ 'a.yaml': WORKLOAD });
    const spy = jest.spyOn(JSON, 'stringify').mockImplementation(() => { throw new RangeError('boom'); });
    try {
      const result = cli('matrix', dir, '--format', 'json');
      expect(result.code).toBe(3);
      expect(result.err).toBe('soma-mesh: failed unexpectedly (RangeError: boom). This is a bug in soma-mesh, not in your input: please report it with the command and the YAML.\n');
    } finally {
      spy.mockRestore();
    }
  });
});

test('docs/review.md shows the real output of its example', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'review.md'), 'utf8');
  const example = path.join('docs', 'examples', 'shop-review.yaml');
  const cwd = process.cwd();
  process.chdir(REPO_ROOT);
  try {
    expect(doc).toContain(`$ soma-mesh matrix ${example}\n${cli('matrix', example).out}`);
  } finally {
    process.chdir(cwd);
  }
});
