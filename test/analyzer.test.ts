import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { analyze } from '../src/review/analyze';
import { Analyzer } from '../src/renderers/istio/analyzer-validation';
import { CODE_LIST, CODES } from '../src/review/codes';
import { KubeObject } from '../src/review/inventory';
import { main } from '../app/synth';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { Protocol } from '../src/model/protocol';
import { SomaAgentHub } from '../app/soma-agent-hub';
import {
  allowNothing, deployment, destinationRule, policy, service, shop, strict, virtualService, WEB_HOST,
} from './support/fixtures';
import { readManifests } from './support/manifests';

const codes = (objects: KubeObject[]) => analyze(objects).map(f => f.code).sort();
const messages = (objects: KubeObject[], code: string) => analyze(objects).filter(f => f.code === code).map(f => f.message);
const route = (host: string, extra: any = {}) => ({ destination: { host, ...extra } });
/** A route that Istio will not retry: the analyzer's retry check stays quiet. */
const noRetries = { retries: { attempts: 0 } };

describe('analyzer over hand-written YAML', () => {
  test('the fixture is clean', () => {
    expect(analyze(shop())).toEqual([]);
  });

  test('every code has a severity, a title, a fix and is documented in docs/analyzer.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'analyzer.md'), 'utf8');
    expect(new Set(CODE_LIST.map(c => c.code)).size).toBe(CODE_LIST.length);
    for (const c of CODE_LIST) {
      expect(c.code).toMatch(/^SM\d{4}$/);
      expect(['error', 'warning']).toContain(c.severity);
      expect(c.fix.length).toBeGreaterThan(10);
      expect(doc).toContain(`## ${c.code}`);
    }
  });

  describe('DestinationRules', () => {
    test.each(['DISABLE', 'SIMPLE', 'MUTUAL'])('SM1001: TLS %s to a STRICT workload is an error', mode => {
      const objects = [...shop(), destinationRule('shop', 'web', { host: WEB_HOST, trafficPolicy: { tls: { mode } } })];
      expect(codes(objects)).toEqual(['SM1001']);
      expect(messages(objects, 'SM1001')[0]).toContain(`trafficPolicy.tls.mode ${mode}`);
    });

    test('SM1001 also in a subset and at port level; ISTIO_MUTUAL is fine', () => {
      const objects = [...shop(), destinationRule('shop', 'web', {
        host: 'web',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, portLevelSettings: [{ port: { number: 8080 }, tls: { mode: 'DISABLE' } }] },
        subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'SIMPLE' } } }],
      })];
      expect(messages(objects, 'SM1001').map(m => m.split(' sets ')[1].split(' ')[0])).toEqual(['trafficPolicy.portLevelSettings[0].tls.mode', 'subsets[0].trafficPolicy.tls.mode']);
    });

    test('SM1002: TLS DISABLE to a PERMISSIVE workload is a warning', () => {
      const objects = shop().filter(o => o.kind !== 'PeerAuthentication');
      const found = codes([...objects, destinationRule('shop', 'web', { host: WEB_HOST, trafficPolicy: { tls: { mode: 'DISABLE' } } })]);
      expect(found).toContain('SM1002');
      expect(found).not.toContain('SM1001');
    });

    test('SM1003: a subset whose labels match no pod; SM1004: a subset without labels; SM1006: duplicate subset', () => {
      const objects = [...shop(), destinationRule('shop', 'web', {
        host: WEB_HOST,
        subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v3', labels: { version: 'v3' } }, { name: 'all' }, { name: 'v1', labels: { version: 'v2' } }],
      })];
      expect(codes(objects)).toEqual(['SM1003', 'SM1004', 'SM1006']);
      expect(messages(objects, 'SM1003')[0]).toContain('subset "v3" selects {"version":"v3"}');
    });

    test('SM1005: a DestinationRule for a host that does not exist', () => {
      expect(codes([...shop(), destinationRule('shop', 'x', { host: 'nope.shop.svc.cluster.local' })])).toEqual(['SM1005']);
      expect(codes([...shop(), destinationRule('shop', 'x', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE' } } })])).toEqual([]);
    });
  });

  describe('AuthorizationPolicies', () => {
    const dbRule = (operation: any, source: any = { principals: ['cluster.local/ns/shop/sa/web'] }) =>
      policy('shop', 'extra', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source }], to: [{ operation }] }] });

    test('SM1101: methods on a TCP port (ALLOW matches nothing)', () => {
      const objects = [...shop(), dbRule({ ports: ['5432'], methods: ['GET'] })];
      expect(codes(objects)).toEqual(['SM1101']);
      expect(messages(objects, 'SM1101')[0]).toContain('matches nothing on that port');
    });

    test('SM1101: a DENY rule with paths and no port denies every TCP connection', () => {
      const deny = policy('shop', 'deny-admin', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] });
      expect(messages([...shop(), deny], 'SM1101')[0]).toContain('denies every connection to that port');
    });

    test('SM1102: a port the workload does not serve (a Service port is not a container port)', () => {
      const objects = [...shop(), dbRule({ ports: ['15432'] })];
      expect(codes(objects)).toEqual(['SM1102']);
      expect(messages(objects, 'SM1102')[0]).toContain('names port 15432, but db serves 5432');
    });

    test('SM1103: a selector that matches no workload', () => {
      expect(codes([...shop(), policy('shop', 'ghost', { selector: { matchLabels: { app: 'ghost' } }, rules: [{}] })])).toEqual(['SM1103']);
    });

    test('SM1104: rules that can never match (lower-case method, everything negated)', () => {
      expect(codes([...shop(), policy('shop', 'web-callers', { selector: { matchLabels: { app: 'web' } }, rules: [{ to: [{ operation: { ports: ['8080'], methods: ['get'] } }] }] })])).toEqual(['SM1104']);
      expect(codes([...shop(), dbRule({ ports: ['5432'] }, { principals: ['cluster.local/ns/shop/sa/web'], notPrincipals: ['cluster.local/ns/shop/sa/web'] })])).toEqual(['SM1104']);
    });

    test('SM1105: a principal with spiffe://', () => {
      const objects = [...shop(), dbRule({ ports: ['5432'] }, { principals: ['spiffe://cluster.local/ns/shop/sa/web'] })];
      expect(codes(objects)).toEqual(['SM1105']);
      expect(analyze(objects)[0].fix).toBe('write "cluster.local/ns/shop/sa/web"');
    });

    test('SM1106: a principal no workload runs as', () => {
      expect(codes([...shop(), dbRule({ ports: ['5432'] }, { principals: ['cluster.local/ns/shop/sa/wbe'] })])).toEqual(['SM1106']);
    });

    test('SM1107: a DENY policy without rules', () => {
      expect(codes([...shop(), policy('shop', 'deny', { action: 'DENY' })])).toEqual(['SM1107']);
    });

    test('SM1108: a wildcard selector, and selector with targetRef', () => {
      expect(codes([...shop(), policy('shop', 'w', { selector: { matchLabels: { app: '*' } }, rules: [{}] })])).toEqual(['SM1103', 'SM1108']);
      expect(codes([...shop(), policy('shop', 'w', { selector: { matchLabels: { app: 'web' } }, targetRef: { kind: 'Service', name: 'web' }, rules: [{}] })])).toEqual(['SM1108']);
    });

    test('SM1109: serviceAccounts mixed with principals', () => {
      expect(codes([...shop(), dbRule({ ports: ['5432'] }, { serviceAccounts: ['shop/web'], principals: ['cluster.local/ns/shop/sa/web'] })])).toEqual(['SM1109']);
    });

    test('SM1110: under ambient, a selector policy naming methods (ztunnel cannot enforce them); the same under sidecars is fine', () => {
      const webRule = policy('shop', 'web-callers', {
        selector: { matchLabels: { app: 'web' } }, action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/db'] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }],
      });
      const ambient = shop().map(o => (o.kind === 'Namespace' ? { ...o, metadata: { ...o.metadata, labels: { 'istio.io/dataplane-mode': 'ambient' } } } : o));
      expect(codes([...ambient, webRule])).toEqual(['SM1110']);
      expect(codes([...shop(), webRule])).toEqual([]);
    });
  });

  describe('Services and workloads', () => {
    test('SM1201: a Service port without protocol; SM1202: a target port no pod declares', () => {
      const objects = shop().map(o => (o.kind === 'Service' && o.metadata!.name === 'web' ? service('shop', 'web', [[8080, 'web'], [9090, 'http-admin']]) : o));
      expect(codes(objects)).toEqual(['SM1201', 'SM1202']);
      expect(codes(shop().map(o => (o.kind === 'Service' && o.metadata!.name === 'web' ? service('shop', 'web', [[8080, undefined]]) : o)))).toEqual(['SM1201']);
    });

    test('appProtocol names the protocol too', () => {
      const svc = service('shop', 'web', [[8080, 'web']]);
      svc.spec.ports[0].appProtocol = 'http';
      expect(codes(shop().map(o => (o.kind === 'Service' && o.metadata!.name === 'web' ? svc : o)))).toEqual([]);
    });

    test('SM1301: the default ServiceAccount (named or implied)', () => {
      expect(codes([...shop(), deployment('shop', 'batch', [], { sa: 'default' })])).toEqual(['SM1301']);
      expect(codes([...shop(), deployment('shop', 'batch', [], { sa: '' })])).toEqual(['SM1301']);
    });

    test('SM1302: a workload no AuthorizationPolicy covers; SM1303: not STRICT', () => {
      const objects = [deployment('open', 'api', [80]), service('open', 'api', [[80, 'http']])];
      expect(codes(objects)).toEqual(['SM1302', 'SM1303']);
      expect(messages(objects, 'SM1303')[0]).toContain('port 80 (PERMISSIVE)');
    });

    test('SM1304: portLevelMtls without a selector', () => {
      const pa = { ...strict('shop'), metadata: { name: 'ports', namespace: 'shop' }, spec: { portLevelMtls: { 8080: { mode: 'DISABLE' } } } };
      expect(codes([...shop(), pa])).toEqual(['SM1304']);
    });

    test('SM1103 for a PeerAuthentication whose selector matches nothing', () => {
      expect(codes([...shop(), { ...strict('shop'), metadata: { name: 'x', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'nope' } }, mtls: { mode: 'STRICT' } } }])).toEqual(['SM1103']);
    });
  });

  describe('VirtualServices', () => {
    const dr = destinationRule('shop', 'web', { host: WEB_HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });

    test('a clean weighted split', () => {
      expect(codes([...shop(), dr, virtualService('shop', 'web', { hosts: [WEB_HOST], http: [{ ...noRetries, route: [{ ...route(WEB_HOST, { subset: 'v1' }), weight: 90 }, { ...route(WEB_HOST, { subset: 'v2' }), weight: 10 }] }] })])).toEqual([]);
    });

    test('SM1401: a missing host; SM1402: a missing subset', () => {
      const objects = [...shop(), dr, virtualService('shop', 'web', { hosts: [WEB_HOST], http: [{ ...noRetries, route: [{ ...route('nope'), weight: 50 }, { ...route(WEB_HOST, { subset: 'v9' }), weight: 50 }] }] })];
      expect(codes(objects)).toEqual(['SM1401', 'SM1402']);
    });

    test('SM1403: a multi-port Service without destination port', () => {
      const objects = [...shop().filter(o => !(o.kind === 'Service' && o.metadata!.name === 'web')), deployment('shop', 'web', [8080, 9090], { version: 'v3' }),
        service('shop', 'web', [[8080, 'http-web'], [9090, 'http-admin']]), virtualService('shop', 'web', { hosts: ['web'], http: [{ ...noRetries, route: [route('web')] }] })];
      expect(codes(objects)).toEqual(['SM1403']);
    });

    test('SM1404: two VirtualServices for one host (short and long names)', () => {
      const a = virtualService('shop', 'a', { hosts: ['web'], http: [{ ...noRetries, route: [route('web')] }] });
      const b = virtualService('shop', 'b', { hosts: [WEB_HOST], http: [{ ...noRetries, route: [route('web')] }] });
      expect(codes([...shop(), a, b])).toEqual(['SM1404', 'SM1404']);
    });

    test('SM1405: a route after a catch-all', () => {
      const vs = virtualService('shop', 'web', { hosts: [WEB_HOST], http: [{ ...noRetries, route: [route(WEB_HOST)] }, { ...noRetries, match: [{ uri: { prefix: '/admin' } }], route: [route(WEB_HOST)] }] });
      expect(codes([...shop(), vs])).toEqual(['SM1405']);
    });

    test('SM1406: retries (explicit or Istio\'s default) on a route that may carry POST; none on GET-only or attempts 0', () => {
      const vs = (http: any[]) => virtualService('shop', 'web', { hosts: [WEB_HOST], http });
      expect(codes([...shop(), vs([{ route: [route(WEB_HOST)] }])])).toEqual(['SM1406']);
      expect(messages([...shop(), vs([{ route: [route(WEB_HOST)] }])], 'SM1406')[0]).toContain('Istio retries it twice by default');
      expect(codes([...shop(), vs([{ retries: { attempts: 3 }, route: [route(WEB_HOST)] }])])).toEqual(['SM1406']);
      expect(codes([...shop(), vs([{ match: [{ method: { exact: 'GET' } }], retries: { attempts: 3 }, route: [route(WEB_HOST)] }, { ...noRetries, route: [route(WEB_HOST)] }])])).toEqual([]);
    });

    test('SM1407: weights that do not sum to 100', () => {
      const vs = virtualService('shop', 'web', { hosts: [WEB_HOST], http: [{ ...noRetries, route: [{ ...route(WEB_HOST, { subset: 'v1' }), weight: 60 }, { ...route(WEB_HOST, { subset: 'v2' }), weight: 30 }] }] });
      expect(codes([...shop(), dr, vs])).toEqual(['SM1407']);
      expect(messages([...shop(), dr, vs], 'SM1407')[0]).toContain('60 + 30 = 90');
    });
  });

  test('SM1501: a Rollout naming a DestinationRule subset that does not exist', () => {
    const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'shop' },
      spec: { strategy: { canary: { trafficRouting: { istio: { destinationRule: { name: 'web', stableSubsetName: 'v1', canarySubsetName: 'v3' } } } } } } };
    const rule = destinationRule('shop', 'web', { host: WEB_HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    expect(codes([...shop(), rule, rollout])).toEqual(['SM1501']);
  });

  test('every code is triggered by at least one fixture above', () => {
    const source = fs.readFileSync(__filename, 'utf8');
    for (const c of CODE_LIST) expect(source).toContain(`'${c.code}'`);
  });
});

describe('analyzer at synth', () => {
  function tlsDisabled(app: App): SomaAgentHub {
    const chart = new SomaAgentHub(app, 'soma-agent-hub');
    new ApiObject(chart, 'OrchestratorTls', {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'orchestrator', namespace: 'soma-agent-hub' },
      spec: { host: 'orchestrator.soma-agent-hub.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } },
    });
    return chart;
  }

  test('SomaAgentHub synthesizes without findings, peers included', () => {
    const app = new App();
    const chart = new SomaAgentHub(app, 'soma-agent-hub');
    chart.mesh.render(); // the renderer's objects exist once the mesh is rendered
    const peers = chart.mesh.workloads.filter(w => !w.deployed);
    expect(peers.length).toBe(10);
    expect(Analyzer.analyzeChart(chart, peers.map(w => require('../src/renderers/istio/analyzer-peers').peerOf(w)))).toEqual([]);
  });

  test('a DestinationRule with TLS DISABLE fails synth with its code, construct path and fix', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'soma-tls-')) });
    tlsDisabled(app);
    expect(() => app.synth()).toThrow(/\[soma-agent-hub\/OrchestratorTls\] SM1001 DestinationRule soma-agent-hub\/orchestrator sets trafficPolicy.tls.mode DISABLE .*: remove `tls` or set `mode: ISTIO_MUTUAL`/);
  });

  test('a second synth after a new declaration analyzes again (the analysis is reused only within one synth)', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'soma-twice-')) });
    const chart = new SomaAgentHub(app, 'soma-agent-hub');
    app.synth();
    new ApiObject(chart, 'Spiffe', {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'soma-agent-hub' },
      spec: { selector: { matchLabels: { app: 'jobs' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/soma-agent-hub/sa/gateway-api'] } }] }] },
    });
    expect(() => app.synth()).toThrow(/\[soma-agent-hub\/Spiffe\] SM1105 /);
  });

  test('soma-mesh check over the YAML reports the same DestinationRule', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-tls-yaml-'));
    main(dir);
    // orchestrator's own DestinationRule, set to disable mTLS.
    const findings = analyze(readManifests(dir).map(o => o.kind === 'DestinationRule' && o.metadata.name === 'orchestrator'
      ? { ...o, spec: { ...o.spec, trafficPolicy: { ...o.spec.trafficPolicy, tls: { mode: 'DISABLE' } } } } : o));
    expect(findings.filter(f => f.severity === 'error').map(f => f.code)).toEqual(['SM1001']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function chartWithDefaultPortName(acknowledge?: (chart: Chart) => void): { app: App; warnings: string[] } {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ack-')) });
    const chart = new Chart(app, 'shop', { disableResourceNameHashes: true });
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const ns = mesh.addNamespace('shop');
    new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080, protocol: Protocol.HTTP }] });
    // A hand-written Service whose port carries no protocol: a warning (SM1201), not an error.
    new ApiObject(chart, 'Legacy', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 8080 }] } });
    acknowledge?.(chart);
    const warnings: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((line: any) => { warnings.push(String(line)); return true; });
    try {
      app.synth();
    } finally {
      spy.mockRestore();
    }
    return { app, warnings };
  }

  test('warnings print with their construct path and do not fail synth', () => {
    const { warnings } = chartWithDefaultPortName();
    expect(warnings).toEqual(['warning: [shop/Legacy] SM1201 Service shop/legacy port #0 (8080) has no protocol: Istio treats it as TCP or sniffs it, so HTTP routes and HTTP rules may not apply: name the port `http-...`, `http2-...`, `grpc-...` or `tcp-...`, or set appProtocol\n']);
  });

  test('a warning acknowledged on the construct (or a scope above it), with a reason, is not printed', () => {
    expect(chartWithDefaultPortName(chart => Analyzer.acknowledge(chart.node.findChild('Legacy'), 'SM1201', 'legacy clients speak raw TCP')).warnings).toEqual([]);
    expect(chartWithDefaultPortName(chart => Analyzer.acknowledge(chart, 'SM1201', 'the whole chart is legacy')).warnings).toEqual([]);
    expect(chartWithDefaultPortName(chart => Analyzer.acknowledge(chart, 'SM1302', 'another code')).warnings).toHaveLength(1);
  });

  test('YAML acknowledges a warning with the soma-mesh.io/acknowledge annotation; errors stay errors', () => {
    const legacy = service('shop', 'legacy', [[8080, undefined]]);
    (legacy.metadata as any).annotations = { 'soma-mesh.io/acknowledge': 'SM1201: legacy clients speak raw TCP; SM1001: not an excuse' };
    const objects = [...shop(), legacy, destinationRule('shop', 'web', { host: WEB_HOST, trafficPolicy: { tls: { mode: 'DISABLE' } } })];
    (objects[objects.length - 1].metadata as any).annotations = { 'soma-mesh.io/acknowledge': 'SM1001: we insist' };
    const found = analyze(objects);
    expect(found.map(f => [f.code, f.acknowledged])).toEqual([['SM1001', undefined], ['SM1201', 'legacy clients speak raw TCP']]);
    const { formatFindings } = require('../src/cli/format');
    expect(formatFindings(found, new Map(), 'text').split('\n').slice(-2)).toEqual(['1 error(s), 0 warning(s), 1 acknowledged', '']);
  });

  test('acknowledging needs a known warning code and a reason', () => {
    const chart = new Chart(new App(), 'c');
    expect(() => Analyzer.acknowledge(chart, 'SM1001', 'because')).toThrow('[c] SM1001 is an error and cannot be acknowledged: fix it (remove `tls` or set `mode: ISTIO_MUTUAL`)');
    expect(() => Analyzer.acknowledge(chart, 'SM9999', 'because')).toThrow(/\[c\] there is no analyzer code SM9999: use one of SM1001, /);
    expect(() => Analyzer.acknowledge(chart, CODES.PORT_NAME.code, ' ')).toThrow('[c] acknowledging SM1201 needs a reason: say why the warning is intended');
  });

  test('default ServiceAccount in raw objects is reported with the object path', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    const d = deployment('shop', 'batch', [80], { sa: 'default' });
    new ApiObject(chart, 'Batch', d as any);
    new ApiObject(chart, 'Deny', allowNothing('shop') as any);
    expect(Analyzer.analyzeChart(chart).map(f => `${f.path} ${f.code}`)).toEqual(['c/Batch SM1301', 'c/Batch SM1303']);
  });
});

test('a PeerAuthentication with `selector: {}` is namespace-wide for the analyzer, as for Istio and the matrix', () => {
  const wide = { ...strict('shop'), spec: { selector: {}, mtls: { mode: 'STRICT' } } };
  const objects = [wide, deployment('shop', 'web', [8080]), service('shop', 'web', [[8080, 'http']]), allowNothing('shop')];
  expect(analyze(objects).filter(f => f.code === CODES.NOT_STRICT.code)).toEqual([]);
  const permissive = { ...wide, spec: { selector: {}, mtls: { mode: 'PERMISSIVE' } } };
  expect(analyze([permissive, ...objects.slice(1)]).map(f => f.code)).toContain(CODES.NOT_STRICT.code);
});
