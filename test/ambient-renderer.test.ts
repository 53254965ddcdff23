import { Chart, Duration, Testing } from 'cdk8s';
import { ExistingWorkload, IstioAmbientRenderer, Mesh, MeshService, Protocol } from '../src';
import { IstioAmbientRendererProps } from '../src/renderers/ambient/ambient-renderer';
import { AmbientMesh } from './support/ambient-authz';
import * as path from 'path';
import { CrdSchemas } from './support/crd-schema';
import { K8sObject, SHARED } from './support/manifests';

/** A small ambient mesh: api (HTTP 8080), web (HTTP 8081), db (TCP 5432), and a peer cache of another chart. */
function shop(declare: (m: { mesh: Mesh; api: MeshService; web: MeshService; db: MeshService; cache: ExistingWorkload }) => void, props: IstioAmbientRendererProps = {}) {
  const warnings: string[] = [];
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioAmbientRenderer({ ...props }), warningSink: { warn: w => warnings.push(w) } });
  const ns = mesh.addNamespace('shop');
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }] });
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }] });
  const db = new MeshService(ns, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }] });
  const cache = new ExistingWorkload(mesh.addNamespace('infra', { create: false }), 'cache', { selector: { app: 'cache' }, serviceAccountName: 'cache', ports: [{ port: 6379, protocol: Protocol.TCP }] });
  declare({ mesh, api, web, db, cache });
  app.synth();
  const objects = chart.toJson() as K8sObject[];
  return { objects, warnings, evaluator: new AmbientMesh(objects) };
}

const pod = (name: string, namespace = 'shop') => ({ namespace, labels: { app: name } });
const from = (name: string, namespace = 'shop') => `cluster.local/ns/${namespace}/sa/${name}`;
const gateways = (objects: K8sObject[]) => objects.filter(o => o.kind === 'Gateway').map(o => `${o.metadata.namespace}/${o.metadata.name}`);

describe('IstioAmbientRenderer', () => {
  test('calls that are all L4 get no waypoint: ztunnel admits each caller on its port', () => {
    const { objects, evaluator, warnings } = shop(({ api, db, cache }) => {
      db.allowFrom(api, { port: 5432 });
      cache.allowFrom(api);
    });
    expect(gateways(objects)).toEqual([]);
    expect(objects.filter(o => o.kind === 'HTTPRoute')).toEqual([]);
    expect(evaluator.decide(pod('db'), 'db', { principal: from('api'), via: 'service', port: 5432, method: 'GET', path: '/' }).allowed).toBe(true);
    expect(evaluator.decide(pod('db'), 'db', { principal: from('web'), via: 'service', port: 5432, method: 'GET', path: '/' }).allowed).toBe(false);
    expect(evaluator.decide(pod('cache', 'infra'), 'cache', { principal: from('api'), via: 'pod', port: 6379, method: 'GET', path: '/' }).allowed).toBe(true);
    // The peer cache's namespace is another chart's: said once to be taken as ambient; nothing else.
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/infra\] Istio ambient: the workloads of infra, a namespace this chart does not create, are taken to be in ambient mode/)]);
  });

  test('a call restricted by method and path: the namespace waypoint enforces it, ztunnel admits the waypoint alone', () => {
    const { objects, evaluator } = shop(({ api, web }) => {
      api.allowFrom(web, { methods: ['GET'], paths: ['/v1/items/{*}'] });
    });
    expect(gateways(objects)).toEqual(['shop/waypoint']);
    const service = objects.find(o => o.kind === 'Service' && o.metadata.name === 'api')!;
    expect(service.metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    expect(objects.find(o => o.kind === 'Service' && o.metadata.name === 'web')!.metadata.labels?.['istio.io/use-waypoint']).toBeUndefined();
    const request = { principal: from('web'), via: 'service' as const, port: 8080, method: 'GET', path: '/v1/items/7' };
    expect(evaluator.decide(pod('api'), 'api', request)).toMatchObject({ allowed: true, waypoint: 'waypoint' });
    expect(evaluator.decide(pod('api'), 'api', { ...request, method: 'DELETE' }).allowed).toBe(false);
    expect(evaluator.decide(pod('api'), 'api', { ...request, path: '/admin' }).allowed).toBe(false);
    // Straight to the pod, the request skips the waypoint and meets ztunnel, which admits only the waypoint.
    expect(evaluator.decide(pod('api'), 'api', { ...request, via: 'pod' }).allowed).toBe(false);
  });

  test('a service of its own waypoint, by option', () => {
    const { objects } = shop(({ api, web }) => {
      api.allowFrom(web, { methods: ['GET'] });
      web.allowFrom(api, { methods: ['POST'] });
    }, { serviceWaypoints: ['shop/api'] });
    expect(gateways(objects).sort()).toEqual(['shop/api-waypoint', 'shop/waypoint']);
    const ztunnel = objects.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'api-callers')!;
    expect(ztunnel.spec.rules[0].from[0].source.principals).toEqual([from('api-waypoint')]);
  });

  test('a second version, timeouts and a mirror: routes through the waypoint; fault, A/B by caller and declared retries are reported once each', () => {
    const { objects, warnings } = shop(({ api, web, mesh }) => {
      api.allowFrom(web, { methods: ['GET'], paths: ['/v1/items'], timeout: Duration.seconds(3) });
      api.addVersion('v2');
      api.addVersion('v3');
      api.traffic.route({ canary: { version: 'v2', weight: 10 }, mirror: { version: 'v3', percent: 5 }, match: [{ callers: ['web'], version: 'v2' }] });
      new MeshService(mesh.addNamespace('ops'), 'drill', { image: 'example/d:1', ports: [{ port: 9000 }], resilience: { fault: { abort: { percent: 5, httpStatus: 503 } }, retries: { attempts: 3 } } });
    });
    const route = objects.find(o => o.kind === 'HTTPRoute' && o.metadata.name === 'api')!;
    expect(route.spec.rules[0]).toMatchObject({ matches: [{ method: 'GET', path: { type: 'Exact', value: '/v1/items' } }], timeouts: { request: '3s' } });
    const last = route.spec.rules[route.spec.rules.length - 1];
    expect(last.matches).toBeUndefined();
    expect(last.backendRefs.map((b: any) => `${b.name}:${b.weight}`)).toEqual(['api-v1:90', 'api-v2:10']);
    expect(last.filters).toEqual([{ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'api-v3', port: 8080 }, percent: 5 } }]);
    expect(warnings.filter(w => /fault injection is not rendered.*\(ops\/drill\)$/.test(w))).toHaveLength(1);
    expect(warnings.filter(w => /A\/B routing by caller is not rendered.*\(shop\/api\)$/.test(w))).toHaveLength(1);
    expect(warnings.filter(w => /declared retries are not rendered.*\(ops\/drill\)$/.test(w))).toHaveLength(1);
    expect(gateways(objects).sort()).toEqual(['ops/waypoint', 'shop/waypoint']);
  });

  test('a mirror finer than a whole percent is a fraction; every object of the small mesh validates against the CRDs', () => {
    const { objects } = shop(({ api, web }) => {
      api.allowFrom(web, { methods: ['GET'] });
      api.addVersion('v2');
      api.traffic.route({ mirror: { version: 'v2', percent: 0.5 } });
    });
    const route = objects.find(o => o.kind === 'HTTPRoute' && o.metadata.name === 'api')!;
    expect(route.spec.rules[0].filters[0].requestMirror).toEqual({ backendRef: { group: '', kind: 'Service', name: 'api-v2', port: 8080 }, fraction: { numerator: 500, denominator: 100000 } });
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'), path.join(SHARED, 'gateway-api', 'standard-install.yaml'));
    expect(objects.filter(o => schemas.knows(o)).flatMap(o => schemas.errors(o))).toEqual([]);
  });

  test('a route that would need more rules than Gateway API allows fails synth, naming the service and the fix', () => {
    expect(() => shop(({ api, mesh }) => {
      for (let i = 0; i < 17; i++) {
        const caller = new MeshService(mesh.addNamespace(`c${i}`), `caller-${i}`, { image: 'example/c:1', ports: [{ port: 9000 + i }] });
        api.allowFrom(caller, { methods: ['GET'], paths: [`/v1/r${i}`], timeout: Duration.seconds(2) });
      }
    })).toThrow(/HTTPRoute of api port 8080 needs 18 rules, more than Gateway API's 16: give fewer calls their own timeout/);
  });

  test('a bad waypoint name is refused, naming the renderer and the rule', () => {
    expect(() => new IstioAmbientRenderer({ waypointName: 'Way_Point' })).toThrow(/^\[IstioAmbientRenderer\] .*waypoint name/);
  });
});
