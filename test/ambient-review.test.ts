import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './support/cli';
import { IstioAmbientRenderer } from '../src/renderers/ambient/ambient-renderer';
import { ambientView, isAmbient } from '../src/review/ambient';
import { analyze } from '../src/review/analyze';
import { diffObjects } from '../src/review/diff';
import { accessMatrix, allows } from '../src/review/matrix';
import { synthesizeAtomically } from '../src/synthesize';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { AmbientMesh } from './support/ambient-authz';
import { K8sObject, readManifests, referenceCallGraph, REPO_ROOT } from './support/manifests';
import { deployedPods, INGRESS_PRINCIPAL, NamedPod, referencePeers } from './support/mesh-model';

const reference = referenceCallGraph();
const DIST_AMBIENT = path.join(REPO_ROOT, 'dist-ambient');
const PEERS_FILE = path.join(REPO_ROOT, 'peers', 'soma-agent-hub.json');
const peers = JSON.parse(fs.readFileSync(PEERS_FILE, 'utf8')).peers;
const rendered = readManifests(DIST_AMBIENT);

const namespaceOf = (name: string) => (name === 'istio-ingressgateway' ? 'istio-system'
  : reference.services.find((s: any) => s.name === name)?.namespace ?? reference.infra.find((i: any) => i.name === name).namespace);
const refKey = (e: any) => JSON.stringify([`${namespaceOf(e.from)}/${e.from}`, `${namespaceOf(e.to)}/${e.to}`, e.port, [...(e.methods ?? [])].sort(), [...(e.paths ?? [])].sort()]);
const entryKey = (e: any) => JSON.stringify([e.from, e.to, e.port, e.methods, e.paths]);

describe('the review tools on the ambient render', () => {
  test('dist-ambient/ is recognised as ambient, dist/ is not', () => {
    expect(isAmbient(rendered)).toBe(true);
    expect(isAmbient(readManifests(path.join(REPO_ROOT, 'dist')))).toBe(false);
  });

  test('soma-mesh matrix dist-ambient reads back call-graph.json call for call', () => {
    const { code, out } = cli('matrix', DIST_AMBIENT, '--peers', PEERS_FILE, '--format', 'json');
    expect(code).toBe(0);
    const entries = JSON.parse(out).entries;
    expect(entries.map(entryKey).sort()).toEqual(reference.edges.map(refKey).sort());
    for (const e of entries) expect([e.mtls, e.conditions, e.except]).toEqual(['STRICT', [], []]);
  });

  test('the matrix agrees with the independent ambient evaluator on every caller, port, method and path tried (through the Service)', () => {
    const matrix = accessMatrix(rendered, peers);
    const l7Peers = reference.infra.filter((i: any) => reference.edges.some((e: any) => e.to === i.name && (e.methods?.length || e.paths?.length)));
    const mesh = new AmbientMesh(rendered, Object.fromEntries(l7Peers.map((i: any) => [`${i.namespace}/${i.name}`, 'waypoint'])));
    const pods: NamedPod[] = [...deployedPods(rendered), ...referencePeers(reference)];
    const callers = [...pods.map(p => ({ id: `${p.namespace}/${p.name}`, principal: p.principal })), { id: 'istio-system/istio-ingressgateway', principal: INGRESS_PRINCIPAL }];
    const samplePaths = ['/', '/health', '/v1/users/u1/capabilities/c2', '/metrics/job/j1', '/v1/adapters/a/execute', '/collections/memory/points'];
    const disagreements: string[] = [];
    let compared = 0;
    for (const callee of pods) {
      for (const caller of callers) {
        for (const port of Object.keys(callee.portProtocols).map(Number)) {
          for (const method of ['GET', 'POST', 'PUT']) {
            for (const p of samplePaths) {
              const expected = mesh.decide(callee, callee.name, { principal: caller.principal, via: 'service', port, method, path: p }).allowed;
              const got = allows(matrix, { from: caller.id, to: `${callee.namespace}/${callee.name}`, port, method, path: p });
              compared++;
              if (expected !== got) disagreements.push(`${caller.id} -> ${callee.name}:${port} ${method} ${p}: evaluator ${expected}, matrix ${got}`);
            }
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(10000);
  });

  test('a selector policy naming paths is read as ztunnel enforces it: the rule never matches', () => {
    const policy: K8sObject = {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'api-callers', namespace: 'soma-agent-hub' },
      spec: { selector: { matchLabels: { app: 'slm-service' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/soma-agent-hub/sa/gateway-api'] } }], to: [{ operation: { ports: ['10022'], paths: ['/v1/x'] } }] }] },
    };
    const view = ambientView([...rendered, policy], peers);
    expect(view.find(o => o.kind === 'AuthorizationPolicy' && o.metadata?.name === 'api-callers')!.spec.rules).toEqual([]);
    const matrix = accessMatrix([...rendered, policy], peers);
    expect(allows(matrix, { from: 'soma-agent-hub/gateway-api', to: 'soma-agent-hub/slm-service', port: 10022, method: 'GET', path: '/v1/x' })).toBe(false);
  });

  test('soma-mesh diff of two ambient renders names the one call gained', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ambient-diff-'));
    try {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      synthesizeAtomically(dir, app => {
        const chart = new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new IstioAmbientRenderer() } });
        chart.mesh.workload('slm-service').allowFrom(chart.mesh.workload('token-estimator'), { methods: ['GET'], paths: ['/v1/models'] });
      });
      warn.mockRestore();
      const diff = diffObjects(rendered, readManifests(dir), peers);
      expect(diff.gained.map(e => `${e.from} -> ${e.to}:${e.port} ${e.methods} ${e.paths}`)).toEqual(['soma-agent-hub/token-estimator -> soma-agent-hub/slm-service:10022 GET /v1/models']);
      expect(diff.lost).toEqual([]);
      expect(cli('diff', DIST_AMBIENT, dir, '--peers', PEERS_FILE).code).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('soma-mesh check passes dist-ambient/: the waypoints are known callers', () => {
    expect(cli('check', DIST_AMBIENT, '--peers', PEERS_FILE)).toMatchObject({ code: 0 });
    expect(analyze(rendered, { peers })).toEqual([]);
  });

  test('SM1110: a selector policy rule naming methods or paths in an ambient render, never in a sidecar render', () => {
    const policy: K8sObject = {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'l7-at-ztunnel', namespace: 'soma-agent-hub' },
      spec: { selector: { matchLabels: { app: 'slm-service' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/soma-agent-hub/sa/gateway-api'] } }], to: [{ operation: { ports: ['10022'], methods: ['GET'] } }] }] },
    };
    const findings = analyze([...rendered, policy], { peers });
    expect(findings.map(f => f.code)).toEqual(['SM1110']);
    expect(findings[0].message).toMatch(/rules\[0\] names methods, which ztunnel cannot enforce: it never matches it/);
    const sidecar = readManifests(path.join(REPO_ROOT, 'dist'));
    expect(analyze([...sidecar, policy], { peers }).map(f => f.code)).not.toContain('SM1110');
  });
});
