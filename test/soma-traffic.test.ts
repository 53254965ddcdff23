import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, synthTarget } from '../app/synth';
import { MeshTarget } from '../src/renderers/mesh-target';
import { nextStep, promote, rollback, setCanaryWeight, setSplit, setStable, startCanary } from '../src/model/release';
import { runRelease } from '../app/release';
import { CrdSchemas } from './support/crd-schema';
import { isAllowed, mtlsMode, Pod } from './support/istio-authz';
import { K8sObject, ofKind, readManifests, REPO_ROOT, SHARED } from './support/manifests';

/**
 * The "Done when", read back from the rendered YAML only: the committed releases.json render
 * (slm-service canary at 1%), a rollback render and a promote render, each made by the release command.
 */
const RELEASES = path.join(REPO_ROOT, 'releases.json');
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
let work: string;

beforeAll(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-traffic-')); });
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a release command on a copy of releases.json and renders with it. */
function renderAfter(name: string, ...commands: string[][]): K8sObject[] {
  const file = path.join(work, `${name}.json`);
  const outdir = path.join(work, name);
  fs.copyFileSync(RELEASES, file);
  for (const command of commands) runRelease(command, file, { targets: releases => [synthTarget(outdir, releases, MeshTarget.ISTIO)] });
  if (commands.length === 0) main(outdir, file);
  return readManifests(outdir);
}

const ms = (d: string) => Math.round(parseFloat(d) * 1000);
/** Mesh-internal VirtualServices (bound to `mesh`): the public host's gateway-only route is tested in ingress.test.ts. */
const meshVirtualServices = (objects: K8sObject[]) => ofKind(objects, 'VirtualService').filter(v => !v.spec.gateways || v.spec.gateways.includes('mesh'));
const routesOf = (objects: K8sObject[], name: string) => meshVirtualServices(objects).find(v => v.metadata.name === name)!.spec.http as any[];

/** Every check of the "Done when" that holds for any render. */
function expectMeshInvariants(objects: K8sObject[]): void {
  const findings: string[] = [];
  const vss = meshVirtualServices(objects);
  // Every other VirtualService is bound to a Gateway only and names no Service host.
  for (const v of ofKind(objects, 'VirtualService').filter(x => !vss.includes(x))) {
    expect(v.spec.hosts.filter((h: string) => h.endsWith('.svc.cluster.local'))).toEqual([]);
  }
  const drs = ofKind(objects, 'DestinationRule');
  const templates = ofKind(objects, 'Deployment').map(d => ({ namespace: d.metadata.namespace, labels: d.spec.template.metadata.labels }));
  const services = ofKind(objects, 'Service');
  const fqdn = /^[a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local$/;
  // One VirtualService and one DestinationRule per host, FQDN, for every Service rendered.
  const vsHosts = vss.flatMap(v => v.spec.hosts);
  expect(new Set(vsHosts).size).toBe(vsHosts.length);
  expect(new Set(drs.map(d => d.spec.host)).size).toBe(drs.length);
  expect(vsHosts.sort()).toEqual(services.map(s => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`).sort());
  expect(drs.map(d => d.spec.host).sort()).toEqual([...vsHosts].sort());
  for (const vs of vss) {
    for (const host of vs.spec.hosts) if (!fqdn.test(host)) findings.push(`${vs.metadata.name}: host ${host} not FQDN`);
    const service = services.find(s => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local` === vs.spec.hosts[0])!;
    for (const route of [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? [])]) {
      const at = (what: string) => findings.push(`${vs.metadata.name}/${route.name}: ${what}`);
      // Weights of each route sum to 100.
      const sum = route.route.reduce((s: number, r: any) => s + r.weight, 0);
      if (sum !== 100) at(`weights sum to ${sum}`);
      for (const d of [...route.route.map((r: any) => r.destination), ...(route.mirror ? [route.mirror] : [])]) {
        if (!fqdn.test(d.host)) at(`destination host ${d.host} not FQDN`);
        // The subset exists in a DestinationRule for the same host, and its labels select a rendered pod template.
        const dr = drs.find(x => x.spec.host === d.host);
        const subset = dr?.spec.subsets?.find((s: any) => s.name === d.subset);
        if (!subset) { at(`subset ${d.subset} of ${d.host} missing`); continue; }
        const ns = d.host.split('.')[1];
        const selected = templates.filter(t => t.namespace === ns && Object.entries(subset.labels).every(([k, v]) => t.labels[k] === v));
        if (selected.length === 0) at(`subset ${d.subset} selects no pod template`);
        if (service.spec.ports.length > 1 && !d.port?.number) at('destination port not named on a multi-port Service');
        if (d.port && !service.spec.ports.some((p: any) => p.port === d.port.number)) at(`port ${d.port.number} not served`);
      }
    }
    for (const route of vs.spec.http ?? []) {
      const at = (what: string) => findings.push(`${vs.metadata.name}/${route.name}: ${what}`);
      // Istio retries twice by default: every route says what it does.
      if (!route.retries) { at('no retries block (Istio would retry twice, POSTs included)'); continue; }
      if (route.retries.attempts > 0) {
        // A route that retries must match only idempotent methods (no declared-idempotent POST in SomaAgentHub).
        const matches = route.match ?? [{}];
        for (const m of matches) if (!m.method?.exact || !IDEMPOTENT.has(m.method.exact)) at(`retries on ${m.method?.exact ?? 'any method'}`);
        const perTry = ms(route.retries.perTryTimeout);
        const timeout = ms(route.timeout);
        if (!route.timeout) at('retries without a route timeout');
        if (route.retries.attempts * perTry > timeout) at('attempts x perTry above the timeout');
        if ((route.retries.attempts + 1) * perTry > timeout) at('first try + retries above the timeout');
      }
    }
  }
  for (const dr of drs) {
    if (!dr.spec.trafficPolicy?.connectionPool) findings.push(`${dr.metadata.name}: no connectionPool`);
    if (!dr.spec.trafficPolicy?.outlierDetection) findings.push(`${dr.metadata.name}: no outlierDetection`);
    if (JSON.stringify(dr.spec).includes('"tls"')) findings.push(`${dr.metadata.name}: TLS override`);
    for (const s of dr.spec.subsets) if (!s.labels || Object.keys(s.labels).length === 0) findings.push(`${dr.metadata.name}/${s.name}: subset without labels`);
  }
  expect(findings).toEqual([]);
  expect(objects.filter(o => o.apiVersion.includes('networking.istio.io')).flatMap(o => schemas.errors(o))).toEqual([]);
}

describe('the committed render: slm-service canary at 1%', () => {
  let objects: K8sObject[];
  beforeAll(() => { objects = readManifests(path.join(REPO_ROOT, 'dist')); });

  test('every route of slm-service splits 99/1 between v1 (stable) and v2 (canary), with both Deployments running', () => {
    const routes = routesOf(objects, 'slm-service');
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) expect(r.route.map((d: any) => [d.destination.subset, d.weight])).toEqual([['v1', 99], ['v2', 1]]);
    const deployments = ofKind(objects, 'Deployment').filter(d => d.spec.template.metadata.labels.app === 'slm-service');
    expect(deployments.map(d => [d.metadata.name, d.spec.template.metadata.labels.version, d.spec.template.spec.containers[0].image])).toEqual([
      ['slm-service-v1', 'v1', 'somaagent/soma-slm-service:2a21923'],
      ['slm-service-v2', 'v2', 'somaagent/soma-slm-service:2.0.0'],
    ]);
  });

  test('the canary\'s pods get the stable pods\' zero trust: STRICT, the same allowed callers, nothing else', () => {
    const deployments = ofKind(objects, 'Deployment').filter(d => d.spec.template.metadata.labels.app === 'slm-service');
    const pod = (d: K8sObject): Pod => ({
      namespace: d.metadata.namespace!, labels: d.spec.template.metadata.labels, serviceAccount: d.spec.template.spec.serviceAccountName, portProtocols: { 10022: 'http' },
    });
    const [stable, canary] = deployments.map(pod);
    expect(canary.serviceAccount).toBe(stable.serviceAccount);
    expect(mtlsMode(ofKind(objects, 'PeerAuthentication'), canary, 10022)).toBe('STRICT');
    const policies = ofKind(objects, 'AuthorizationPolicy');
    const requests = [
      { principal: 'cluster.local/ns/soma-agent-hub/sa/orchestrator-worker', port: 10022, method: 'POST', path: '/v1/infer/sync' },
      { principal: 'cluster.local/ns/soma-agent-hub/sa/memory-gateway', port: 10022, method: 'POST', path: '/v1/embeddings' },
      { principal: 'cluster.local/ns/soma-agent-hub/sa/gateway-api', port: 10022, method: 'GET', path: '/health' },
      { principal: 'cluster.local/ns/soma-agent-hub/sa/gateway-api', port: 10022, method: 'POST', path: '/v1/infer/sync' },
      { principal: 'cluster.local/ns/soma-agent-hub/sa/jobs', port: 10022, method: 'GET', path: '/health' },
    ];
    expect(requests.map(r => isAllowed(policies, canary, r))).toEqual([true, true, true, false, false]);
    expect(requests.map(r => isAllowed(policies, canary, r))).toEqual(requests.map(r => isAllowed(policies, stable, r)));
  });

  test('every other service sends 100% to its v1', () => {
    for (const vs of meshVirtualServices(objects).filter(v => v.metadata.name !== 'slm-service')) {
      for (const r of vs.spec.http) expect(r.route.map((d: any) => `${d.destination.subset}=${d.weight}`)).toEqual(['v1=100']);
    }
  });

  test('the mesh invariants hold', () => expectMeshInvariants(objects));

  test('the repository\'s intent is carried: its timeouts, retry budgets, limits and outlier settings', () => {
    const idempotent = (name: string) => routesOf(objects, name).find(r => r.name === 'idempotent');
    const fallback = (name: string) => routesOf(objects, name).find(r => r.name === 'default');
    expect(fallback('orchestrator')).toMatchObject({ timeout: '60s', retries: { attempts: 0 } }); // its callers only POST
    expect(idempotent('gateway-api')).toMatchObject({ timeout: '30s', retries: { attempts: 3, perTryTimeout: '5s' } });
    expect(idempotent('identity-service')).toMatchObject({ timeout: '10s', retries: { attempts: 3, perTryTimeout: '2s' } });
    expect(fallback('policy-engine')).toMatchObject({ timeout: '5s', retries: { attempts: 0 } });
    const dr = (name: string) => ofKind(objects, 'DestinationRule').find(d => d.metadata.name === name)!.spec.trafficPolicy;
    expect(dr('policy-engine')).toEqual({
      loadBalancer: { simple: 'LEAST_REQUEST' },
      connectionPool: { tcp: { maxConnections: 150 }, http: { http1MaxPendingRequests: 150, http2MaxRequests: 1500, maxRequestsPerConnection: 15 } },
      outlierDetection: { consecutive5xxErrors: 3, interval: '20s', baseEjectionTime: '30s', maxEjectionPercent: 30 },
    });
    // Health checks through the mesh keep the repository's 5s; the worker's inference gets its own 60s, never retried.
    const slm = routesOf(objects, 'slm-service');
    expect(slm.find(r => r.name === 'from-gateway-api-retry')).toMatchObject({ timeout: '5s', retries: { attempts: 2, perTryTimeout: '1.5s' } });
    expect(slm.find(r => r.name === 'from-orchestrator-worker')).toMatchObject({ timeout: '60s', retries: { attempts: 0 } });
    expect(slm.find(r => r.name === 'from-orchestrator-worker').match).toEqual([
      { method: { exact: 'POST' }, sourceLabels: { app: 'orchestrator-worker' }, sourceNamespace: 'soma-agent-hub', uri: { exact: '/v1/infer/sync' } },
    ]);
  });

  test('no route carries POST retries: every route that may see a POST has attempts 0', () => {
    for (const vs of ofKind(objects, 'VirtualService')) {
      for (const r of vs.spec.http) {
        const mayCarryPost = !r.match || r.match.some((m: any) => !m.method || m.method.exact === 'POST' || m.method.exact === 'PATCH');
        if (mayCarryPost) expect(`${vs.metadata.name}/${r.name} ${r.retries.attempts}`).toBe(`${vs.metadata.name}/${r.name} 0`);
      }
    }
  });
});

describe('progressive delivery with the release command, reviewed as a dist/ diff', () => {
  test('rollback: 100% to stable, the canary Deployment and subset still present', () => {
    const objects = renderAfter('rollback', ['slm-service', 'rollback']);
    for (const r of routesOf(objects, 'slm-service')) expect(r.route.map((d: any) => `${d.destination.subset}=${d.weight}`)).toEqual(['v1=100']);
    expect(ofKind(objects, 'Deployment').map(d => d.metadata.name)).toContain('slm-service-v2');
    expect(ofKind(objects, 'DestinationRule').find(d => d.metadata.name === 'slm-service')!.spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
    expectMeshInvariants(objects);
  });

  test('the walk 1% -> 5% -> 25% -> 50% -> 100% and promote', () => {
    const weights = (objects: K8sObject[]) => routesOf(objects, 'slm-service')[0].route.map((d: any) => `${d.destination.subset}=${d.weight}`).join(',');
    expect(weights(renderAfter('step', ['slm-service', 'next']))).toBe('v1=95,v2=5');
    expect(weights(renderAfter('set', ['slm-service', 'canary', '25']))).toBe('v1=75,v2=25');
    expect(weights(renderAfter('full', ['slm-service', 'canary', '50'], ['slm-service', 'next']))).toBe('v2=100');
    const promoted = renderAfter('promote', ['slm-service', 'canary', '50'], ['slm-service', 'promote']);
    expect(weights(promoted)).toBe('v2=100');
    expect(ofKind(promoted, 'Deployment').map(d => d.metadata.name)).toContain('slm-service-v1'); // the rollback target stays
    expectMeshInvariants(promoted);
  });

  test('the README\'s A/B (cohort header, caller) and mirror example: rules first, each version routed, invariants hold', () => {
    const file = path.join(work, 'ab.json');
    const releases = JSON.parse(fs.readFileSync(RELEASES, 'utf8'));
    const slm = releases.services['slm-service'];
    slm.versions.v3 = { image: 'somaagent/soma-slm-service:3.0.0', replicas: 1 };
    slm.match = [{ name: 'beta', version: 'v2', headers: { 'x-soma-cohort': 'beta' } }, { version: 'v2', callers: ['memory-gateway'] }];
    slm.mirror = { version: 'v3', percent: 10 };
    fs.writeFileSync(file, JSON.stringify(releases));
    main(path.join(work, 'ab'), file);
    const objects = readManifests(path.join(work, 'ab'));
    const routes = routesOf(objects, 'slm-service');
    expect(routes.find(r => r.name === 'beta-default')).toMatchObject({ match: [{ headers: { 'x-soma-cohort': { exact: 'beta' } } }], route: [{ destination: { subset: 'v2' }, weight: 100 }] });
    expect(routes.find(r => r.name === 'match-2-default')).toMatchObject({ match: [{ sourceLabels: { app: 'memory-gateway' } }], route: [{ destination: { subset: 'v2' }, weight: 100 }] });
    expect(routes[routes.length - 1]).toMatchObject({ name: 'default', mirror: { subset: 'v3' }, mirrorPercentage: { value: 10 } });
    expect(routes[routes.length - 1].match).toBeUndefined();
    expectMeshInvariants(objects);
    runRelease(['slm-service', 'rollback'], file, { targets: releases => [synthTarget(path.join(work, 'ab'), releases, MeshTarget.ISTIO)] });
    const rolledBack = routesOf(readManifests(path.join(work, 'ab')), 'slm-service');
    for (const r of rolledBack) expect(r.route.map((d: any) => `${d.destination.subset}=${d.weight}`)).toEqual(['v1=100']);
    expect(rolledBack.some(r => r.mirror)).toBe(true); // mirroring to v3 (not the canary) stays
  });

  test('a rejected release changes nothing: the file is restored when the render fails', () => {
    const file = path.join(work, 'rejected.json');
    fs.copyFileSync(RELEASES, file);
    const before = fs.readFileSync(file, 'utf8');
    expect(() => runRelease(['slm-service', 'split', 'v1=50', 'v3=50'], file, { targets: releases => [synthTarget(path.join(work, 'rejected'), releases, MeshTarget.ISTIO)] }))
      .toThrow(/weights routes to version "v3", which slm-service does not run \(it runs v1, v2\)[^]*rejected.json is unchanged/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(() => runRelease(['slm-service', 'canary', '150'], file)).toThrow(/the canary weight 150 is out of range: give a decimal integer from 0 to 100/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('SomaAgentHub traffic data', () => {
  test('every per-call entry names exactly one declared call, and every resilience entry a declared service', () => {
    const { SOMA_CALLS } = require('../app/calls');
    const { SOMA_SERVICES } = require('../app/services');
    const { SOMA_CALL_TRAFFIC, SOMA_RESILIENCE } = require('../app/resilience');
    for (const t of SOMA_CALL_TRAFFIC) expect([t.from, t.to, SOMA_CALLS.filter((c: any) => c.from === t.from && c.to === t.to).length]).toEqual([t.from, t.to, 1]);
    const names = SOMA_SERVICES.map((s: any) => s.name);
    for (const name of Object.keys(SOMA_RESILIENCE)) expect(names).toContain(name);
  });
});

describe('release steps', () => {
  const base = { stable: 'v1', canary: { version: 'v2', weight: 1, steps: [1, 5, 100] } };
  test('canary, next, promote, rollback, start, split, stable', () => {
    expect(setCanaryWeight(base, 5).canary).toEqual({ version: 'v2', weight: 5, steps: [1, 5, 100] });
    expect(nextStep(nextStep(base)).canary!.weight).toBe(100);
    expect(() => nextStep(setCanaryWeight(base, 100))).toThrow(/the last step: run "promote"/);
    expect(promote(base)).toEqual({ stable: 'v2' });
    expect(rollback({ ...base, match: [{ version: 'v2', headers: { 'x-cohort': 'beta' } }], mirror: { version: 'v2', percent: 5 } }))
      .toEqual({ stable: 'v1', canary: { version: 'v2', weight: 0, steps: [1, 5, 100] } });
    expect(() => startCanary(base, 'v3')).toThrow(/a canary of v2 is running at 1%: promote it or roll it back first/);
    expect(startCanary(promote(base), 'v3', { image: 'repo/x:3.0.0', replicas: 1 }))
      .toEqual({ stable: 'v2', versions: { v3: { image: 'repo/x:3.0.0', replicas: 1 } }, canary: { version: 'v3', weight: 1 } });
    expect(setSplit(base, { v1: 70, v2: 30 })).toEqual({ stable: 'v1', weights: { v1: 70, v2: 30 } });
    expect(() => setSplit(base, { v1: 70, v2: 20 })).toThrow(/sum to 90, not 100/);
    expect(setStable(base, 'v1')).toEqual({ stable: 'v1' });
    expect(() => setCanaryWeight({ stable: 'v1' }, 5)).toThrow(/no canary is declared: start one/);
  });
});
