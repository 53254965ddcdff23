import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import * as api from '../src';
import { REPO_ROOT } from './support/manifests';

/**
 * The package as a construct library: its peers, what it ships and what it exports. The packed library's
 * install into a scratch project on the oldest peers is bin/check-package.js, run by .ci/run (it needs the registry).
 */
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const PEERS = ['cdk8s', 'cdk8s-plus-28', 'constructs'];

const version = (v: string) => v.replace(/^[\^~]/, '').split('.').map(Number);
const atLeast = (a: number[], b: number[]) => a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] >= b[2]));

describe('package.json', () => {
  test('cdk8s, constructs and cdk8s-plus-28 are peers (one copy in the user\'s project), with a dev copy inside each range', () => {
    for (const name of PEERS) {
      expect(pkg.dependencies?.[name]).toBeUndefined();
      expect(pkg.peerDependencies[name]).toMatch(/^\^\d+\.\d+\.\d+$/);
      const dev = pkg.devDependencies[name];
      expect(dev).toBeDefined();
      expect(atLeast(version(dev), version(pkg.peerDependencies[name]))).toBe(true);
      const installed = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect(atLeast(version(installed), version(pkg.peerDependencies[name]))).toBe(true);
    }
  });

  test('cdk8s-plus-28\'s own peer floor is no higher than ours (it would pull a newer cdk8s than we promise)', () => {
    const plus = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'cdk8s-plus-28', 'package.json'), 'utf8'));
    for (const name of ['cdk8s', 'constructs']) {
      expect(atLeast(version(pkg.peerDependencies[name]), version(plus.peerDependencies[name]))).toBe(true);
    }
  });

  test('Apache-2.0 in package.json and in LICENSE; keywords and repository for the registry', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const license = fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('Version 2.0, January 2004');
    expect(pkg.keywords).toEqual(expect.arrayContaining(['cdk8s', 'istio', 'linkerd', 'service-mesh']));
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
  });

  test('the package holds the library alone: no app, bench, tests or scripts but the soma-mesh command', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('LICENSE');
    expect(files.filter(f => f.startsWith('bin/'))).toEqual(['bin/soma-mesh.js']);
    expect(files.filter(f => /^(app|bench|test|src|imports|dist|dist-linkerd|peers)\//.test(f) || /^lib\/(app|bench|test)\//.test(f) || f.endsWith('.tsbuildinfo'))).toEqual([]);
  });
});

test('the runtime exports are classes, enums and the renderer namespaces: no free function or constant (jsii drops them)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AdoptedWorkload', 'Analyzer', 'CallGraph', 'Codes', 'Delivery', 'DeliveryController', 'DetectedMesh', 'ExistingWorkload', 'ExternalHost',
    'GoldenSignalDashboards', 'HealthCheck', 'IstioAmbientRenderer', 'IstioRenderer', 'LinkerdRenderer', 'LoadBalancing', 'Mesh',
    'MeshDetectionError', 'MeshModel', 'MeshNamespace', 'MeshService', 'MeshTarget', 'MeshTargets', 'MeshTelemetry', 'MeshWorkload', 'PropsCheck',
    'Protocol', 'PublicIngress', 'Release', 'RetryCondition', 'Review', 'ServiceTraffic', 'Severity', 'Synthesis',
    'WorkloadNetworkPolicy', 'ambient', 'istio', 'linkerd',
  ]);
  for (const [name, value] of Object.entries(api)) {
    expect([name, typeof value]).toEqual([name, expect.stringMatching(/^(function|object)$/)]);
    if (typeof value === 'function') expect([name, /^class /.test(Function.prototype.toString.call(value))]).toEqual([name, true]);
  }
});

test('the package ships the jsii assembly and the API reference; nothing runs at install', () => {
  expect(pkg.files).toEqual(expect.arrayContaining(['.jsii', 'API.md']));
  expect(pkg.scripts.prepare).toBeUndefined();
  expect(pkg.scripts.prepack).toBe('node bin/build.js');
  expect(pkg.bundledDependencies).toEqual(Object.keys(pkg.dependencies).sort());
  expect(Object.keys(pkg.jsii.targets).sort()).toEqual(['dotnet', 'go', 'java', 'python']);
});
