import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { ApiObject, App, Chart } from 'cdk8s';
import { IstioRenderer, Mesh, MeshService, Protocol } from '../src';
import { KubeObject } from '../src/review/inventory';
import { cli } from './support/cli';
import { deployment, service, virtualService } from './support/fixtures';

/**
 * The mesh's settings (root namespace, trust domain, cluster domain) reach every check of `check`, `matrix` and `diff`,
 * and the synth-time analyzer reads the renderer's own.
 */
let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-settings-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, objects: KubeObject[]): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, objects.map(o => stringify(o)).join('---\n'));
  return file;
}

const meshWideStrict = (namespace: string): KubeObject => ({
  apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace }, spec: { mtls: { mode: 'STRICT' } },
});
const meshWideAllowNothing = (namespace: string): KubeObject => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace }, spec: {},
});
/** One workload in `shop`, guarded only by mesh-wide policies in `root`. */
const guardedFrom = (root: string): KubeObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
  deployment('shop', 'web', [8080]), service('shop', 'web', [[8080, 'http-web']]), meshWideStrict(root), meshWideAllowNothing(root),
];

describe('soma-mesh check --root-namespace', () => {
  test('a mesh-wide STRICT policy and allow-nothing in the named root namespace cover every workload', () => {
    const file = write('root-istio-config', guardedFrom('istio-config'));
    const result = cli('check', file, '--root-namespace', 'istio-config', '--format', 'json');
    const codes = JSON.parse(result.out).map((f: any) => f.code);
    expect(codes).not.toContain('SM1303');
    expect(codes).not.toContain('SM1302');
  });

  test('policies left in istio-system do not guard a mesh whose root namespace is another', () => {
    const file = write('root-istio-system', guardedFrom('istio-system'));
    const codes = JSON.parse(cli('check', file, '--root-namespace', 'istio-config', '--format', 'json').out).map((f: any) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['SM1302', 'SM1303']));
    // Without the flag, istio-system is the root namespace.
    const byDefault = JSON.parse(cli('check', file, '--format', 'json').out).map((f: any) => f.code);
    expect(byDefault).not.toContain('SM1303');
  });

  test('matrix and diff read the same root namespace', () => {
    const file = write('root-matrix', guardedFrom('istio-config'));
    const matrix = JSON.parse(cli('matrix', file, '--root-namespace', 'istio-config', '--format', 'json').out);
    expect(matrix.entries).toEqual([]);
    expect(matrix.workloads[0].ports).toEqual([{ port: 8080, protocol: 'http', mtls: 'STRICT' }]);
    const open = write('root-open', guardedFrom('istio-system'));
    // Moving the mesh-wide policies out of the root namespace opens the mesh; under istio-system it closes it.
    expect(cli('diff', file, open, '--root-namespace', 'istio-config').code).toBe(1);
    expect(cli('diff', open, file, '--root-namespace', 'istio-config').code).toBe(0);
    expect(cli('diff', file, open).code).toBe(0);
  });
});

describe('soma-mesh check --cluster-domain', () => {
  const objects = (domain: string): KubeObject[] => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    deployment('shop', 'web', [8080]), service('shop', 'web', [[8080, 'http-web']]),
    virtualService('shop', 'web', { hosts: [`web.shop.svc.${domain}`], http: [{ route: [{ destination: { host: `web.shop.svc.${domain}` } }] }] }),
  ];

  test('Service hosts resolve in the named cluster domain', () => {
    const file = write('domain', objects('corp.internal'));
    const codes = (argv: string[]) => JSON.parse(cli('check', file, '--format', 'json', ...argv).out).map((f: any) => f.code);
    expect(codes(['--cluster-domain', 'corp.internal'])).not.toContain('SM1401');
    expect(codes([])).toContain('SM1401');
  });
});

describe('the synth-time analyzer reads the renderer\'s settings', () => {
  function synthWarnings(rootNamespace: string): string[] {
    const app = new App({ outdir: fs.mkdtempSync(path.join(tmp, 'synth-')) });
    const chart = new Chart(app, 'shop', { disableResourceNameHashes: true });
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer({ rootNamespace }) });
    new MeshService(mesh.addNamespace('shop'), 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080, protocol: Protocol.HTTP }] });
    // In the root namespace a selector picks workloads of every namespace: this one guards shop/web.
    new ApiObject(chart, 'Audit', {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'audit-web', namespace: 'istio-config' },
      spec: { selector: { matchLabels: { app: 'web' } }, action: 'AUDIT', rules: [{ to: [{ operation: { ports: ['8080'] } }] }] },
    });
    const warnings: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((line: any) => { warnings.push(String(line)); return true; });
    try {
      app.synth();
    } finally {
      spy.mockRestore();
    }
    return warnings;
  }

  test('IstioRenderer({ rootNamespace }) is the analyzer\'s root namespace', () => {
    expect(synthWarnings('istio-config')).toEqual([]);
    expect(synthWarnings('istio-system').join('')).toContain('SM1103');
  });
});

describe('soma-mesh check on a Linkerd render', () => {
  test('says what to run instead', () => {
    const file = write('linkerd', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', annotations: { 'linkerd.io/inject': 'enabled' } } },
      deployment('shop', 'web', [8080]),
      { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 'web', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } }, port: 8080 } },
    ]);
    const result = cli('check', file);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`run \`soma-mesh matrix ${file}\``);
  });
});
