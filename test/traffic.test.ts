import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Duration, JsonPatch } from 'cdk8s';
import { VirtualService } from '../imports/istio-networking.istio.io';
import { ExistingWorkload } from '../src/model/existing-workload';
import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import { Mesh } from '../src/model/mesh';
import { MeshService, MeshServiceProps } from '../src/model/mesh-service';
import { Protocol } from '../src/model/protocol';
import { applyReleases, parseReleaseFile } from '../src/model/release-file';
import { RetryCondition } from '../src/model/resilience';
import { synthesizeAtomically } from '../src/synthesize';
import { CrdSchemas } from './support/crd-schema';
import { K8sObject, ofKind, readManifests, SHARED } from './support/manifests';

const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));

interface Shop {
  mesh: Mesh;
  web: MeshService;
  api: MeshService;
  batch: MeshService;
  chart: Chart;
}

/** web and batch call api; api runs v1 and v2. `configure` adds routing and calls. */
function render(configure: (shop: Shop) => void, apiProps: Partial<MeshServiceProps> = {}, renderer?: IstioRenderer): K8sObject[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-'));
  try {
    synthesizeAtomically(path.join(dir, 'dist'), app => configure(shop(app, apiProps, renderer)));
    return readManifests(path.join(dir, 'dist'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function shop(app: App, apiProps: Partial<MeshServiceProps>, renderer?: IstioRenderer): Shop {
  const chart = new Chart(app, 'shop', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: renderer ?? new IstioRenderer() });
  const ns = mesh.addNamespace('shop');
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
  const batch = new MeshService(ns, 'batch', { image: 'example/batch:1.0.0', ports: [{ port: 8081 }] });
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 9000 }], ...apiProps });
  api.addVersion('v2', { image: 'example/api:2.0.0', replicas: 1 });
  return { mesh, web, api, batch, chart };
}

function failure(configure: (shop: Shop) => void, apiProps: Partial<MeshServiceProps> = {}, renderer?: IstioRenderer): string {
  try {
    render(configure, apiProps, renderer);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the render to fail');
}

const vsOf = (objects: K8sObject[], name: string) => ofKind(objects, 'VirtualService').find(o => o.metadata.name === name)!;
const drOf = (objects: K8sObject[], name: string) => ofKind(objects, 'DestinationRule').find(o => o.metadata.name === name)!;
const split = (route: any) => route.route.map((r: any) => `${r.destination.subset}=${r.weight}`).join(',');

function expectValid(objects: K8sObject[]): void {
  expect(objects.filter(o => o.apiVersion.includes('istio.io')).flatMap(o => schemas.errors(o))).toEqual([]);
}

describe('versions, subsets and splits', () => {
  test('subsets come from the versions that run, and the default split sends 100% to the first', () => {
    const objects = render(({ api, web }) => { api.allowFrom(web, { methods: ['GET'] }); });
    const dr = drOf(objects, 'api');
    expect(dr.spec.host).toBe('api.shop.svc.cluster.local');
    expect(dr.spec.subsets).toEqual([{ name: 'v1', labels: { app: 'api', version: 'v1' } }, { name: 'v2', labels: { app: 'api', version: 'v2' } }]);
    const templates = ofKind(objects, 'Deployment').map(d => d.spec.template.metadata.labels);
    for (const s of dr.spec.subsets) expect(templates).toContainEqual(s.labels);
    const vs = vsOf(objects, 'api');
    expect(vs.spec.hosts).toEqual(['api.shop.svc.cluster.local']);
    for (const route of vs.spec.http) expect(split(route)).toBe('v1=100');
    expect(vs.spec.http[0].route[0].destination.port).toEqual({ number: 9000 });
    expect(ofKind(objects, 'VirtualService')).toHaveLength(3); // one per service that serves a port
    expectValid(objects);
  });

  test('a canary splits stable/canary; weights split over several versions', () => {
    let objects = render(({ api }) => api.traffic.route({ stable: 'v1', canary: { version: 'v2', weight: 10 } }));
    expect(vsOf(objects, 'api').spec.http.map(split)).toEqual(['v1=90,v2=10']);
    objects = render(({ api }) => {
      api.addVersion('v3', { image: 'example/api:3.0.0' });
      api.traffic.route({ weights: { v1: 50, v2: 30, v3: 20 } });
    });
    expect(vsOf(objects, 'api').spec.http.map(split)).toEqual(['v1=50,v2=30,v3=20']);
    expectValid(objects);
  });

  test('A/B by header and by caller come before the split, each crossed with the retry classes', () => {
    const objects = render(({ api, web, batch }) => {
      api.allowFrom(web, { methods: ['GET', 'POST'] });
      api.allowFrom(batch, { methods: ['POST'] });
      api.traffic.route({ match: [{ name: 'beta', version: 'v2', headers: { 'x-cohort': 'beta' } }, { version: 'v2', callers: ['batch'] }] });
    });
    const http = vsOf(objects, 'api').spec.http;
    expect(http.map((r: any) => `${r.name} ${split(r)}`)).toEqual([
      'beta-idempotent v2=100', 'beta-default v2=100', 'match-2-idempotent v2=100', 'match-2-default v2=100', 'idempotent v1=100', 'default v1=100',
    ]);
    expect(http[0].match).toEqual([{ headers: { 'x-cohort': { exact: 'beta' } }, method: { exact: 'GET' } }]);
    expect(http[1].match).toEqual([{ headers: { 'x-cohort': { exact: 'beta' } } }]);
    expect(http[3].match).toEqual([{ sourceLabels: { app: 'batch' }, sourceNamespace: 'shop' }]);
    expect(http[5].match).toBeUndefined();
    expectValid(objects);
  });

  test('mirroring copies a percentage of the split to another version', () => {
    const objects = render(({ api }) => api.traffic.route({ mirror: { version: 'v2', percent: 20 } }));
    const route = vsOf(objects, 'api').spec.http[0];
    expect(route.mirror).toEqual({ host: 'api.shop.svc.cluster.local', subset: 'v2', port: { number: 9000 } });
    expect(route.mirrorPercentage).toEqual({ value: 20 });
    expect(split(route)).toBe('v1=100');
    expectValid(objects);
  });

  test('multi-port services name the port in every match and destination; TCP ports get weighted tcp routes', () => {
    const objects = render(({ api, web }) => {
      api.allowFrom(web, { port: 9000, methods: ['GET'] });
      api.allowFrom(web, { port: 9100 });
      api.traffic.route({ canary: { version: 'v2', weight: 5 } });
    }, { ports: [{ port: 9000 }, { port: 9100, protocol: Protocol.TCP }] });
    const vs = vsOf(objects, 'api');
    for (const route of vs.spec.http) {
      for (const m of route.match) expect(m.port).toBe(9000);
      for (const r of route.route) expect(r.destination.port.number).toBe(9000);
    }
    expect(vs.spec.tcp).toEqual([{
      match: [{ port: 9100 }],
      route: [
        { destination: { host: 'api.shop.svc.cluster.local', subset: 'v1', port: { number: 9100 } }, weight: 95 },
        { destination: { host: 'api.shop.svc.cluster.local', subset: 'v2', port: { number: 9100 } }, weight: 5 },
      ],
    }]);
    expectValid(objects);
  });
});

describe('resilience', () => {
  test('idempotent methods retry within the timeout; everything else, POST included, has attempts 0', () => {
    const objects = render(({ api, web, batch }) => {
      api.allowFrom(web, { methods: ['GET', 'PUT'], paths: ['/items/{*}'] });
      api.allowFrom(batch, { methods: ['POST'], paths: ['/jobs'] });
    });
    const [idempotent, rest] = vsOf(objects, 'api').spec.http;
    expect(idempotent).toMatchObject({
      name: 'idempotent', timeout: '30s', match: [{ method: { exact: 'GET' } }, { method: { exact: 'PUT' } }],
      retries: { attempts: 2, perTryTimeout: '10s', retryOn: 'connect-failure,reset,503' },
    });
    expect(rest).toMatchObject({ name: 'default', timeout: '30s', retries: { attempts: 0 } });
    expect(rest.match).toBeUndefined();
  });

  test('a call of POSTs only renders no retry route at all', () => {
    const objects = render(({ api, batch }) => { api.allowFrom(batch, { methods: ['POST'] }); });
    expect(vsOf(objects, 'api').spec.http.map((r: any) => [r.name, r.retries.attempts])).toEqual([['default', 0]]);
  });

  test('per call: own timeout and retries, matched by caller, method and path; declared idempotency is honoured', () => {
    const objects = render(({ api, web, batch }) => {
      api.allowFrom(web, { methods: ['GET'], paths: ['/slow/*'], timeout: Duration.seconds(6), retries: { attempts: 1, perTryTimeout: Duration.seconds(3) } });
      api.allowFrom(batch, { methods: ['POST'], paths: ['/v1/embed'], idempotent: true });
      api.allowFrom(batch, { methods: ['DELETE'], paths: ['/v1/items/{*}'], idempotent: false });
    });
    const http = vsOf(objects, 'api').spec.http;
    // Calls in the model's order (by caller, then methods and paths), whatever the order they were declared in.
    expect(http.map((r: any) => `${r.name} ${r.timeout} ${r.retries.attempts}`)).toEqual([
      'from-batch 30s 0', 'from-batch-retry 30s 2', 'from-web-retry 6s 1', 'default 30s 0',
    ]);
    expect(http[2].match).toEqual([{ sourceLabels: { app: 'web' }, sourceNamespace: 'shop', method: { exact: 'GET' }, uri: { prefix: '/slow/' } }]);
    expect(http[2].retries.perTryTimeout).toBe('3s');
    expect(http[1].match).toEqual([{ sourceLabels: { app: 'batch' }, sourceNamespace: 'shop', method: { exact: 'POST' }, uri: { exact: '/v1/embed' } }]);
    expect(http[0].match).toEqual([{ sourceLabels: { app: 'batch' }, sourceNamespace: 'shop', method: { exact: 'DELETE' }, uri: { regex: '/v1/items/[^/]+' } }]);
    expectValid(objects);
  });

  test('DestinationRule: connection pool, outlier detection, load balancing, and no TLS block by default', () => {
    const objects = render(() => undefined, {
      resilience: {
        connectionPool: { maxConnections: 10, maxPendingRequests: 5, maxRequests: 50, maxRequestsPerConnection: 3, connectTimeout: Duration.millis(500) },
        outlierDetection: { consecutiveServerErrors: 3, interval: Duration.seconds(20), baseEjectionTime: Duration.minutes(1), maxEjectionPercent: 30 },
        loadBalancing: 'LEAST_REQUEST' as any,
      },
    });
    expect(drOf(objects, 'api').spec.trafficPolicy).toEqual({
      loadBalancer: { simple: 'LEAST_REQUEST' },
      connectionPool: { tcp: { maxConnections: 10, connectTimeout: '0.5s' }, http: { http1MaxPendingRequests: 5, http2MaxRequests: 50, maxRequestsPerConnection: 3 } },
      outlierDetection: { consecutive5xxErrors: 3, interval: '20s', baseEjectionTime: '60s', maxEjectionPercent: 30 },
    });
    expect(drOf(objects, 'web').spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100, http2MaxRequests: 1000 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
    });
    expectValid(objects);
  });

  test('explicit ISTIO_MUTUAL when asked, and never another mode', () => {
    const objects = render(() => undefined, {}, new IstioRenderer({ explicitMutualTls: true }));
    for (const dr of ofKind(objects, 'DestinationRule')) expect(dr.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
  });

  test('fault drills: off by default, delay and abort when declared; gRPC retries also on UNAVAILABLE status', () => {
    let objects = render(() => undefined);
    expect(ofKind(objects, 'VirtualService').flatMap(vs => vs.spec.http).filter((r: any) => 'fault' in r)).toEqual([]);
    objects = render(({ api, web }) => { api.allowFrom(web, { idempotent: true }); }, {
      ports: [{ port: 9000, protocol: Protocol.GRPC }],
      resilience: { fault: { delay: { percent: 10, duration: Duration.seconds(2) }, abort: { percent: 1, httpStatus: 503 } }, retries: { on: [RetryCondition.UNAVAILABLE] } },
    });
    const route = vsOf(objects, 'api').spec.http[0];
    expect(route.name).toBe('from-web-retry');
    expect(route.retries.retryOn).toBe('503,unavailable');
    expect(route.fault).toEqual({ delay: { percentage: { value: 10 }, fixedDelay: '2s' }, abort: { percentage: { value: 1 }, httpStatus: 503 } });
    expectValid(objects);
  });

  test('a fault drill for one caller only: its own route carries the fault, other callers none', () => {
    const objects = render(({ api, web, batch }) => {
      api.allowFrom(web, { methods: ['GET'], fault: { abort: { percent: 50, httpStatus: 503 } } });
      api.allowFrom(batch, { methods: ['GET'] });
    });
    const http = vsOf(objects, 'api').spec.http;
    expect(http.map((r: any) => [r.name, r.fault?.abort?.percentage?.value ?? null])).toEqual([['from-web-retry', 50], ['idempotent', null], ['default', null]]);
    expect(http[0].match).toEqual([{ sourceLabels: { app: 'web' }, sourceNamespace: 'shop', method: { exact: 'GET' } }]);
    expect(failure(({ api, web }) => { api.allowFrom(web, { fault: { abort: { percent: 150, httpStatus: 503 } } }); })).toMatch('options.fault.abort.percent: 150 is out of range; write a number from 0 to 100');
    expectValid(objects);
  });
});

describe('validation: each mistake is a clear synth error', () => {
  test('weights that do not sum to 100', () => {
    expect(failure(({ api }) => api.traffic.route({ weights: { v1: 90, v2: 20 } })))
      .toMatch(/\[shop\/Mesh\/shop\/api\] weights v1=90, v2=20 sum to 110, not 100: make the percentages add up to 100/);
  });

  test('a route to a version that does not exist', () => {
    expect(failure(({ api }) => api.traffic.route({ canary: { version: 'v3', weight: 5 } })))
      .toMatch(/canary routes to version "v3", which api does not run \(it runs v1, v2\): add it with addVersion\(\)/);
    expect(failure(({ api }) => api.traffic.route({ match: [{ version: 'v9', headers: { 'x-a': 'b' } }] }))).toMatch(/match\[0\] routes to version "v9"/);
  });

  test('a subset whose labels select no pod: a routed version with 0 replicas, or subset labels patched away from every pod', () => {
    expect(failure(({ api }) => {
      api.addVersion('v3', { image: 'example/api:3.0.0', replicas: 0 });
      api.traffic.route({ canary: { version: 'v3', weight: 1 } });
    })).toMatch(/version "v3" receives requests but runs 0 replicas, so its subset selects no pod/);
    expect(failure(({ api }) => {
      api.namespace.mesh.render(); // to reach the rendered DestinationRule
      const routes = api.node.findChild('Traffic') as any;
      routes.destinationRule.addJsonPatch(JsonPatch.replace('/spec/subsets/1/labels/version', 'v2-typo'));
    })).toMatch(/subset "v2" of api.shop.svc.cluster.local has labels \{"app":"api","version":"v2-typo"\} that select no pod template/);
  });

  test('a mirror to the same subset', () => {
    expect(failure(({ api }) => api.traffic.route({ canary: { version: 'v2', weight: 10 }, mirror: { version: 'v2', percent: 50 } })))
      .toMatch(/mirror to "v2", which also receives 10% of the split/);
  });

  test('retries on a non-idempotent route', () => {
    expect(failure(({ api, batch }) => { api.allowFrom(batch, { methods: ['POST'], retries: { attempts: 2 } }); }))
      .toMatch(/\[shop\/Mesh\/shop\/api <- shop\/Mesh\/shop\/batch\] retries on a call that is not idempotent \(POST\) would replay requests that change state: remove retries, or declare idempotent: true/);
    expect(failure(({ api, batch }) => { api.allowFrom(batch, { retries: { attempts: 1 } }); })).toMatch(/not idempotent \(any method\)/);
  });

  test('a per-try timeout budget above the request timeout: for the service and for one call', () => {
    expect(failure(() => undefined, { resilience: { timeout: Duration.seconds(5), retries: { attempts: 2, perTryTimeout: Duration.seconds(2) } } }))
      .toMatch(/\[shop\/Mesh\/shop\/api\] retries need 3 tries x perTryTimeout 2s = 6s, more than the request timeout 5s: lower attempts or perTryTimeout, or raise the timeout/);
    expect(failure(({ api, web }) => { api.allowFrom(web, { methods: ['GET'], timeout: Duration.seconds(2) }); },
      { resilience: { retries: { attempts: 2, perTryTimeout: Duration.seconds(5) } } }))
      .toMatch(/the call from web: retries need 3 tries x perTryTimeout 5s = 15s, more than the request timeout 2s/);
  });

  test('two routes for one host declared in two places', () => {
    expect(failure(({ api }) => {
      api.traffic.route({ canary: { version: 'v2', weight: 1 } });
      applyReleases(api.node.scope!.node.scope as Mesh, parseReleaseFile({ services: { api: { stable: 'v2' } } }, 'releases.json'), 'releases.json');
    })).toMatch(/the routes of api.shop.svc.cluster.local are declared in two places \(code and releases.json \$.services\["api"\]\): declare them once/);
    expect(failure(({ chart }) => {
      new VirtualService(chart, 'HandWritten', { metadata: { name: 'api-extra', namespace: 'shop' }, spec: { hosts: ['api'], http: [] } });
    })).toMatch(/the routes of api.shop.svc.cluster.local are declared in two places \(VirtualServices shop\/Mesh\/shop\/api\/Traffic\/VirtualService and shop\/HandWritten\)/);
  });

  test('a TLS mode other than ISTIO_MUTUAL', () => {
    expect(failure(({ api }) => {
      api.namespace.mesh.render();
      (api.node.findChild('Traffic') as any).destinationRule.addJsonPatch(JsonPatch.add('/spec/trafficPolicy/tls', { mode: 'DISABLE' }));
    })).toMatch(/DestinationRule api sets tls mode DISABLE, which turns Istio mTLS off for api.shop.svc.cluster.local under STRICT/);
  });

  test('routing shape mistakes', () => {
    expect(failure(({ api }) => api.traffic.route({ canary: { version: 'v2', weight: 120 } }))).toMatch('[shop/Mesh/shop/api] routing.canary.weight: 120 is not a percentage; write an integer from 0 to 100');
    expect(failure(({ api }) => api.traffic.route({ canary: { version: 'v1', weight: 5 } }))).toMatch(/canary version "v1" is also the stable version/);
    expect(failure(({ api }) => api.traffic.route({ match: [{ version: 'v2', headers: { 'X-Cohort': 'b' } }] }))).toMatch(/header "X-Cohort" is not a lower-case header name/);
    expect(failure(({ api }) => api.traffic.route({ match: [{ version: 'v2', callers: ['batch'] }] }))).toMatch(/match\[0\] routes requests from batch, which does not call api/);
    expect(failure(({ api }) => api.traffic.route({ match: [{ version: 'v2', callers: ['nope'] }] })))
      .toMatch(/\[shop\/Mesh\/shop\/api\] match\[0\] names caller "nope": no workload "nope" is declared in the mesh/);
    expect(failure(({ api }) => api.traffic.route({ canary: { version: 'v2', weight: 1, steps: [5, 1, 100] } }))).toMatch(/steps \[5, 1, 100\] are not ascending/);
  });

  test('per-call traffic on a peer deployed elsewhere or on a TCP port', () => {
    expect(failure(({ mesh, web }) => {
      const redis = new ExistingWorkload(mesh.addNamespace('infra', { create: false }), 'redis', { selector: { app: 'redis' }, serviceAccountName: 'redis', ports: [{ port: 6379, protocol: Protocol.TCP }] });
      redis.allowFrom(web, { timeout: Duration.seconds(1) });
    })).toMatch(/redis is deployed elsewhere: remove them/);
    expect(failure(({ api, web }) => { api.allowFrom(web, { timeout: Duration.seconds(1) }); }, { ports: [{ port: 9000, protocol: Protocol.TCP }] }))
      .toMatch(/the port is TCP: a TCP connection has no requests to time out, retry or fault/);
  });

  test('release file mistakes name the file and key', () => {
    expect(() => parseReleaseFile({ services: { api: { weigths: {} } } }, 'releases.json')).toThrow('[releases.json $.services["api"].weigths] unknown key "weigths": use versions, stable, canary, weights, match, mirror');
    expect(failure(({ mesh }) => applyReleases(mesh, parseReleaseFile({ services: { nope: { stable: 'v1' } } }, 'releases.json'), 'releases.json')))
      .toMatch(/\[releases.json \$.services\["nope"\]\] no workload "nope" is declared in the mesh/);
  });

  test('a failed synth leaves nothing half-written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-'));
    expect(() => synthesizeAtomically(path.join(dir, 'dist'), app => {
      shop(app, {}, undefined).api.traffic.route({ weights: { v1: 1 } });
    })).toThrow(/sum to 1, not 100/);
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
