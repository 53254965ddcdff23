import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import * as fc from 'fast-check';
import { App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { accessMatrix } from '../src/review/matrix';
import { Inventory } from '../src/review/inventory';
import { mtlsMode } from '../src/review/mtls';
import { peerOf } from '../src/renderers/istio/analyzer-peers';
import { ExistingWorkload } from '../src/model/existing-workload';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { Protocol } from '../src/model/protocol';
import { IMeshWorkload } from '../src/model/workload';
import { isAllowed } from './support/istio-authz';

/**
 * For random call graphs built through the library, the access matrix read back from the emitted YAML
 * equals the declared graph exactly, and every workload is STRICT.
 */

const NAMESPACES = ['alpha', 'beta', 'gamma'];
const NAMES = ['web', 'api', 'orders', 'users', 'billing', 'search', 'queue', 'store'];
const SEGMENTS = ['v1', 'items', 'users', 'a-b', '{*}'];
const PROTOCOLS = [Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.TCP];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
/** A gRPC port's operations are gRPC methods: one method, or every method of a service. */
const GRPC_METHODS = ['shop.Cart/Get', 'shop.Cart/Add', 'shop.Orders/*'];

const pathArb = fc.tuple(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }), fc.constantFrom('', '{**}', '*'))
  .map(([segments, tail]) => {
    const base = `/${segments.join('/')}`;
    if (tail === '{**}') return `${base}/{**}`;
    return tail === '*' && !base.includes('{') ? `${base}*` : base;
  });

const workloadArb = fc.record({
  namespace: fc.nat(NAMESPACES.length - 1),
  name: fc.constantFrom(...NAMES),
  ports: fc.uniqueArray(fc.integer({ min: 1000, max: 9999 }), { maxLength: 3 }),
  protocols: fc.array(fc.constantFrom(...PROTOCOLS), { minLength: 3, maxLength: 3 }),
  peer: fc.boolean(),
});

const callArb = fc.record({
  caller: fc.nat(),
  callee: fc.nat(),
  port: fc.nat(),
  methods: fc.subarray(METHODS),
  paths: fc.uniqueArray(pathArb, { maxLength: 3 }),
  grpcMethods: fc.subarray(GRPC_METHODS),
});

const graphArb = fc.record({
  workloads: fc.array(workloadArb, { minLength: 2, maxLength: 7 }),
  calls: fc.array(callArb, { maxLength: 12 }),
});

interface Declared {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
  readonly methods: string[];
  readonly paths: string[];
}

/** Builds the random graph through the library; returns the app and the calls it declared. */
function build(spec: any): { app: App; mesh: Mesh; declared: Declared[] } {
  const app = new App();
  const chart = new Chart(app, 'random', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const namespaces = NAMESPACES.map((name, i) => mesh.addNamespace(name, { create: i !== 2 })); // gamma belongs to another chart
  const workloads: IMeshWorkload[] = [];
  const seen = new Set<string>();
  for (const w of spec.workloads) {
    const key = `${NAMESPACES[w.namespace]}/${w.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ports = w.ports.map((port: number, i: number) => ({ port, protocol: w.protocols[i] }));
    workloads.push(w.peer
      ? new ExistingWorkload(namespaces[w.namespace], w.name, { selector: { app: w.name, team: 'x' }, serviceAccountName: `${w.name}-sa`, ports })
      : new MeshService(namespaces[w.namespace], w.name, { image: `example/${w.name}:1.0.0`, ports, ...noPortChecks(ports.length) }));
  }
  const declared: Declared[] = [];
  const keys = new Set<string>();
  for (const c of spec.calls) {
    const caller = workloads[c.caller % workloads.length];
    const callee = workloads[c.callee % workloads.length];
    if (caller === callee || callee.ports.length === 0) continue;
    const port = callee.ports[c.port % callee.ports.length];
    const http = port.protocol !== Protocol.TCP;
    const grpc = port.protocol === Protocol.GRPC;
    const methods: string[] = grpc ? c.grpcMethods : http ? c.methods : [];
    const paths: string[] = http && !grpc ? c.paths : [];
    const key = JSON.stringify([caller.node.path, callee.node.path, port.port, [...methods].sort(), [...paths].sort()]);
    if (keys.has(key)) continue;
    keys.add(key);
    callee.allowFrom(caller, { port: port.port, methods, paths });
    // gRPC methods are the paths of POST requests.
    declared.push({
      from: `${caller.namespace.name}/${caller.name}`, to: `${callee.namespace.name}/${callee.name}`, port: port.port,
      protocol: port.protocol.toLowerCase(),
      methods: grpc ? (methods.length > 0 ? ['POST'] : []) : [...methods].sort(),
      paths: grpc ? methods.map(m => `/${m}`).sort() : [...paths].sort(),
    });
  }
  return { app, mesh, declared };
}

/** A service without ports needs a health check that is not a port check. */
function noPortChecks(portCount: number): object {
  if (portCount > 0) return {};
  const { HealthCheck } = require('../src/model/health-check');
  return { liveness: HealthCheck.command(['true']) };
}

const entryKey = (e: Declared) => JSON.stringify([e.from, e.to, e.port, e.protocol, e.methods, e.paths]);

test('1000 random call graphs: the matrix of the emitted YAML equals the declared graph, and every workload is STRICT', () => {
  const warnings: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((line: any) => { warnings.push(String(line)); return true; });
  let graphs = 0;
  let calls = 0;
  const differences: string[] = [];
  fc.assert(fc.property(graphArb, spec => {
    const { app, mesh, declared } = build(spec);
    const objects = parseAllDocuments(app.synthYaml()).map(d => d.toJSON()).filter(Boolean);
    const peers = mesh.workloads.filter(w => !w.deployed).map(peerOf);
    const matrix = accessMatrix(objects, peers);
    const got = matrix.entries.map(e => entryKey({ ...e })).sort();
    const want = declared.map(entryKey).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) differences.push(`graph ${graphs}: got ${got.join(' ')} want ${want.join(' ')}`);
    expect(got).toEqual(want);
    for (const e of matrix.entries) expect([e.except, e.conditions]).toEqual([[], []]);
    const inventory = Inventory.of(objects, peers);
    for (const w of inventory.workloads) {
      for (const port of [...w.ports.map(p => p.port), 12345]) {
        if (w.peer && w.ports.length === 0) continue; // a peer that serves nothing (a gateway) is not guarded here
        expect(`${w.namespace}/${w.name}:${port} ${mtlsMode(inventory, w, port)}`).toBe(`${w.namespace}/${w.name}:${port} STRICT`);
      }
    }
    // The independent evaluator agrees on each declared call, with a request its first method and path allow.
    const policies = objects.filter((o: any) => o.kind === 'AuthorizationPolicy');
    for (const d of declared) {
      const callee = inventory.workloads.find(w => `${w.namespace}/${w.name}` === d.to)!;
      const caller = inventory.workloads.find(w => `${w.namespace}/${w.name}` === d.from)!;
      const pod = { namespace: callee.namespace, labels: callee.podLabels[0], serviceAccount: callee.serviceAccount, portProtocols: Object.fromEntries(callee.ports.map(p => [p.port, p.protocol ?? 'tcp'])) };
      const request = { principal: `cluster.local/ns/${caller.namespace}/sa/${caller.serviceAccount}`, port: d.port, method: d.methods[0] ?? 'GET', path: instantiate(d.paths[0] ?? '/') };
      expect(isAllowed(policies, pod, request)).toBe(true);
    }
    graphs++;
    calls += declared.length;
  }), { numRuns: 1000, seed: 20261125 });
  spy.mockRestore();
  // The analyzer ran at every synth: no error (synth would have thrown), and no warning either.
  expect(warnings).toEqual([]);
  expect(differences).toEqual([]);
  expect(graphs).toBe(1000);
  expect(calls).toBeGreaterThan(2000);
});

function instantiate(template: string): string {
  return template.replace(/\{\*\*\}/g, 'a/b').replace(/\{\*\}/g, 'x1').replace(/\*$/, 'tail');
}

// Istio drops an ALLOW rule with methods or paths whole on a TCP port: a caller's TCP call must not share a rule with
// its HTTP call's methods (found by the matrix on random graphs).
test('a caller\'s TCP call and its HTTP call with methods are separate rules, so Istio keeps the TCP one', () => {
  const app = new App();
  const chart = new Chart(app, 'merged', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const alpha = mesh.addNamespace('alpha');
  const web = new MeshService(alpha, 'web', { image: 'example/web:1.0.0', ports: [{ port: 1000, protocol: Protocol.HTTP }, { port: 1001, protocol: Protocol.TCP }] });
  const search = new MeshService(alpha, 'search', { image: 'example/search:1.0.0', ports: [{ port: 2000, protocol: Protocol.HTTP }] });
  web.allowFrom(search, { port: 1000, methods: ['PATCH'] });
  web.allowFrom(search, { port: 1001 });
  const objects = parseAllDocuments(app.synthYaml()).map(d => d.toJSON()).filter(Boolean);
  expect(accessMatrix(objects).entries.map(e => `${e.from} -> ${e.to}:${e.port}`)).toContain('alpha/search -> alpha/web:1001');
});
