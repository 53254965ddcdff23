import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { SOMA_LINKERD } from '../app/linkerd';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { cli } from './support/cli';
import { LinkerdRenderer } from '../src/renderers/linkerd/linkerd-renderer';
import { linkerdAccessMatrix } from '../src/review/linkerd/access';
import { AccessMatrix, decide } from '../src/review/matrix';
import { synthesizeAtomically } from '../src/synthesize';
import { instantiate } from './support/call-samples';
import { decide as linkerdDecides } from './support/linkerd-authz';
import { K8sObject, ofKind, readManifests, referenceCallGraph, REPO_ROOT } from './support/manifests';
import { deployedPods, NamedPod, referencePeers } from './support/mesh-model';

/**
 * matrix and diff on Linkerd's render read Linkerd's policy model: exactly the reference calls plus the kubelet's
 * probe routes (labelled), the same decisions as the independent evaluator in test/support/linkerd-authz.ts, and a
 * render with one more call is one call gained.
 */

const DIST_LINKERD = path.join(REPO_ROOT, 'dist-linkerd');
const PEERS_FILE = path.join(REPO_ROOT, 'peers', 'soma-agent-hub.json');
const peers = JSON.parse(fs.readFileSync(PEERS_FILE, 'utf8')).peers;
const reference = referenceCallGraph();
let objects: K8sObject[];
let matrix: AccessMatrix;
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-linkerd-review-'));
  objects = readManifests(DIST_LINKERD);
  matrix = linkerdAccessMatrix(objects as any, { peers });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const namespaceOf = (name: string) => (name === 'istio-ingressgateway' ? 'istio-system'
  : reference.services.find((s: any) => s.name === name)?.namespace ?? reference.infra.find((i: any) => i.name === name).namespace);
const refKey = (e: any) => JSON.stringify([`${namespaceOf(e.from)}/${e.from}`, `${namespaceOf(e.to)}/${e.to}`, e.port, [...(e.methods ?? [])].sort(), [...(e.paths ?? [])].sort()]);
const entryKey = (e: any) => JSON.stringify([e.from, e.to, e.port, e.methods, e.paths]);

const isProbe = (e: any) => e.notes.some((n: string) => /probe route/.test(n)) || (e.conditions.length > 0 && e.conditions.every((c: string) => c.startsWith('the client IP in ')));
const identityCondition = (e: any) => e.conditions.find((c: string) => c.startsWith('the caller\'s identity in ['));
const INGRESS_EDGE = JSON.stringify(['istio-system/istio-ingressgateway', 'soma-agent-hub/gateway-api', 10000, [], []]);

test('the matrix of dist-linkerd is exactly the reference calls (the edge by its controller), plus probe and scrape routes, labelled as such', () => {
  const calls = matrix.entries.filter(e => !isProbe(e) && !identityCondition(e));
  expect(calls.map(entryKey).sort()).toEqual(reference.edges.map(refKey).filter((k: string) => k !== INGRESS_EDGE).sort());
  for (const e of calls) expect([e.conditions, e.except]).toEqual([[], []]);
  // Under Linkerd the public edge is the meshed Gateway API controller, named by its identity only.
  const edge = matrix.entries.filter(e => /traefik/.test(identityCondition(e) ?? ''));
  expect(edge.map(e => [e.to, e.port, e.methods, e.paths])).toEqual([['soma-agent-hub/gateway-api', 10000, [], []]]);
  // Prometheus's identity, GET on declared metrics paths only.
  const scrapes = matrix.entries.filter(e => /prometheus/.test(identityCondition(e) ?? ''));
  expect(scrapes.length).toBeGreaterThan(0);
  for (const e of scrapes) expect([e.methods, e.paths]).toEqual([['GET'], ['/metrics']]);
  // The kubelet's probes: GET on the workload's own probe paths (or its metrics path where a TCP check became one), from the probe networks.
  const probes = matrix.entries.filter(isProbe);
  expect(probes.length).toBeGreaterThan(0);
  for (const e of probes) {
    expect(e.methods).toEqual(['GET']);
    const deployment = ofKind(objects, 'Deployment').find(d => `${d.metadata.namespace}/${d.spec.template.metadata.labels.app}` === e.to)!;
    const paths = deployment.spec.template.spec.containers.flatMap((c: any) => [c.livenessProbe, c.readinessProbe].filter(Boolean).map((p: any) => p.httpGet?.path));
    for (const p of e.paths) expect(paths).toContain(p);
  }
});

/**
 * Linkerd's default probe route (on a Server without routes: GET on the pod's probe paths, unauthenticated), which
 * test/support/linkerd-authz.ts leaves out, read here from the YAML.
 */
function defaultProbeRoute(pod: NamedPod, port: number, method: string, requestPath: string): boolean {
  if (method !== 'GET') return false;
  const server = ofKind(objects, 'Server').find(s => s.metadata.namespace === pod.namespace && s.spec.port === port
    && Object.entries(s.spec.podSelector.matchLabels).every(([k, v]) => pod.labels[k] === v));
  if (!server || ['opaque', 'TLS'].includes(server.spec.proxyProtocol)) return false;
  const routed = [...ofKind(objects, 'HTTPRoute'), ...ofKind(objects, 'GRPCRoute')].some(r => r.metadata.namespace === pod.namespace
    && (r.spec.parentRefs ?? []).some((ref: any) => ref.kind === 'Server' && ref.name === server.metadata.name));
  if (routed) return false;
  return ofKind(objects, 'Deployment').filter(d => d.metadata.namespace === pod.namespace && d.spec.template.metadata.labels.app === pod.name)
    .flatMap(d => d.spec.template.spec.containers.flatMap((c: any) => [c.livenessProbe, c.readinessProbe, c.startupProbe]))
    .some((probe: any) => probe?.httpGet && probe.httpGet.port === port && probe.httpGet.path === requestPath);
}

test('graph of dist-linkerd draws the reference calls and the identities of other charts (edge, Prometheus), not the probe routes', () => {
  const arrows = cli('graph', DIST_LINKERD, '--peers', PEERS_FILE).out.split('\n').filter(l => l.includes('-->'));
  // Identities the YAML deploys no workload for (the edge controller, Prometheus) are drawn from one node.
  const outside = new Set(matrix.entries.filter(e => identityCondition(e)).map(e => `${e.to}:${e.port}`));
  expect(arrows).toHaveLength(reference.edges.length - 1 + outside.size);
  expect(arrows.filter(a => !a.startsWith('  _any_meshed_identity_'))).toHaveLength(reference.edges.length - 1);
  expect(arrows.some(a => a.includes('-->|"10000"| soma_agent_hub_gateway_api'))).toBe(true);
});

test('the matrix decides every caller, port, method and path as the independent Linkerd evaluator does', () => {
  const pods: NamedPod[] = [...deployedPods(objects), ...referencePeers(reference)];
  const callers = [...pods.map(p => ({ id: `${p.namespace}/${p.name}`, sa: { name: p.serviceAccount, namespace: p.namespace } as { name: string; namespace: string } | undefined })),
    { id: 'istio-system/istio-ingressgateway', sa: { name: 'istio-ingressgateway-service-account', namespace: 'istio-system' } }, { id: '(no identity)', sa: undefined }];
  const paths = ['/', '/healthz', '/health', '/ready', ...reference.edges.flatMap((e: any) => (e.paths ?? []).map(instantiate))];
  const disagreements: string[] = [];
  let compared = 0;
  for (const callee of pods) {
    for (const port of Object.keys(callee.portProtocols).map(Number)) {
      for (const caller of callers) {
        for (const method of ['GET', 'POST', 'PUT']) {
          for (const p of [...new Set(paths)]) {
            const truth = defaultProbeRoute(callee, port, method, p) || linkerdDecides(objects, callee, { serviceAccount: caller.sa, sourceIp: '10.244.3.7', port, method, path: p }, callee.namespace === 'soma-agent-hub' ? 'deny' : 'all-unauthenticated').allowed;
            const got = decide(matrix, { from: caller.id, to: `${callee.namespace}/${callee.name}`, port, method, path: p });
            compared++;
            // The matrix cannot know pod addresses: a rule open to the probe networks depends on the client IP.
            if (got.decision === 'depends' && got.reasons.every(r => r.startsWith('the client IP in '))) continue;
            if (got.decision !== (truth ? 'allowed' : 'denied')) disagreements.push(`${caller.id} -> ${callee.name}:${port} ${method} ${p}: matrix ${got.decision} (${got.reasons.join('; ')}), evaluator ${truth}`);
          }
        }
      }
    }
  }
  expect(disagreements.slice(0, 10)).toEqual([]);
  expect(compared).toBeGreaterThan(10000);
});

test('diff of a Linkerd render and the same render with one more call: one call gained, exit 1', () => {
  const after = path.join(tmp, 'after');
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    synthesizeAtomically(after, app => {
      const chart = new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new LinkerdRenderer(SOMA_LINKERD) } });
      chart.mesh.workload('billing-service').allowFrom(chart.mesh.workload('gateway-api'), { port: 10025, methods: ['GET'], paths: ['/v1/invoices/{*}'] });
    });
  } finally {
    warn.mockRestore();
  }
  const result = cli('diff', DIST_LINKERD, after, '--peers', PEERS_FILE);
  expect(result.out).toBe('Access changes\n\nCalls gained (1):\n  + soma-agent-hub/gateway-api -> soma-agent-hub/billing-service:10025 GET /v1/invoices/{*}\n\nAccess widened.\n');
  expect(result.code).toBe(1);
  expect(cli('diff', DIST_LINKERD, DIST_LINKERD, '--peers', PEERS_FILE)).toEqual({ code: 0, err: '', out: 'Access changes\n\nNo access changes.\n' });
});

describe('YAML of a mesh the tools do not evaluate is refused, never shown open', () => {
  function dirWith(docs: unknown[]): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'mesh-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), docs.map(d => stringify(d)).join('---\n'));
    return dir;
  }
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } } };

  test('Consul intentions', () => {
    const dir = dirWith([deployment, { apiVersion: 'consul.hashicorp.com/v1alpha1', kind: 'ServiceIntentions', metadata: { name: 'web', namespace: 'shop' }, spec: {} }]);
    expect(cli('matrix', dir)).toEqual({ code: 2, out: '', err: 'soma-mesh: Consul (ServiceIntentions web (consul.hashicorp.com/v1alpha1)): soma-mesh evaluates Istio (sidecar and ambient) and Linkerd only, so it refuses to read access from this YAML rather than show it open\n' });
  });

  test('Istio ambient is not refused: it is evaluated as ambient (test/ambient-review.test.ts)', () => {
    const dir = dirWith([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } }, deployment]);
    expect(cli('matrix', dir)).toMatchObject({ code: 0, err: '' });
  });

  test('Istio and Linkerd objects mixed; diff across meshes; check on Linkerd', () => {
    const mixed = path.join(tmp, 'mixed');
    fs.mkdirSync(mixed);
    fs.copyFileSync(path.join(REPO_ROOT, 'dist', 'soma-agent-hub.k8s.yaml'), path.join(mixed, 'a.yaml'));
    fs.copyFileSync(path.join(DIST_LINKERD, 'soma-agent-hub.k8s.yaml'), path.join(mixed, 'b.yaml'));
    const result = cli('matrix', mixed);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^soma-mesh: the objects mix Istio \(.*\) and Linkerd \(.*\): review each mesh's render on its own\n$/);
    expect(cli('diff', path.join(REPO_ROOT, 'dist'), DIST_LINKERD).err).toBe(`soma-mesh: ${path.join(REPO_ROOT, 'dist')} holds istio objects and ${DIST_LINKERD} linkerd objects: compare renders of one mesh\n`);
    expect(cli('check', DIST_LINKERD)).toEqual({ code: 2, out: '', err: `soma-mesh: ${DIST_LINKERD} holds Linkerd objects, and check runs Istio's analyzer only: run \`soma-mesh matrix ${DIST_LINKERD}\` to see who can call whom under Linkerd (diff and graph evaluate Linkerd too)\n` });
  });
});

describe('Linkerd semantics on hand-written YAML', () => {
  const ns = (annotations: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', annotations: { 'linkerd.io/inject': 'enabled', ...annotations } } });
  const deploy = (app: string, sa: string, ports: Array<{ containerPort: number; name?: string }>, annotations: Record<string, string> = {}) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: 'shop' },
    spec: { template: { metadata: { labels: { app }, annotations }, spec: { serviceAccountName: sa, containers: [{ name: app, image: `${app}:1`, ports, readinessProbe: { httpGet: { path: '/ready', port: ports[0]?.containerPort } } }] } } },
  });
  const server = (name: string, app: string, port: number | string, spec: any = {}) => ({ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name, namespace: 'shop', labels: { tier: 'api' } }, spec: { podSelector: { matchLabels: { app } }, port, proxyProtocol: 'HTTP/1', ...spec } });
  const mtls = (name: string, sa: string) => ({ apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication', metadata: { name, namespace: 'shop' }, spec: { identityRefs: [{ kind: 'ServiceAccount', name: sa }] } });
  const authz = (name: string, target: any, refs: any[]) => ({ apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' }, spec: { targetRef: target, requiredAuthenticationRefs: refs } });
  const ask = (objects: any[], from: string, port: number, method?: string, p?: string, options = {}) => decide(linkerdAccessMatrix(objects, options), { from, to: 'shop/api', port, method, path: p }).decision;
  const base = [deploy('api', 'api', [{ containerPort: 8080, name: 'http' }]), deploy('web', 'web', [{ containerPort: 80 }]), deploy('batch', 'batch', [{ containerPort: 81 }])];

  test('default policies: pod annotation over namespace over the cluster default, and the default probe route', () => {
    expect(ask([ns(), ...base], '(no identity)', 8080, 'GET', '/x')).toBe('allowed'); // cluster default all-unauthenticated
    expect(ask([ns(), ...base], '(no identity)', 8080, 'GET', '/x', { clusterDefaultPolicy: 'all-authenticated' })).toBe('denied');
    expect(ask([ns(), ...base], 'shop/web', 8080, 'GET', '/x', { clusterDefaultPolicy: 'all-authenticated' })).toBe('allowed');
    const denyNs = [ns({ 'config.linkerd.io/default-inbound-policy': 'deny' }), ...base];
    expect(ask(denyNs, 'shop/web', 8080, 'GET', '/x')).toBe('denied');
    expect(ask(denyNs, '(no identity)', 8080, 'GET', '/ready')).toBe('denied'); // deny keeps no probe route
    const podOpen = [ns({ 'config.linkerd.io/default-inbound-policy': 'deny' }), deploy('api', 'api', [{ containerPort: 8080 }], { 'config.linkerd.io/default-inbound-policy': 'cluster-authenticated' }), ...base.slice(1)];
    expect(ask(podOpen, 'shop/web', 8080, 'GET', '/x')).toBe('allowed');
    expect(ask(podOpen, '(no identity)', 8080, 'GET', '/ready')).toBe('allowed');
    expect(ask(podOpen, '(no identity)', 8080, 'GET', '/x')).toBe('denied');
  });

  test('a Server selected by port name; routes decide; a route on headers depends; a Server-wide authorization covers its routes', () => {
    const route = (name: string, matches: any[]) => ({ apiVersion: 'policy.linkerd.io/v1beta3', kind: 'HTTPRoute', metadata: { name, namespace: 'shop' }, spec: { parentRefs: [{ group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' }], rules: [{ matches }] } });
    const objects = [ns(), ...base, server('api-http', 'api', 'http'), mtls('web', 'web'), mtls('batch', 'batch'),
      route('get-items', [{ method: 'GET', path: { type: 'PathPrefix', value: '/items' } }]),
      route('by-header', [{ path: { type: 'Exact', value: '/admin' }, headers: [{ name: 'x-admin', value: '1' }] }]),
      authz('web-items', { group: 'policy.linkerd.io', kind: 'HTTPRoute', name: 'get-items' }, [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web' }]),
      authz('batch-all', { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' }, [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'batch' }])];
    expect(ask(objects, 'shop/web', 8080, 'GET', '/items/1')).toBe('allowed');
    expect(ask(objects, 'shop/web', 8080, 'POST', '/items/1')).toBe('denied'); // no route
    expect(ask(objects, 'shop/web', 8080, 'GET', '/itemsx')).toBe('denied'); // a prefix matches whole segments
    expect(ask(objects, 'shop/batch', 8080, 'GET', '/items')).toBe('allowed');
    expect(ask(objects, 'shop/batch', 8080, 'GET', '/other')).toBe('denied');
    expect(ask(objects, 'shop/batch', 8080, 'GET', '/admin')).toBe('depends');
    expect(ask(objects, '(no identity)', 8080, 'GET', '/ready')).toBe('denied'); // routes exist: no default probe route
    const rows = linkerdAccessMatrix(objects).entries.map(e => `${e.from} -> ${e.to}:${e.port} ${e.methods.join(',') || '*'} ${e.paths.join(',') || '*'}`);
    expect(rows).toEqual(expect.arrayContaining(['shop/web -> shop/api:8080 GET /items/{**}', 'shop/batch -> shop/api:8080 * *']));
  });

  test('legacy ServerAuthorization by name or label selector, unauthenticated clients and networks', () => {
    const sa = (name: string, serverRef: any, client: any) => ({ apiVersion: 'policy.linkerd.io/v1beta1', kind: 'ServerAuthorization', metadata: { name, namespace: 'shop' }, spec: { server: serverRef, client } });
    const objects = [ns(), ...base, server('api-http', 'api', 8080), sa('web', { name: 'api-http' }, { meshTLS: { serviceAccounts: [{ name: 'web' }] } })];
    expect(ask(objects, 'shop/web', 8080, 'GET', '/x')).toBe('allowed');
    expect(ask(objects, 'shop/batch', 8080, 'GET', '/x')).toBe('denied');
    expect(ask(objects, '(no identity)', 8080, 'GET', '/ready')).toBe('allowed'); // default probe route: no routes
    const byLabel = [...objects.slice(0, -1), sa('lan', { selector: { matchLabels: { tier: 'api' } } }, { unauthenticated: true, networks: [{ cidr: '10.0.0.0/8' }] })];
    expect(ask(byLabel, '(no identity)', 8080, 'GET', '/x')).toBe('depends');
  });

  test('a pod that is not meshed enforces nothing', () => {
    expect(ask([ns({ 'config.linkerd.io/default-inbound-policy': 'deny' }), deploy('api', 'api', [{ containerPort: 8080 }], { 'linkerd.io/inject': 'disabled' }), ...base.slice(1)], '(no identity)', 8080, 'GET', '/x')).toBe('allowed');
  });
});
