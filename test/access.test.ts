import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { App } from 'cdk8s';
import { diffObjects } from '../src/review/diff';
import { allows, accessMatrix, AccessMatrix, decide, key } from '../src/review/matrix';
import { peerOf } from '../src/renderers/istio/analyzer-peers';
import { cli } from './support/cli';
import { main } from '../app/synth';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { synthesizeAtomically } from '../src/synthesize';
import { allowNothing, deployment, destinationRule, policy, service, shop, strict } from './support/fixtures';
import { isAllowed } from './support/istio-authz';
import { K8sObject, ofKind, readManifests, REPO_ROOT, referenceCallGraph, SHARED } from './support/manifests';
import { deployedPods, INGRESS_PRINCIPAL, NamedPod, referencePeers } from './support/mesh-model';

const reference = referenceCallGraph();
const APP_MODULE = path.join(REPO_ROOT, 'app', 'soma-agent-hub.ts');
const PEERS_FILE = path.join(REPO_ROOT, 'peers', 'soma-agent-hub.json');
const peers = JSON.parse(fs.readFileSync(PEERS_FILE, 'utf8')).peers;
let tmp: string;
let renderDir: string;
let rendered: K8sObject[];
let matrix: AccessMatrix;

/** SomaAgentHub's render, plus whatever `extra` adds, into a fresh folder. */
function render(name: string, extra?: (chart: SomaAgentHub) => void): string {
  const dir = path.join(tmp, name);
  synthesizeAtomically(dir, app => extra?.(new SomaAgentHub(app, 'soma-agent-hub')));
  return dir;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-access-'));
  renderDir = path.join(tmp, 'render');
  main(renderDir);
  rendered = readManifests(renderDir);
  matrix = accessMatrix(rendered, peers);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const namespaceOf = (name: string) => (name === 'istio-ingressgateway' ? 'istio-system'
  : reference.services.find((s: any) => s.name === name)?.namespace ?? reference.infra.find((i: any) => i.name === name).namespace);
const refKey = (e: any) => JSON.stringify([`${namespaceOf(e.from)}/${e.from}`, `${namespaceOf(e.to)}/${e.to}`, e.port, [...(e.methods ?? [])].sort(), [...(e.paths ?? [])].sort()]);
const entryKey = (e: any) => JSON.stringify([e.from, e.to, e.port, e.methods, e.paths]);

describe('matrix on SomaAgentHub\'s render', () => {
  test('the peers file is exactly the peers SomaAgentHub declares', () => {
    const chart = new SomaAgentHub(new App(), 'soma-agent-hub');
    expect(peers).toEqual(chart.mesh.workloads.filter(w => !w.deployed).map(peerOf).map(p => JSON.parse(JSON.stringify(p))));
  });

  test('equals call-graph.json call for call', () => {
    expect(matrix.entries.map(entryKey).sort()).toEqual(reference.edges.map(refKey).sort());
    expect(matrix.entries).toHaveLength(reference.edges.length);
  });

  test('every entry is STRICT, unconditional and without exceptions, with the edge\'s protocol', () => {
    for (const e of matrix.entries) {
      const edge = reference.edges.find((x: any) => refKey(x) === entryKey(e));
      expect([e.mtls, e.conditions, e.except, e.protocol]).toEqual(['STRICT', [], [], edge.protocol.toLowerCase()]);
    }
  });

  test('agrees with the independent evaluator on every caller, port, method and path tried', () => {
    const pods: NamedPod[] = [...deployedPods(rendered), ...referencePeers(reference)];
    const policies = ofKind(rendered, 'AuthorizationPolicy');
    const callers = [
      ...pods.map(p => ({ id: `${p.namespace}/${p.name}`, principal: p.principal })),
      { id: 'istio-system/istio-ingressgateway', principal: INGRESS_PRINCIPAL },
      { id: 'cluster.local/ns/soma-agent-hub/sa/default', principal: 'cluster.local/ns/soma-agent-hub/sa/default' },
    ];
    const samplePaths = ['/', '/health', '/v1/sessions', '/v1/users/u1/capabilities/c2', '/v1/users/u1/capabilities', '/metrics/job/j1', '/v1/adapters/a/execute', '/collections/memory/points'];
    let compared = 0;
    const disagreements: string[] = [];
    for (const callee of pods) {
      const to = `${callee.namespace}/${callee.name}`;
      for (const caller of callers) {
        for (const port of [...Object.keys(callee.portProtocols).map(Number), 15999]) {
          for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
            for (const p of samplePaths) {
              const expected = isAllowed(policies, callee, { principal: caller.principal, port, method, path: p });
              const got = allows(matrix, { from: caller.id, to, port, method, path: p });
              compared++;
              if (expected !== got) disagreements.push(`${caller.id} -> ${to}:${port} ${method} ${p}: evaluator ${expected}, matrix ${got}`);
            }
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(50000);
  });

  test('without peers, a call-graph file\'s "infra" also serves as --peers', () => {
    const { code, out } = cli('matrix', renderDir, '--peers', path.join(SHARED, 'reference', 'call-graph.json'), '--format', 'json');
    expect(code).toBe(0);
    const entries = JSON.parse(out).entries;
    // The ingress gateway is not in "infra": its calls are listed under its principal.
    expect(entries.filter((e: any) => e.from === INGRESS_PRINCIPAL).map((e: any) => `${e.to}:${e.port}`)).toEqual(['soma-agent-hub/gateway-api:10000']);
    expect(entries).toHaveLength(reference.edges.length);
  });
});

describe('Istio evaluation order on hand-written YAML', () => {
  const web = 'cluster.local/ns/shop/sa/web';
  const entries = (objects: any[]) => accessMatrix(objects).entries.map(e => `${key(e)}${e.except.length ? ` except ${e.except.map(x => `${x.methods}|${x.paths}`).join(';')}` : ''}${e.conditions.length ? ` [${e.conditions.join('; ')}]` : ''}`);
  const webCallers = (rules: any[]) => policy('shop', 'web-callers', { selector: { matchLabels: { app: 'web' } }, rules });

  test('the fixture: only web -> db:5432', () => {
    expect(entries(shop())).toEqual(['shop/web -> shop/db:5432 * *']);
  });

  test('a DENY rule on the port removes the call; with methods on an HTTP port it carves an exception', () => {
    const deny = (operation: any) => policy('shop', 'deny', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{ from: [{ source: { principals: [web] } }], to: [{ operation }] }] });
    expect(entries([...shop(), deny({ ports: ['5432'] })])).toEqual([]);
    // HTTP-only fields on a TCP port: Istio denies the whole port.
    expect(entries([...shop(), deny({ methods: ['DELETE'] })])).toEqual([]);
    const open = webCallers([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/db'] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    const denyDelete = policy('shop', 'no-delete', { selector: { matchLabels: { app: 'web' } }, action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'], paths: ['/admin/*'] } }] }] });
    expect(entries([...shop(), open, denyDelete])).toEqual(['shop/db -> shop/web:8080 * * except DELETE|/admin/*', 'shop/web -> shop/db:5432 * *']);
    expect(allows(accessMatrix([...shop(), open, denyDelete]), { from: 'shop/db', to: 'shop/web', port: 8080, method: 'DELETE', path: '/admin/x' })).toBe(false);
    expect(allows(accessMatrix([...shop(), open, denyDelete]), { from: 'shop/db', to: 'shop/web', port: 8080, method: 'GET', path: '/admin/x' })).toBe(true);
  });

  test('CUSTOM is evaluated first and noted on what it covers', () => {
    const custom = policy('shop', 'ext', { selector: { matchLabels: { app: 'db' } }, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] });
    expect(entries([...shop(), custom])).toEqual(['shop/web -> shop/db:5432 * * [CUSTOM shop/ext (opa) decides first]']);
    expect(decide(accessMatrix([...shop(), custom]), { from: 'shop/web', to: 'shop/db', port: 5432 }).decision).toBe('depends');
  });

  test('no ALLOW policy: any caller; a rule without from: any caller; namespaces: known workloads and the rest of the namespace', () => {
    expect(entries([deployment('open', 'api', [80]), service('open', 'api', [[80, 'http']])])).toEqual(['* -> open/api:80 * *']);
    const any = webCallers([{ to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }]);
    expect(entries([...shop(), any])).toContain('* -> shop/web:8080 GET *');
    const ns = webCallers([{ from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    expect(entries([...shop(), ns]).filter(e => e.includes('shop/web:8080'))).toEqual(['ns:shop -> shop/web:8080 * *', 'shop/db -> shop/web:8080 * *', 'shop/web -> shop/web:8080 * *']);
  });

  test('a root-namespace policy without selector binds every workload; a namespace-wide one binds its namespace', () => {
    const objects = [deployment('a', 'api', [80]), service('a', 'api', [[80, 'http']]), allowNothing('istio-system')];
    expect(entries(objects)).toEqual([]);
    expect(entries([...objects.slice(0, 2), allowNothing('b')])).toEqual(['* -> a/api:80 * *']);
    // In the root namespace a selector matches workloads of every namespace.
    const rootSelected = policy('istio-system', 'deny-api', { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ to: [{ operation: { ports: ['80'] } }] }] });
    expect(entries([...objects.slice(0, 2), rootSelected])).toEqual([]);
    expect(entries([...objects.slice(0, 2), { ...rootSelected, spec: { ...rootSelected.spec, selector: { matchLabels: { app: 'web' } } } }])).toEqual(['* -> a/api:80 * *']);
  });

  test('on a port whose protocol no Service declares, Istio sniffs: HTTP rules admit HTTP requests only, the TCP view drops them', () => {
    const objects = [deployment('x', 'api', [80]), allowNothing('x'), policy('x', 'api', { selector: { matchLabels: { app: 'api' } }, rules: [{ to: [{ operation: { ports: ['80'], methods: ['GET'] } }] }] })];
    expect(entries(objects)).toEqual(['* -> x/api:80 GET * (http)']);
    expect(decide(accessMatrix(objects), { from: '(no identity)', to: 'x/api', port: 80, method: 'GET', path: '/' }).decision).toBe('allowed');
    expect(decide(accessMatrix(objects), { from: '(no identity)', to: 'x/api', port: 80 }).decision).toBe('denied');
    const asTcp = [...objects, service('x', 'api', [[80, 'tcp-api']])];
    expect(entries(asTcp)).toEqual([]);
  });

  test('principals match in the trust domain the mesh is configured with (and its aliases), not in any', () => {
    const app = new App();
    const chart = new (require('cdk8s').Chart)(app, 'td', { disableResourceNameHashes: true });
    const mesh = new (require('../src/model/mesh').Mesh)(chart, 'Mesh', { trustDomain: 'example.org', renderer: new (require('../src/renderers/istio/istio-renderer').IstioRenderer)() });
    const ns = mesh.addNamespace('shop');
    const { MeshService } = require('../src/model/mesh-service');
    const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
    const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 9000 }] });
    api.allowFrom(web, { methods: ['GET'] });
    const objects = require('yaml').parseAllDocuments(app.synthYaml()).map((d: any) => d.toJSON());
    expect(JSON.stringify(objects)).toContain('example.org/ns/shop/sa/web');
    expect(accessMatrix(objects, { trustDomain: 'example.org' }).entries.map(key)).toEqual(['shop/web -> shop/api:9000 GET *']);
    // With example.org an alias, the local web admitted, and so is any caller holding the example.org identity.
    expect(accessMatrix(objects, { trustDomainAliases: ['example.org'] }).entries.map(key)).toEqual(['example.org/ns/shop/sa/web -> shop/api:9000 GET *', 'shop/web -> shop/api:9000 GET *']);
    // Under cluster.local, example.org's principal names a caller the YAML does not deploy.
    expect(accessMatrix(objects).entries.map(key)).toEqual(['example.org/ns/shop/sa/web -> shop/api:9000 GET *']);
  });

  test('mTLS mode per port: workload port level over workload over namespace over mesh', () => {
    const pa = { ...strict('shop'), metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } }, portLevelMtls: { 5432: { mode: 'PERMISSIVE' } } } };
    expect(accessMatrix([...shop(), pa]).entries[0].mtls).toBe('PERMISSIVE');
    expect(accessMatrix(shop()).entries[0].mtls).toBe('STRICT');
  });
});

describe('diff', () => {
  test('a render with one added call reports exactly that call, and widening exits 1', () => {
    const after = render('one-more', chart => chart.mesh.workload('billing-service').allowFrom(chart.mesh.workload('gateway-api'), { methods: ['GET'], paths: ['/v1/invoices/{*}'] }));
    const diff = diffObjects(rendered, readManifests(after), peers);
    expect(diff.gained.map(key)).toEqual(['soma-agent-hub/gateway-api -> soma-agent-hub/billing-service:10025 GET /v1/invoices/{*}']);
    expect([diff.lost, diff.mtlsWeakened, diff.widened]).toEqual([[], [], true]);
    const text = cli('diff', renderDir, after, '--peers', PEERS_FILE);
    expect(text).toEqual({ code: 1, err: '', out: 'Access changes\n\nCalls gained (1):\n  + soma-agent-hub/gateway-api -> soma-agent-hub/billing-service:10025 GET /v1/invoices/{*}\n\nAccess widened.\n' });
    expect(cli('diff', renderDir, after, '--peers', PEERS_FILE, '--allow-widening').code).toBe(0);
    // The other way round, access narrows: one call lost, exit 0.
    const back = cli('diff', after, renderDir, '--peers', PEERS_FILE, '--format', 'json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.out).lost.map(key)).toEqual(['soma-agent-hub/gateway-api -> soma-agent-hub/billing-service:10025 GET /v1/invoices/{*}']);
  });

  test('an added path on an existing call is one call gained; the same render is no change', () => {
    const after = render('wider', chart => chart.mesh.workload('orchestrator').allowFrom(chart.mesh.workload('gateway-api'), { methods: ['GET'], paths: ['/v1/sessions/{*}'] }));
    expect(diffObjects(rendered, readManifests(after), peers).gained.map(key)).toEqual(['soma-agent-hub/gateway-api -> soma-agent-hub/orchestrator:10001 GET /v1/sessions/{*}']);
    expect(cli('diff', renderDir, renderDir, '--peers', PEERS_FILE)).toEqual({ code: 0, err: '', out: 'Access changes\n\nNo access changes.\n' });
  });

  test('mTLS weakened: a DestinationRule with TLS DISABLE, or a namespace turned PERMISSIVE', () => {
    const dr = destinationRule('soma-agent-hub', 'orchestrator', { host: 'orchestrator.soma-agent-hub.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } });
    const withDr = diffObjects(rendered, [...rendered, dr], peers);
    expect(withDr.mtlsWeakened).toEqual([{ subject: 'DestinationRule soma-agent-hub/orchestrator host orchestrator.soma-agent-hub.svc.cluster.local trafficPolicy', before: 'ISTIO_MUTUAL', after: 'DISABLE' }]);
    expect([withDr.gained, withDr.widened]).toEqual([[], true]);
    const permissive = rendered.map(o => (o.kind === 'PeerAuthentication' && o.metadata.namespace === 'soma-agent-hub' ? { ...o, spec: { mtls: { mode: 'PERMISSIVE' } } } : o));
    const weakened = diffObjects(rendered, permissive, peers).mtlsWeakened;
    expect(weakened.map(c => `${c.subject} ${c.before}->${c.after}`)).toContain('soma-agent-hub/gateway-api:10000 STRICT->PERMISSIVE');
    expect(weakened).toHaveLength(23); // every served port of the 23 services with a port
  });

  test('markdown, for a pull-request comment', () => {
    const after = render('md', chart => chart.mesh.workload('billing-service').allowFrom(chart.mesh.workload('gateway-api'), { port: 10025 }));
    expect(cli('diff', renderDir, after, '--peers', PEERS_FILE, '--format', 'markdown').out).toBe('### Access changes\n\n**Calls gained** (1)\n- `+ soma-agent-hub/gateway-api -> soma-agent-hub/billing-service:10025 * *`\n\n**Access widened.**\n');
  });
});

describe('the soma-mesh command', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'in-'));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  test('matrix: text, json and markdown agree', () => {
    const text = cli('matrix', renderDir, '--peers', PEERS_FILE).out.trim().split('\n');
    expect(text[0]).toMatch(/^FROM\s+TO\s+PORT\s+PROTOCOL\s+MTLS\s+METHODS\s+PATHS\s+NOTES$/);
    expect(text).toHaveLength(reference.edges.length + 1);
    expect(text).toContainEqual(expect.stringMatching(/^soma-agent-hub\/orchestrator\s+soma-agent-hub\/identity-service\s+10002\s+http\s+STRICT\s+GET\s+\/v1\/users\/\{\*\}\/capabilities\/\{\*\}$/));
    const md = cli('matrix', renderDir, '--peers', PEERS_FILE, '--format', 'markdown').out.trim().split('\n');
    expect(md.slice(0, 2)).toEqual(['| FROM | TO | PORT | PROTOCOL | MTLS | METHODS | PATHS | NOTES |', '|---|---|---|---|---|---|---|---|']);
    expect(md).toHaveLength(reference.edges.length + 2);
    expect(JSON.parse(cli('matrix', renderDir, '--peers', PEERS_FILE, '--format', 'json').out)).toEqual(JSON.parse(JSON.stringify(matrix)));
  });

  test('check: the clean render passes; a DestinationRule with TLS DISABLE is reported with file and line, exit 1', () => {
    expect(cli('check', renderDir, '--peers', PEERS_FILE)).toEqual({ code: 0, err: '', out: '0 error(s), 0 warning(s)\n' });
    const dir = fs.mkdtempSync(path.join(tmp, 'tls-'));
    // The render with orchestrator's own DestinationRule moved to b-dr.yaml and set to disable mTLS.
    const objects = readManifests(renderDir);
    const isOrchestratorDr = (o: K8sObject) => o.kind === 'DestinationRule' && o.metadata.name === 'orchestrator';
    const dr = objects.find(isOrchestratorDr)!;
    fs.writeFileSync(path.join(dir, 'a.yaml'), objects.filter(o => !isOrchestratorDr(o)).map(o => stringify(o)).join('---\n'));
    fs.writeFileSync(path.join(dir, 'b-dr.yaml'), stringify({ ...dr, spec: { ...dr.spec, trafficPolicy: { ...dr.spec.trafficPolicy, tls: { mode: 'DISABLE' } } } }));
    const result = cli('check', dir, '--peers', PEERS_FILE);
    expect(result.code).toBe(1);
    expect(result.out).toBe(`${path.join(dir, 'b-dr.yaml')}:1: error SM1001 DestinationRule soma-agent-hub/orchestrator sets trafficPolicy.tls.mode DISABLE for "orchestrator.soma-agent-hub.svc.cluster.local", whose workload soma-agent-hub/orchestrator requires STRICT mTLS: callers would send non-Istio TLS and get 503s\n  fix: remove \`tls\` or set \`mode: ISTIO_MUTUAL\`\n1 error(s), 0 warning(s)\n`);
    expect(JSON.parse(cli('check', dir, '--peers', PEERS_FILE, '--format', 'json').out).map((f: any) => f.code)).toEqual(['SM1001']);
  });

  test('malformed YAML: file, line and column, exit 2, no stack trace', () => {
    const dir = dirWith({ 'bad.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n    namespace: y\n' });
    const result = cli('check', dir);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`soma-mesh: ${path.join(dir, 'bad.yaml')}:4:9: invalid YAML: Nested mappings are not allowed in compact mappings\n`);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  test('bad input: not an object, unknown command, option and format, missing path, bad peers', () => {
    const notObject = dirWith({ 'a.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n- just\n- a list\n' });
    expect(cli('matrix', notObject).err).toBe(`soma-mesh: ${path.join(notObject, 'a.yaml')}:5: this document is not a Kubernetes object (a list, not a Kubernetes object) in a file of Kubernetes objects\n`);
    expect(cli('frobnicate').code).toBe(2);
    expect(cli('frobnicate').err).toBe('soma-mesh: unknown command "frobnicate" (commands: matrix, diff, graph, check, import; see soma-mesh --help)\n');
    expect(cli('matrix', renderDir, '--colour').err).toBe('soma-mesh: unknown option --colour (see soma-mesh --help)\n');
    expect(cli('matrix', renderDir, '--format', 'yaml').err).toBe('soma-mesh: --format yaml is not one of text, json, markdown\n');
    expect(cli('matrix', path.join(tmp, 'nope')).err).toBe(`soma-mesh: ${path.join(tmp, 'nope')}: no such file or directory\n`);
    expect(cli('diff', renderDir).err).toBe('soma-mesh: usage: soma-mesh diff OLD NEW [--format text|json|markdown] [--peers FILE] [--allow-widening]\n');
    const badPeers = dirWith({ 'p.json': '{"peers": [{"name": "redis", "namespace": "infra"}]}' });
    expect(cli('matrix', renderDir, '--peers', path.join(badPeers, 'p.json')).err).toBe(`soma-mesh: ${path.join(badPeers, 'p.json')}: peer #1 (redis) needs a string "serviceAccount"\n`);
    expect(cli().code).toBe(2);
  });

  test('graph: SomaAgentHub\'s declared graph as Mermaid and DOT; the matrix of a folder gives the same arrows', () => {
    const mermaid = cli('graph', '--app', APP_MODULE).out;
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true);
    expect(mermaid).toContain('soma_agent_hub_gateway_api -->|"10001 POST"| soma_agent_hub_orchestrator');
    expect(mermaid).toContain('istio_system_istio_ingressgateway -->|"10000"| soma_agent_hub_gateway_api');
    const arrows = (text: string) => text.split('\n').filter(l => l.includes('-->')).sort();
    // One arrow per call, per external host a workload reaches, and one for mao-service's unlisted egress.
    expect(arrows(mermaid)).toHaveLength(reference.edges.length + 6);
    expect(mermaid).toContain('soma_agent_hub_self_provisioning -->|"443"| __amazonaws_com');
    expect(mermaid).toContain('soma_agent_hub_mao_service -->|"443"| any_host__unlisted_egress_');
    expect(arrows(cli('graph', renderDir, '--peers', PEERS_FILE).out)).toEqual(arrows(mermaid));
    const dot = cli('graph', '--app', APP_MODULE, '--format', 'dot').out;
    expect(dot).toContain('"soma-agent-hub/gateway-api" -> "soma-agent-hub/orchestrator" [label="10001 POST"];');
    expect(dot.split('\n').filter(l => l.includes(' -> '))).toHaveLength(reference.edges.length + 6);
  });

  test('docs/cli.md shows the real output of matrix, check and graph on the committed dist/', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');
    const dist = path.join(REPO_ROOT, 'dist');
    const peersArg = path.relative(process.cwd(), PEERS_FILE);
    expect(readme).toContain(`$ soma-mesh matrix dist --peers peers/soma-agent-hub.json\n${cli('matrix', dist, '--peers', peersArg).out}`);
    expect(readme).toContain(`$ soma-mesh check dist --peers peers/soma-agent-hub.json\n${cli('check', dist, '--peers', peersArg).out}[exit 0]`);
    expect(readme).toContain(`\`\`\`mermaid\n${cli('graph', '--app', APP_MODULE).out}\`\`\``);
  });

  test('the installed command runs as a process: exit codes and stderr, no stack trace', () => {
    // bin/soma-mesh.js runs the compiled lib/ (built by `npm ci` through `prepare`, or `npm run build`).
    const { spawnSync } = require('child_process');
    const bin = path.join(REPO_ROOT, 'bin', 'soma-mesh.js');
    const ok = spawnSync(process.execPath, [bin, 'check', path.join(REPO_ROOT, 'dist'), '--peers', PEERS_FILE], { encoding: 'utf8' });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, '0 error(s), 0 warning(s)\n', '']);
    const dir = fs.mkdtempSync(path.join(tmp, 'proc-'));
    fs.writeFileSync(path.join(dir, 'x.yaml'), 'kind: [unclosed\n');
    const bad = spawnSync(process.execPath, [bin, 'matrix', dir], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^soma-mesh: ${path.join(dir, 'x.yaml')}:\\d+:\\d+: invalid YAML: `));
    expect(bad.stderr.split('\n')).toHaveLength(2);
  });

  test('bin/soma-mesh.js runs the compiled command', () => {
    const bin = fs.readFileSync(path.join(REPO_ROOT, 'bin', 'soma-mesh.js'), 'utf8');
    expect(bin).toContain("require(path.join(__dirname, '..', 'lib', 'src', 'cli', 'soma-mesh.js'))");
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).bin).toEqual({ 'soma-mesh': 'bin/soma-mesh.js' });
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).dependencies.yaml).toBeDefined();
  });
});
