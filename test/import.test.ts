import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { App } from 'cdk8s';
import { cli } from './support/cli';
import { REPO_ROOT } from './support/manifests';

/**
 * `soma-mesh import` on applications whose manifests state their peers: the proposed calls against each app's
 * stated graph (written by hand in `stated-graph.json` beside its manifests, never by the import), the TypeScript
 * output compiled, rendered and read back through the matrix, `--against` a render, and bad input refused.
 */

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'import');

interface Call { from: string; to: string; port: number }
interface Fixture { name: string; args: string[]; stated: Call[] }

function stated(app: string, field = 'calls'): Call[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, app, 'stated-graph.json'), 'utf8'))[field];
}

const APPS: Fixture[] = [
  { name: 'online-boutique', args: [], stated: stated('online-boutique') },
  { name: 'sock-shop', args: [], stated: stated('sock-shop') },
  { name: 'hotel-reservation', args: ['--namespace', 'hotel-res'], stated: stated('hotel-reservation') },
  { name: 'soma-agent-hub', args: [], stated: stated('soma-agent-hub', 'statedByManifests') },
  { name: 'edge-cases', args: [], stated: stated('edge-cases') },
];

function propose(app: string, ...args: string[]): any {
  const result = cli('import', path.join(FIXTURES, app, 'manifests'), '--format', 'json', ...args);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out);
}

const key = (c: Call) => `${c.from} -> ${c.to}:${c.port}`;

/** Precision and recall of proposed calls against a stated graph, with what differs. */
function score(proposed: Call[],
  expected: Call[]): { precision: number; recall: number; extra: string[]; missed: string[] } {
  const p = new Set(proposed.map(key));
  const e = new Set(expected.map(key));
  const hits = [...p].filter(k => e.has(k)).length;
  return {
    precision: p.size === 0 ? 1 : hits / p.size, recall: e.size === 0 ? 1 : hits / e.size,
    extra: [...p].filter(k => !e.has(k)), missed: [...e].filter(k => !p.has(k)),
  };
}

describe('precision and recall against each application\'s stated graph', () => {
  const docs = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'import.md'), 'utf8');

  test.each(APPS)('$name', ({ name, args, stated: expected }) => {
    const proposal = propose(name, ...args);
    const s = score(proposal.calls, expected);
    expect({ extra: s.extra, missed: s.missed }).toEqual({ extra: [], missed: [] });
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    // docs/import.md states the same figures.
    const row = `| ${name} | ${expected.length} | ${proposal.calls.length} | ${s.precision.toFixed(2)} | ${s.recall.toFixed(2)} |`;
    expect(docs).toContain(row);
  });

  test('each call says where it came from, as the manifest writes it', () => {
    const boutique = propose('online-boutique');
    const call = boutique.calls.find((c: any) => c.from === 'default/frontend'
      && c.to === 'default/productcatalogservice');
    expect(call).toEqual({
      from: 'default/frontend', to: 'default/productcatalogservice', port: 3550, targetPort: 3550, protocol: 'GRPC',
      evidence: ['frontend env PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550'],
    });
    const email = boutique.calls.find((c: any) => c.to === 'default/emailservice');
    expect([email.port, email.targetPort]).toEqual([5000, 8080]);
    const hotel = propose('hotel-reservation', '--namespace', 'hotel-res');
    expect(hotel.calls.find((c: any) => c.from === 'hotel-res/geo' && c.to === 'hotel-res/mongodb-geo').evidence)
      .toEqual(['geo ConfigMap geo file service-config.json: GeoMongoAddress=mongodb-geo:27018']);
    const edge = propose('edge-cases');
    const evidence = (from: string, to: string) => edge.calls.find((c: any) => c.from === from && c.to === to).evidence;
    expect(evidence('shop/web',
      'shop/ledger')).toEqual(['AuthorizationPolicy shop/ledger-callers rules[0] from cluster.local/ns/shop/sa/web port 9000']);
    expect(evidence('shop/shop-orders-svc',
      'shop/ledger')).toEqual(['NetworkPolicy shop/ledger-ingress ingress[0] from[0] podSelector app.kubernetes.io/name=orders port 9000']);
    expect(evidence('shop/web',
      'shop/search')).toEqual(['web env SEARCH_HOST (ConfigMap web-config key SEARCH_HOST)=search']);
    expect(evidence('shop/dispatch', 'shop/rabbitmq')).toEqual(['dispatch env AMQP_HOST=rabbitmq']);
    expect(evidence('shop/basket',
      'shop/sqldata')).toEqual(['basket env ConnectionStrings__Default=Server=sqldata,1433;Database=basket;User Id=sa;Password=Pass@word']);
    expect(evidence('shop/basket',
      'shop/rabbitmq')).toEqual(['basket ConfigMap registry file services.json: queue=rabbitmq:5672']);
    // The registry entry under dispatch's own name states dispatch's address, not a call from basket.
    expect(edge.calls.filter((c: any) => c.to === 'shop/dispatch')).toEqual([]);
    expect(edge.external).toEqual([
      { from: 'shop/web', host: 'api.geocoder.example.com', port: 443, evidence: ['web env GEOCODER_URL=https://geocoder/v2'] },
      { from: 'shop/web', host: 'api.stripe.com', port: 443, evidence: ['web envFrom ConfigMap web-env PAYMENTS_API=https://api.stripe.com/v1'] },
    ]);
  });

  test('a value that names nothing of the input is listed as unresolved, with the reason, never guessed', () => {
    const reasons = (proposal: any) => proposal.unresolved.map((u: any) => `${u.from}: ${u.reason}`);
    expect(reasons(propose('online-boutique'))).toEqual([
      'default/frontend: shoppingassistantservice names Service default/shoppingassistantservice, which is not in the input']);
    expect(reasons(propose('sock-shop'))).toEqual([
      'sock-shop/shipping: zipkin.jaeger.svc.cluster.local names namespace jaeger, which is not in the input']);
    const hotel = reasons(propose('hotel-reservation', '--namespace', 'hotel-res'));
    expect(hotel).toHaveLength(8);
    expect(hotel[0]).toBe('hotel-res/frontend: port 6831 of hotel-res/jaeger-hotelres is UDP, which the mesh does not carry: allow it with a NetworkPolicy of your own');
    expect(reasons(propose('edge-cases'))).toEqual([
      'shop/web: 10.0.0.12 is an IP address, which names no Service: use the Service\'s name',
      'shop/web: the value gives no port and Service shop/inventory serves 8080, 8443: say which (host:port)',
      'ns:monitoring: admits every pod of a namespace: it names no caller',
      'shop/search, shop/catalog, shop/inventory, shop/rabbitmq, shop/sqldata: 5 workloads share this identity, so the rule names none of them: give each its own ServiceAccount',
    ]);
  });

  test('without --namespace, Helm output that names its release namespace resolves nothing there', () => {
    const hotel = propose('hotel-reservation');
    expect(hotel.calls.filter((c: any) => c.to.endsWith('/consul'))).toEqual([]);
    expect(hotel.unresolved.some((u: any) => u.reason === 'consul.hotel-res.svc.cluster.local names namespace hotel-res, which is not in the input')).toBe(true);
  });

  test('infrastructure is proposed as ExistingWorkload: database, cache and broker images, and what is marked', () => {
    const edge = propose('edge-cases');
    const existing = edge.services.filter((s: any) => s.declaration === 'ExistingWorkload').map((s: any) => `${s.namespace}/${s.name}: ${s.existingBecause}`);
    expect(existing).toEqual([
      'data/kafka: its image bitnami/kafka:3.7.0 is a database, cache or broker (kafka)',
      'data/orders-db: its image postgres:16.3 is a database, cache or broker (postgres)',
      'data/sessions: its image redis:7.2.5 is a database, cache or broker (redis)',
      'data/audit: marked as existing',
      'shop/rabbitmq: its image rabbitmq:3.13-management is a database, cache or broker (rabbitmq)',
      'shop/sqldata: marked as existing',
    ]);
    const marked = propose('edge-cases', '--existing', 'shop/ledger');
    expect(marked.services.find((s: any) => s.name === 'ledger').declaration).toBe('ExistingWorkload');
    expect(marked.peers.map((p: any) => p.name)).toContain('ledger');
  });
});

describe('SomaAgentHub\'s k8s/ manifests against ../shared/reference/call-graph.json', () => {
  test('every reference call between these workloads is proposed, or listed unresolved with the manifest\'s fault',
    () => {
    const proposal = propose('soma-agent-hub');
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'soma-agent-hub', 'stated-graph.json'), 'utf8'));
    const reference = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, '..', 'shared', 'reference', 'call-graph.json'),
      'utf8'));
    const aliases: Record<string, string[]> = fixture.aliases;
    const here = (name: string) => aliases[name] ?? [];
    const edges = reference.edges.filter((e: any) => here(e.from).length > 0);
    const found = edges.map((e: any) => {
      const proposed = proposal.calls.some((c: any) => here(e.from).includes(c.from) && (here(e.to).includes(c.to))
        && c.port === e.port);
      const unresolved = proposal.unresolved.filter((u: any) => here(e.from).includes(u.from)).map((u: any) => u.evidence);
      return `${e.from} -> ${e.to}:${e.port}: ${proposed ? 'proposed' : `unresolved (${unresolved.find((u: string) => u.includes(e.to.split('-')[0])) ?? 'no evidence in k8s/'})`}`;
    });
    expect(found).toEqual([
      'flink-service -> kafka:9092: unresolved (flink-service env KAFKA_BOOTSTRAP_SERVERS=kafka:9092)',
      'flink-service -> prometheus-pushgateway:9091: unresolved (flink-service env PROMETHEUS_PUSHGATEWAY_URL=http://prometheus-pushgateway:9091)',
      'airflow-service -> gateway-api:10000: unresolved (airflow-webserver env GATEWAY_URL=http://gateway-api.soma:8000)',
      'airflow-service -> loki:3100: proposed',
    ]);
  });

  test('the repository\'s own k8s/istio-peer-auth.yaml is refused as the review refuses it: FILE:LINE, object, field; exit 2', () => {
    const dir = path.join(FIXTURES, 'soma-agent-hub', 'refused');
    const result = cli('import', dir);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')[0]).toBe(`soma-mesh: ${path.join(dir, 'istio-peer-auth.yaml')}:26: PeerAuthentication istio-system/ingress-gateway: spec.portLevelMtls[8443].mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT, not "SIMPLE"`);
  });
});

describe('the TypeScript output compiles against the library, renders, and its matrix lists exactly the proposed calls', () => {
  let work: string;
  let modules: Array<{ app: Fixture; file: string; proposal: any; json: string }>;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(REPO_ROOT, '.import-'));
    modules = APPS.map(app => {
      const dir = path.join(FIXTURES, app.name, 'manifests');
      const result = cli('import', dir, '--format', 'ts', '--image-tag', '1.0.0', ...app.args);
      expect(result.code).toBe(0);
      const file = path.join(work, `${app.name}.ts`);
      fs.writeFileSync(file, result.out.replace(/from 'soma-mesh'/g, `from '${path.join(REPO_ROOT, 'src')}'`));
      const json = path.join(work, `${app.name}.json`);
      expect(cli('import', dir, '--format', 'json', '--out', json, ...app.args).code).toBe(0);
      return { app, file, proposal: JSON.parse(fs.readFileSync(json, 'utf8')), json };
    });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('tsc --strict finds no error in any module', () => {
    const program = ts.createProgram(modules.map(m => m.file), {
      strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map(d => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  });

  test.each(APPS.map(a => a.name))('%s: synth, then soma-mesh matrix: the proposed calls, no more, no fewer', name => {
    const m = modules.find(x => x.app.name === name)!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `import-${name}-`));
    try {
      const js = ts.transpileModule(fs.readFileSync(m.file, 'utf8'),
        { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true,
          target: ts.ScriptTarget.ES2022 } }).outputText;
      const exports: Record<string, any> = {};
      new Function('require', 'exports', 'module', js)(require, exports, { exports });
      const app = new App({ outdir: out });
      new exports.ImportedMesh(app, 'imported');
      app.synth();
      const matrix = cli('matrix', out, '--format', 'json', '--peers', m.json);
      expect(matrix.err).toBe('');
      const rows = JSON.parse(matrix.out).entries.map((e: any) => `${e.from} -> ${e.to}:${e.port}`).sort();
      // A caller deployed elsewhere under a service account its neighbours share admits them too (the proposal says
      // so).
      const existing = m.proposal.services.filter((s: any) => s.declaration === 'ExistingWorkload');
      const sharing = (id: string) => {
        const s = existing.find((x: any) => `${x.namespace}/${x.name}` === id);
        return s ? existing.filter((o: any) => o !== s && o.namespace === s.namespace
          && o.serviceAccount === s.serviceAccount).map((o: any) => `${o.namespace}/${o.name}`) : [];
      };
      const proposed = m.proposal.calls.flatMap((c: any) => [c.from,
        ...sharing(c.from)].map(from => `${from} -> ${c.to}:${c.targetPort}`));
      expect(rows).toEqual([...new Set(proposed)].sort());
      for (const c of m.proposal.calls) {
        if (sharing(c.from).length > 0) expect(m.proposal.notes.some((n: string) => n.startsWith(`${c.from} runs as service account`))).toBe(true);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('--against: the render of the proposal admits every proposed call and nothing else (exit 0)', () => {
    const m = modules.find(x => x.app.name === 'online-boutique')!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'import-against-'));
    try {
      const js = ts.transpileModule(fs.readFileSync(m.file, 'utf8'),
        { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true,
          target: ts.ScriptTarget.ES2022 } }).outputText;
      const exports: Record<string, any> = {};
      new Function('require', 'exports', 'module', js)(require, exports, { exports });
      const app = new App({ outdir: out });
      const chart = new exports.ImportedMesh(app, 'imported');
      app.synth();
      const dir = path.join(FIXTURES, 'online-boutique', 'manifests');
      const same = cli('import', dir, '--against', out, '--peers', m.json, '--format', 'json');
      expect(same.code).toBe(0);
      expect(JSON.parse(same.out)).toEqual({ denied: [], unsupported: [], admitted: 16 });
      // The render without frontend's calls to adservice: that call is denied; nothing else changes.
      const rendered = fs.readFileSync(path.join(out, 'imported.k8s.yaml'), 'utf8');
      const policies = rendered.split('\n---\n').filter(d => !/name: adservice-callers\n/.test(d));
      expect(policies.length).toBeLessThan(rendered.split('\n---\n').length);
      fs.writeFileSync(path.join(out, 'imported.k8s.yaml'), policies.join('\n---\n'));
      const less = cli('import', dir, '--against', out, '--peers', m.json);
      expect(less.code).toBe(1);
      expect(less.out).toContain('Proposed calls the render denies (1):\n  default/frontend -> default/adservice:9555 (container port 9555)\n      frontend env AD_SERVICE_ADDR=adservice:9555\n');
      expect(chart.mesh.callGraph.calls).toHaveLength(16);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('--against what runs today, and bad input', () => {
  test('manifests without policies: every proposed call is admitted, and every open row is one no evidence supports (exit 1)', () => {
    const dir = path.join(FIXTURES, 'online-boutique', 'manifests');
    const result = cli('import', dir, '--against', dir, '--format', 'json');
    expect(result.code).toBe(1);
    const comparison = JSON.parse(result.out);
    expect(comparison.denied).toEqual([]);
    expect(comparison.admitted).toBe(16);
    expect(comparison.unsupported.map((u: any) => `${u.from} -> ${u.to}:${u.port}`)).toContain('* -> default/paymentservice:50051');
  });

  test.each([
    ['an env value that is a number', 'value: "8080"', 'value: 8080',
      'spec.template.spec.containers[0].env[0].value: must be a string, not 8080 (quote it)', 24],
    ['args that are not a list', "command:\n        - /app", 'command: /app',
      'spec.template.spec.containers[0].command: must be a list, not "/app"', 20],
  ])('%s: FILE:LINE: Kind ns/name: field: what is wrong, exit 2', (_name, from, to, message, line) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-bad-'));
    try {
      const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: example/web:1.0.0
        ports:
        - containerPort: 8080
        command:
        - /app
        env:
        - name: PORT
          value: "8080"
`.replace(from, to);
      expect(yaml).toContain(to);
      fs.writeFileSync(path.join(dir, 'web.yaml'), yaml);
      const result = cli('import', dir);
      expect(result.code).toBe(2);
      expect(result.out).toBe('');
      expect(result.err.split('\n')[0]).toBe(`soma-mesh: ${path.join(dir, 'web.yaml')}:${line}: Deployment shop/web: ${message}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('usage errors exit 2 and write nothing', () => {
    const dir = path.join(FIXTURES, 'sock-shop', 'manifests');
    expect(cli('import').code).toBe(2);
    expect(cli('import', dir, '--format', 'yaml').err).toBe('soma-mesh: --format yaml is not one of text, json, ts\n');
    expect(cli('import', dir, '--existing',
      'nope').err).toBe(`soma-mesh: --existing nope: no such workload in ${dir}\n`);
    expect(cli('import', dir, '--colour').code).toBe(2);
    expect(cli('import', '--help').out).toContain('usage: soma-mesh import DIR');
  });
});
