import * as path from 'path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { libraryChart } from '../bench/library-mesh';
import { EXACT_FLOOR_KINDS, floorChart, MIRRORED_FLOOR_KINDS } from '../bench/raw-floor';
import { SERVICES_PER_NAMESPACE, syntheticMesh } from '../bench/synthetic-mesh';
import { Protocol } from '../src/model/protocol';
import { CrdSchemas } from './support/crd-schema';
import { K8sObject, SHARED } from './support/manifests';

/**
 * The benchmark compares the library with a raw cdk8s floor; the comparison is honest only if both
 * render the same objects from the same topology. These tests hold the bench to that.
 */

const SERVICES = 150;
const mesh = syntheticMesh(SERVICES);

function render(build: (app: App) => void): K8sObject[] {
  const app = new App();
  build(app);
  return parseAllDocuments(app.synthYaml()).map(d => d.toJSON()).filter(o => o) as K8sObject[];
}

const canonical = (o: unknown): string => JSON.stringify(o, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]])) : v));

describe('synthetic mesh', () => {
  test('is the same for the same seed and differs for another', () => {
    expect(syntheticMesh(SERVICES)).toEqual(mesh);
    expect(syntheticMesh(SERVICES, 10, 8)).not.toEqual(mesh);
  });

  test('each service calls 10 distinct others on one of their ports; HTTP fields only on HTTP ports', () => {
    expect(mesh.calls).toHaveLength(SERVICES * 10);
    expect(mesh.namespaces).toHaveLength(Math.ceil(SERVICES / SERVICES_PER_NAMESPACE));
    for (let i = 0; i < SERVICES; i++) {
      const callees = mesh.calls.filter(c => c.from === i).map(c => c.to);
      expect(new Set(callees).size).toBe(10);
      expect(callees).not.toContain(i);
    }
    for (const call of mesh.calls) {
      const port = mesh.services[call.to].ports.find(p => p.port === call.port);
      expect(port).toBeDefined();
      if (port!.protocol === Protocol.TCP) expect([call.methods, call.paths]).toEqual([undefined, undefined]);
    }
    const protocols = new Set(mesh.calls.map(c => mesh.services[c.to].ports.find(p => p.port === c.port)!.protocol));
    expect([...protocols].sort()).toEqual([Protocol.GRPC, Protocol.HTTP, Protocol.HTTP2, Protocol.TCP].sort());
    expect(mesh.calls.some(c => c.methods && c.paths)).toBe(true);
    expect(mesh.calls.some(c => !c.methods && !c.paths && mesh.services[c.to].ports.some(p => p.port === c.port && p.protocol === Protocol.HTTP))).toBe(true);
  });
});

describe('raw floor', () => {
  const library = render(app => libraryChart(app, mesh));
  const libraryKinds = new Set(library.map(o => o.kind));
  const floor = render(app => floorChart(app, mesh, libraryKinds));

  test('renders exactly the library\'s objects of the kinds it builds by hand, none missing, none extra', () => {
    for (const kind of EXACT_FLOOR_KINDS) {
      const mine = floor.filter(o => o.kind === kind).map(canonical).sort();
      const theirs = library.filter(o => o.kind === kind).map(canonical).sort();
      expect(mine.length).toBeGreaterThan(0);
      expect(mine).toEqual(theirs);
    }
  });

  test('renders as many objects of every other kind the library renders (VirtualService, DestinationRule, Sidecar)', () => {
    const count = (objects: K8sObject[], kind: string) => objects.filter(o => o.kind === kind).length;
    for (const kind of libraryKinds) {
      if (EXACT_FLOOR_KINDS.includes(kind)) continue;
      expect(`${kind}: ${count(floor, kind)}`).toBe(`${kind}: ${count(library, kind)}`);
    }
    expect(new Set(floor.map(o => o.kind))).toEqual(libraryKinds);
  });

  test('its VirtualService, DestinationRule and Sidecar are schema-valid, one per service, and only when asked for', () => {
    const all = render(app => floorChart(app, mesh, new Set(MIRRORED_FLOOR_KINDS)));
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    for (const kind of MIRRORED_FLOOR_KINDS) {
      const objects = all.filter(o => o.kind === kind);
      expect(objects).toHaveLength(SERVICES);
      expect(objects.flatMap(o => schemas.errors(o))).toEqual([]);
    }
    const none = render(app => floorChart(app, mesh, new Set()));
    expect(none.filter(o => MIRRORED_FLOOR_KINDS.includes(o.kind))).toEqual([]);
  });
});
