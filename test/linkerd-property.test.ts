import * as fc from 'fast-check';
import { App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { ExistingWorkload } from '../src/model/existing-workload';
import { HealthCheck } from '../src/model/health-check';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { Protocol } from '../src/model/protocol';
import { IMeshWorkload } from '../src/model/workload';
import { LinkerdRenderer } from '../src/renderers/linkerd/linkerd-renderer';
import { decide, LinkerdPod } from './support/linkerd-authz';
import { K8sObject } from './support/manifests';

/**
 * For random call graphs built through the library and rendered for Linkerd, the independent evaluator admits exactly
 * the declared calls: every caller (and a stranger), on every declared port, with each method on paths that exercise
 * the declared templates, exact paths that fall under them (Linkerd's exact/regex ties), and others. Half the runs give
 * the objects creation timestamps in file order, one second apart, so that ties go by age. Runs:
 * SOMA_LINKERD_PROPERTY_RUNS (default 60), seed SOMA_LINKERD_PROPERTY_SEED.
 */
const RUNS = Number(process.env.SOMA_LINKERD_PROPERTY_RUNS ?? 60);
const NAMESPACES = ['alpha', 'beta', 'gamma'];
const NAMES = ['web', 'api', 'orders', 'users', 'billing', 'search'];
// `x1` is what `{*}` is instantiated to: exact paths that fall under a template, in the same graph.
const SEGMENTS = ['v1', 'items', 'x1', '{*}'];
const PROTOCOLS = [Protocol.HTTP, Protocol.HTTP2, Protocol.TCP];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const POD_IP = '10.244.2.2';

const pathArb = fc.tuple(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }), fc.constantFrom('', '{**}', '*'))
  .map(([segments, tail]) => {
    const base = `/${segments.join('/')}`;
    if (tail === '{**}') return `${base}/{**}`;
    return tail === '*' && !base.includes('{') ? `${base}*` : base;
  });

const graphArb = fc.record({
  workloads: fc.array(fc.record({
    namespace: fc.nat(NAMESPACES.length - 1),
    name: fc.constantFrom(...NAMES),
    ports: fc.uniqueArray(fc.integer({ min: 5000, max: 9999 }), { minLength: 1, maxLength: 2 }), // clear of the proxy's 4140-4191
    protocols: fc.array(fc.constantFrom(...PROTOCOLS), { minLength: 2, maxLength: 2 }),
    peer: fc.boolean(),
  }), { minLength: 2, maxLength: 6 }),
  calls: fc.array(fc.record({
    caller: fc.nat(), callee: fc.nat(), port: fc.nat(),
    methods: fc.subarray(METHODS), paths: fc.uniqueArray(pathArb, { maxLength: 3 }),
  }), { maxLength: 10 }),
  aged: fc.boolean(),
});

interface Declared { caller: IMeshWorkload; callee: IMeshWorkload; port: number; methods: string[]; paths: string[] }

/** The declared semantics of a path template: `{*}` one segment, `{**}` and a trailing `*` any remainder. */
function templateAllows(template: string, path: string): boolean {
  const pattern = template.split('/').map(s => (s === '{*}' ? '[^/]+' : s === '{**}' ? '.*' : s.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*$/, '.*'))).join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

function declaredAllows(declared: Declared[], caller: IMeshWorkload | undefined, callee: IMeshWorkload, port: number, method: string, path: string): boolean {
  return declared.some(d => d.caller === caller && d.callee === callee && d.port === port
    && (d.methods.length === 0 || d.methods.includes(method)) && (d.paths.length === 0 || d.paths.some(t => templateAllows(t, path))));
}

function instantiate(template: string): string {
  return template.replace(/\{\*\*\}/g, 'a/b').replace(/\{\*\}/g, 'x1').replace(/\*$/, 'tail');
}

test(`${RUNS} random call graphs under Linkerd: the evaluator admits exactly the declared calls`, () => {
  let requests = 0;
  let reportedOverlaps = 0;
  fc.assert(fc.property(graphArb, spec => {
    const app = new App();
    const chart = new Chart(app, 'random', { disableResourceNameHashes: true });
    const warnings: string[] = [];
    const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }), warningSink: { warn: w => warnings.push(w) } });
    const namespaces = NAMESPACES.map((name, i) => mesh.addNamespace(name, { create: i !== 2 })); // gamma belongs to another chart
    const workloads: IMeshWorkload[] = [];
    for (const w of spec.workloads) {
      if (workloads.some(x => x.namespace === namespaces[w.namespace] && x.name === w.name)) continue;
      const ports = w.ports.map((port, i) => ({ port, protocol: w.protocols[i] }));
      workloads.push(w.peer
        ? new ExistingWorkload(namespaces[w.namespace], w.name, { selector: { app: w.name, team: 'x' }, serviceAccountName: `${w.name}-sa`, ports })
        : new MeshService(namespaces[w.namespace], w.name, { image: `example/${w.name}:1.0.0`, ports, liveness: HealthCheck.http('/healthz') }));
    }
    const declared: Declared[] = [];
    for (const c of spec.calls) {
      const caller = workloads[c.caller % workloads.length];
      const callee = workloads[c.callee % workloads.length];
      if (caller === callee) continue;
      const port = callee.ports[c.port % callee.ports.length];
      const http = port.protocol !== Protocol.TCP;
      const methods = http ? c.methods : [];
      const paths = http ? c.paths : [];
      if (declared.some(d => d.caller === caller && d.callee === callee && d.port === port.port && JSON.stringify(d.methods) === JSON.stringify(methods) && JSON.stringify(d.paths) === JSON.stringify(paths))) continue;
      callee.allowFrom(caller, { port: port.port, methods, paths });
      declared.push({ caller, callee, port: port.port, methods, paths });
    }
    let objects = parseAllDocuments(app.synthYaml()).map(d => d.toJSON()).filter(Boolean) as K8sObject[];
    if (spec.aged) objects = objects.map((o, i) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() } }));
    const identity = (w: IMeshWorkload) => ({ name: w.serviceAccountName, namespace: w.namespace.name });
    const callers: Array<IMeshWorkload | undefined> = [...workloads, undefined];
    for (const callee of workloads) {
      const labels = callee instanceof MeshService ? { ...callee.selector, version: 'v1' } : { ...callee.selector };
      const pod: LinkerdPod = { namespace: callee.namespace.name, labels, probes: callee.deployed ? callee.ports.map(p => ({ port: p.port, path: '/healthz' })) : [] };
      for (const { port } of callee.ports) {
        const templates = declared.filter(d => d.callee === callee && d.port === port).flatMap(d => d.paths);
        const paths = [...new Set(['/', '/v1', '/v1/x1', '/v1/items/x1/a/b', '/other', ...templates.map(instantiate)])];
        for (const caller of callers) {
          for (const method of METHODS) {
            for (const path of paths) {
              const request = { serviceAccount: caller ? identity(caller) : { name: 'stranger', namespace: 'alpha' }, sourceIp: POD_IP, port, method, path };
              const expected = declaredAllows(declared, caller, callee, port, method, path);
              const got = decide(objects, pod, request, callee.namespace.created ? 'deny' : 'all-unauthenticated').allowed;
              requests++;
              // Reported at synth: two patterns of different callers that overlap; their common requests reach one route only.
              const overlapping = templates.filter(t => /[{*]/.test(t) && templateAllows(t, path)).length > 1
                && warnings.some(w => w.includes(`on port ${port} of ${callee.name}, the paths`));
              if (got !== expected && expected && overlapping) reportedOverlaps++;
              if (got !== expected && !(expected && overlapping)) {
                throw new Error(`${caller?.name ?? 'stranger'} -> ${callee.namespace.name}/${callee.name}:${port} ${method} ${path}: got ${got}, declared ${expected}\n${JSON.stringify(declared.map(d => [d.caller.name, d.callee.name, d.port, d.methods, d.paths]))}`);
              }
            }
          }
        }
      }
    }
  }), { numRuns: RUNS, seed: Number(process.env.SOMA_LINKERD_PROPERTY_SEED ?? 20261130) });
  expect(requests).toBeGreaterThan(RUNS * 50);
  expect(reportedOverlaps).toBeLessThan(requests / 10);
});
