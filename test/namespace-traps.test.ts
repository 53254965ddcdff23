import { App, Chart, Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ExistingWorkload, IstioRenderer, LinkerdRenderer, Mesh, MeshService, PublicIngress } from '../src';
import { K8sObject } from './support/manifests';
import { connectionAllowed, NetPod } from './support/network-policy';

/** The namespace and mesh traps: each renders what the user would not guess, or nothing where they would expect something. */
const image = 'example/app:1.0.0';
const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' };

function synth(app: App): K8sObject[] {
  app.synth();
  return app.charts.flatMap(c => c.toJson()) as K8sObject[];
}

describe('Istio\'s root namespace never gets a mesh-wide policy unless asked for by name', () => {
  const build = (declare: (mesh: Mesh) => void, rootNamespace?: string) => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer({ rootNamespace }) });
    const shop = mesh.addNamespace('shop');
    const api = new MeshService(shop, 'api', { image, ports: [{ port: 8080 }] });
    declare(mesh);
    const gateway = mesh.workload('ingressgateway');
    api.allowFrom(gateway);
    new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    return synth(app);
  };
  const meshWide = (objects: K8sObject[], root: string) => objects.filter(o => o.kind === 'PeerAuthentication' && o.metadata.namespace === root && !o.spec.selector);

  test('declaring istio-system only to name the ingress gateway renders no namespace-wide PeerAuthentication there', () => {
    const objects = build(mesh => new ExistingWorkload(mesh.addNamespace('istio-system', { create: false }), 'ingressgateway', {
      selector: { istio: 'ingressgateway' }, serviceAccountName: 'istio-ingressgateway-service-account',
    }));
    expect(meshWide(objects, 'istio-system')).toEqual([]);
    // The gateway's own workload is STRICT by a selector, which covers it alone.
    const own = objects.filter(o => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'istio-system');
    expect(own.map(o => o.spec)).toEqual([{ selector: { matchLabels: { istio: 'ingressgateway' } }, mtls: { mode: 'STRICT' } }]);
    expect(objects.filter(o => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'istio-system' && !o.spec.selector)).toEqual([]);
  });

  test('the configured root namespace is the one protected', () => {
    const objects = build(mesh => new ExistingWorkload(mesh.addNamespace('mesh-root', { create: false }), 'ingressgateway', {
      selector: { istio: 'ingressgateway' }, serviceAccountName: 'gateway',
    }), 'mesh-root');
    expect(meshWide(objects, 'mesh-root')).toEqual([]);
  });

  test('mesh.enforceStrictMtlsMeshWide() renders the one mesh-wide STRICT policy, in the root namespace', () => {
    const objects = build(mesh => {
      mesh.enforceStrictMtlsMeshWide();
      new ExistingWorkload(mesh.addNamespace('istio-system', { create: false }), 'ingressgateway', { selector: { istio: 'ingressgateway' }, serviceAccountName: 'gw' });
    });
    expect(meshWide(objects, 'istio-system').map(o => ({ name: o.metadata.name, spec: o.spec }))).toEqual([{ name: 'default', spec: { mtls: { mode: 'STRICT' } } }]);
  });

  test('deny-by-default in the root namespace is refused at synth: it would deny the whole mesh', () => {
    expect(() => build(mesh => new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, defaultDeny: true }), 'ingressgateway', {
      selector: { istio: 'ingressgateway' }, serviceAccountName: 'gw',
    })))
      .toThrow(/\[c\/Mesh\/istio-system\] defaultDeny in istio-system, Istio's root namespace, would be an allow-nothing policy for the whole mesh/);
  });

  test('under Linkerd, the mesh-wide request is reported once, naming the mesh', () => {
    const warnings: string[] = [];
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer({ probeNetworks: ['10.0.0.0/8'] }), warningSink: { warn: w => warnings.push(w) } });
    mesh.enforceStrictMtlsMeshWide();
    expect(() => mesh.enforceStrictMtlsMeshWide()).toThrow(/called twice/);
    Testing.synth(chart);
    Testing.synth(chart);
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\] Linkerd: mesh-wide strict mTLS is not rendered: .*proxy\.defaultInboundPolicy/)]);
  });
});

test('a service in a namespace of another chart (create: false) can still reach DNS and the control plane', () => {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const legacy = mesh.addNamespace('legacy', { create: false });
  const worker = new MeshService(legacy, 'worker', { image, ports: [{ port: 8080 }] });
  const objects = synth(app);
  const policies = objects.filter(o => o.kind === 'NetworkPolicy');
  const pod: NetPod = { namespace: 'legacy', labels: { ...worker.selector }, ip: '10.1.0.5' };
  const dns: NetPod = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.0.0.10' };
  const istiod: NetPod = { namespace: 'istio-system', labels: { app: 'istiod' }, ip: '10.0.0.20' };
  expect(connectionAllowed(policies, pod, dns, 53, 'UDP')).toBe(true);
  expect(connectionAllowed(policies, pod, dns, 53, 'TCP')).toBe(true);
  expect(connectionAllowed(policies, pod, istiod, 15012)).toBe(true);
  // Still closed to everything else.
  expect(connectionAllowed(policies, pod, { namespace: 'kube-system', labels: { app: 'other' }, ip: '10.0.0.30' }, 53, 'UDP')).toBe(false);
  expect(connectionAllowed(policies, pod, istiod, 8080)).toBe(false);
});

describe('PublicIngress routes through the backend\'s versions', () => {
  const edge = (routing: (api: MeshService) => void) => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const api = new MeshService(mesh.addNamespace('shop'), 'api', { image, ports: [{ port: 8080 }] });
    const gateway = new ExistingWorkload(mesh.addNamespace('istio-system', { create: false }), 'gw', { selector: { istio: 'ingressgateway' }, serviceAccountName: 'gw' });
    api.allowFrom(gateway);
    api.addVersion('v2', { image: 'example/app:2.0.0' });
    routing(api);
    new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    const objects = synth(app);
    const vs = objects.find(o => o.kind === 'VirtualService' && o.spec.hosts.includes('api.example.com'))!;
    return vs.spec.http.map((r: any) => ({ match: r.match, route: r.route.map((d: any) => `${d.destination.subset}:${d.weight}`) }));
  };

  test('a canary at 10% gets 10% of the public traffic too', () => {
    expect(edge(api => api.traffic.route({ canary: { version: 'v2', weight: 10 } }))).toEqual([{ match: undefined, route: ['v1:90', 'v2:10'] }]);
  });

  test('a rollback (canary at 0) sends the public traffic back to stable', () => {
    expect(edge(api => api.traffic.route({ canary: { version: 'v2', weight: 0 } }))).toEqual([{ match: undefined, route: ['v1:100'] }]);
  });

  test('a new stable version takes the public traffic; header matches apply at the edge', () => {
    expect(edge(api => api.traffic.route({ stable: 'v2', match: [{ version: 'v1', headers: { 'x-legacy': 'true' } }] }))).toEqual([
      { match: [{ headers: { 'x-legacy': { exact: 'true' } } }], route: ['v1:100'] },
      { match: undefined, route: ['v2:100'] },
    ]);
  });
});

test('a call across two Meshes of one App is an error naming both meshes and the fix', () => {
  const app = Testing.app();
  const one = new Mesh(new Chart(app, 'one'), 'Mesh', { renderer: new IstioRenderer() });
  const two = new Mesh(new Chart(app, 'two'), 'Mesh', { renderer: new IstioRenderer() });
  const a = new MeshService(one.addNamespace('a'), 'a', { image, ports: [{ port: 80 }] });
  const b = new MeshService(two.addNamespace('b'), 'b', { image, ports: [{ port: 80 }] });
  expect(() => a.allowFrom(b)).toThrow(/^\[one\/Mesh\/a\/a <- two\/Mesh\/b\/b\] b is in mesh two\/Mesh and a in mesh one\/Mesh: .*declare both workloads in one Mesh$/);
});

describe('a workload the mesh does not know, in a deny-by-default namespace, is a warning naming it', () => {
  const render = (declare: (chart: Chart, mesh: Mesh) => void) => {
    const warnings: string[] = [];
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer(), warningSink: { warn: w => warnings.push(w) } });
    mesh.addNamespace('shop');
    mesh.addNamespace('legacy', { create: false });
    new MeshService(mesh.namespaces[0], 'api', { image, ports: [{ port: 8080 }] });
    declare(chart, mesh);
    app.synth();
    return warnings;
  };

  test('a cdk8s-plus Deployment, a raw StatefulSet in another chart, a CronJob: each named once', () => {
    const warnings = render(chart => {
      new kplus.Deployment(chart, 'Cache', { metadata: { namespace: 'shop' }, containers: [{ image }] });
      new kplus.CronJob(chart, 'Cleanup', { metadata: { namespace: 'shop' }, schedule: Cron.hourly(), containers: [{ image }] });
      const other = new Chart(chart.node.scope as App, 'other', { namespace: 'shop' });
      new kplus.k8s.KubeStatefulSet(other, 'Db', { spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } } } });
    });
    expect(warnings).toHaveLength(3);
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\[c\/Cache\/Resource\] Deployment shop\/c-cache-\S+ runs in namespace shop, which denies by default, but the mesh does not know it: .*MeshService\.adopt/),
      expect.stringMatching(/^\[c\/Cleanup\/Resource\] CronJob shop\//),
      expect.stringMatching(/^\[other\/Db\] StatefulSet shop\/other-db-\S+ runs in namespace shop/),
    ]));
  });

  test('no warning for the mesh\'s own, an adopted workload, or one in a namespace that does not deny by default', () => {
    const warnings = render((chart, mesh) => {
      MeshService.adopt(mesh.namespaces[0], 'web', { workload: new kplus.Deployment(chart, 'Web', { containers: [{ image, portNumber: 80 }] }) });
      new kplus.Deployment(chart, 'Old', { metadata: { namespace: 'legacy' }, containers: [{ image }] });
    });
    expect(warnings).toEqual([]);
  });
});
