import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { Chart, Testing } from 'cdk8s';
import { IstioAmbientRenderer, Mesh, MeshService, Protocol } from '../src';
import { analyze } from '../src/review/analyze';
import { accessMatrix, allows } from '../src/review/matrix';
import { AmbientMesh } from './support/ambient-authz';
import { cli } from './support/cli';
import { K8sObject } from './support/manifests';

/**
 * Ambient with a Service port that is not its container port (`{ port: 80, targetPort: 8080 }`): the waypoint matches
 * the Service port, ztunnel the container port. The render, the matrix, `check` and the independent evaluator agree.
 */
function shop(): K8sObject[] {
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioAmbientRenderer() });
  const ns = mesh.addNamespace('shop');
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }] });
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }] });
  new MeshService(ns, 'batch', { image: 'example/batch:1.0.0', ports: [{ port: 8082 }] });
  api.allowFrom(web, { methods: ['GET'], paths: ['/v1/items/{*}'] });
  app.synth();
  return chart.toJson() as K8sObject[];
}

const objects = shop();
const pod = { namespace: 'shop', labels: { app: 'api' } };
const principal = (name: string) => `cluster.local/ns/shop/sa/${name}`;
const policy = (name: string) => objects.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === name)!;
/** The render as it was: the waypoint policy on the container port, ztunnel's on the Service port. */
const swapped = objects.map(o => (o.kind !== 'AuthorizationPolicy' || o.metadata.namespace !== 'shop' || !o.metadata.name.startsWith('api-') ? o
  : JSON.parse(JSON.stringify(o).replace(/"ports":\["(80|8080)"\]/g, (_m, p) => `"ports":["${p === '80' ? '8080' : '80'}"]`))));

describe('ambient: a Service port in front of another container port', () => {
  test('the waypoint policy names the Service port, the ztunnel policy the container port', () => {
    expect(policy('api-waypoint-callers').spec.rules[0].to[0].operation.ports).toEqual(['80']);
    expect(policy('api-callers').spec.rules[0].to[0].operation.ports).toEqual(['8080']);
  });

  test('the independent evaluator admits the declared call through the Service, and nothing else', () => {
    const mesh = new AmbientMesh(objects);
    const request = { principal: principal('web'), via: 'service' as const, port: 80, method: 'GET', path: '/v1/items/7' };
    expect(mesh.decide(pod, 'api', request)).toMatchObject({ allowed: true, waypoint: 'waypoint' });
    expect(mesh.decide(pod, 'api', { ...request, method: 'POST' }).allowed).toBe(false);
    expect(mesh.decide(pod, 'api', { ...request, principal: principal('batch') }).allowed).toBe(false);
    expect(new AmbientMesh(swapped).decide(pod, 'api', request).allowed).toBe(false);
  });

  test('the matrix lists the call on the container port, as the evaluator decides it', () => {
    const matrix = accessMatrix(objects);
    const rows = matrix.entries.filter(e => e.to === 'shop/api').map(e => `${e.from} ${e.port} ${e.methods.join(',')} ${e.paths.join(',')}`);
    expect(rows).toEqual(['shop/web 8080 GET /v1/items/{*}']);
    expect(allows(matrix, { from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/v1/items/7' })).toBe(true);
    // The swapped render refuses the call, and the matrix says so: on either render, matrix and evaluator agree.
    expect(allows(accessMatrix(swapped), { from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/v1/items/7' })).toBe(false);
    for (const render of [objects, swapped]) {
      for (const [caller, method] of [['web', 'GET'], ['web', 'POST'], ['batch', 'GET']]) {
        const expected = new AmbientMesh(render).decide(pod, 'api', { principal: principal(caller), via: 'service', port: 80, method, path: '/v1/items/7' }).allowed;
        expect(allows(accessMatrix(render), { from: `shop/${caller}`, to: 'shop/api', port: 8080, method, path: '/v1/items/7' })).toBe(expected);
      }
    }
  });

  test('check finds nothing wrong with the render, and SM1102 on both policies of the swapped one', () => {
    const codes = (list: K8sObject[]) => analyze(list).filter(f => f.code === 'SM1102').map(f => f.object.metadata?.name).sort();
    expect(codes(objects)).toEqual([]);
    expect(codes(swapped)).toEqual(['api-callers', 'api-waypoint-callers']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ambient-port-'));
    try {
      fs.writeFileSync(path.join(dir, 'render.yaml'), objects.map(o => stringify(o)).join('---\n'));
      expect(cli('check', dir).code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
