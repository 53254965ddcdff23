import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AdoptedWorkload, IstioRenderer, LinkerdRenderer, Mesh, MeshService, Protocol } from '../src';
import { KubernetesSchemas } from './support/k8s-schema';
import { K8sObject } from './support/manifests';

/** Bookinfo's ratings as the user's own cdk8s-plus Deployment, adopted into a mesh beside declared services. */
function bookinfo() {
  const chart = new Chart(Testing.app(), 'bookinfo', { namespace: 'bookinfo' });
  const ratingsDeployment = new kplus.Deployment(chart, 'Ratings', {
    containers: [{ image: 'docker.io/istio/examples-bookinfo-ratings-v1:1.20.2', ports: [{ number: 9080 }], securityContext: { ensureNonRoot: false } }],
  });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const ns = mesh.addNamespace('bookinfo');
  const ratings = MeshService.adopt(ns, 'ratings', { workload: ratingsDeployment, ports: [{ port: 80, targetPort: 9080 }] });
  const reviews = new MeshService(ns, 'reviews', { image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2', ports: [{ port: 9080 }] });
  const mongodb = new MeshService(ns, 'mongodb', { image: 'docker.io/istio/examples-bookinfo-mongodb:1.20.2', ports: [{ port: 27017, protocol: Protocol.TCP }] });
  ratings.allowFrom(reviews, { methods: ['GET'], paths: ['/ratings/{*}'], env: 'RATINGS_URL' });
  mongodb.allowFrom(ratings, { env: { name: 'MONGO_DB_URL', scheme: 'mongodb', path: '/test' } });
  return { chart, ratings, ratingsDeployment, objects: Testing.synth(chart) as K8sObject[] };
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find(o => o.kind === kind && o.metadata.name === name)!;

describe('a cdk8s-plus Deployment adopted into the mesh', () => {
  const { ratings, ratingsDeployment, objects } = bookinfo();
  const deployment = objects.find(o => o.kind === 'Deployment' && o.metadata.name === ratingsDeployment.name)!;

  test('its pods carry app=ratings, run as their own ServiceAccount, and name their port for its protocol', () => {
    expect(deployment.spec.template.metadata.labels.app).toBe('ratings');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('ratings');
    expect(named(objects, 'ServiceAccount', 'ratings').automountServiceAccountToken).toBe(false);
    expect(deployment.spec.template.spec.containers[0].ports).toEqual([expect.objectContaining({ containerPort: 9080, name: 'http-9080' })]);
    expect(named(objects, 'Service', 'ratings').spec).toEqual({
      selector: { app: 'ratings' }, ports: [{ name: 'http-80', appProtocol: 'http', port: 80, targetPort: 9080, protocol: 'TCP' }],
    });
    expect(ratings.principal).toBe('cluster.local/ns/bookinfo/sa/ratings');
  });

  test('its callers\' policy admits exactly reviews, on container port 9080, GET /ratings/{*}', () => {
    const policy = named(objects, 'AuthorizationPolicy', 'ratings-callers');
    expect(policy.metadata.namespace).toBe('bookinfo');
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'ratings' } });
    expect(policy.spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/reviews'] } }],
      to: [{ operation: { ports: ['9080'], methods: ['GET'], paths: ['/ratings/{*}'] } }],
    }]);
  });

  test('its Sidecar sees only its callee mongodb', () => {
    const sidecar = objects.find(o => o.kind === 'Sidecar' && o.spec.workloadSelector?.labels?.app === 'ratings')!;
    expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(sidecar.spec.egress[0].hosts).toEqual(expect.arrayContaining(['bookinfo/mongodb.bookinfo.svc.cluster.local']));
    expect(sidecar.spec.egress[0].hosts.filter((h: string) => h.includes('.svc.'))).toEqual(['bookinfo/mongodb.bookinfo.svc.cluster.local']);
  });

  test('its NetworkPolicy: ingress from reviews on 9080, egress to mongodb on 27017', () => {
    const policy = named(objects, 'NetworkPolicy', 'ratings-calls');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { app: 'ratings' } });
    expect(policy.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } }, podSelector: { matchLabels: { app: 'reviews' } } }],
      ports: [{ protocol: 'TCP', port: 9080 }],
    }]);
    expect(policy.spec.egress).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } }, podSelector: { matchLabels: { app: 'mongodb' } } }],
      ports: [{ protocol: 'TCP', port: 27017 }],
    }]);
  });

  test('it finds its callee by env, and its caller finds it at its Service port', () => {
    expect(deployment.spec.template.spec.containers[0].env).toEqual([{ name: 'MONGO_DB_URL', value: 'mongodb://mongodb.bookinfo.svc.cluster.local:27017/test' }]);
    const reviews = objects.find(o => o.kind === 'Deployment' && o.metadata.name === 'reviews-v1')!;
    expect(reviews.spec.template.spec.containers[0].env).toEqual([{ name: 'RATINGS_URL', value: 'http://ratings.bookinfo.svc.cluster.local:80' }]);
  });

  test('every Kubernetes object is valid against its schema', () => {
    const schemas = new KubernetesSchemas();
    expect(objects.filter(o => schemas.knows(o)).flatMap(o => schemas.errors(o))).toEqual([]);
  });
});

describe('adoption refuses what would break the mesh', () => {
  const attempt = (build: (chart: Chart, ns: ReturnType<Mesh['addNamespace']>) => void) => () => {
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    build(chart, mesh.addNamespace('shop'));
  };
  const image = 'example/web:1.0.0';

  test('a workload in another namespace', () => {
    expect(attempt((chart, ns) => new AdoptedWorkload(ns, 'web', { workload: new kplus.Deployment(chart, 'W', { metadata: { namespace: 'other' }, containers: [{ image, portNumber: 80 }] }) })))
      .toThrow(/\[c\/Mesh\/shop\/web\] the workload is in namespace "other", not "shop"/);
  });

  test('a container port no container declares', () => {
    expect(attempt((chart, ns) => new AdoptedWorkload(ns, 'web', { workload: new kplus.Deployment(chart, 'W', { containers: [{ image, portNumber: 80 }] }), ports: [{ port: 81 }] })))
      .toThrow(/no container of the workload declares port 81: add it to the container/);
  });

  test('pods labelled with another app name', () => {
    expect(attempt((chart, ns) => new AdoptedWorkload(ns, 'web', { workload: new kplus.Deployment(chart, 'W', { podMetadata: { labels: { app: 'shop-web' } }, containers: [{ image }] }) })))
      .toThrow(/its pods are labelled app=shop-web: adopt it under the name "shop-web"/);
  });

  test('something that is not a cdk8s-plus workload', () => {
    expect(attempt((_chart, ns) => new AdoptedWorkload(ns, 'web', { workload: {} as kplus.Deployment })))
      .toThrow(/\[c\/Mesh\/shop\/web\] workload is not a cdk8s-plus Deployment or StatefulSet/);
  });

  test('a StatefulSet is adopted too', () => {
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const ns = mesh.addNamespace('shop');
    const db = new kplus.StatefulSet(chart, 'Db', { containers: [{ image: 'example/db:1.0.0', ports: [{ number: 5432 }] }] });
    const adopted = new AdoptedWorkload(ns, 'db', { workload: db, ports: [{ port: 5432, protocol: Protocol.TCP }] });
    const api = new MeshService(ns, 'api', { image, ports: [{ port: 8080 }] });
    adopted.allowFrom(api, { env: 'DB_ADDR' });
    const objects = Testing.synth(chart) as K8sObject[];
    const set = objects.find(o => o.kind === 'StatefulSet')!;
    expect(set.spec.template.spec.containers[0].ports[0].name).toBe('tcp-5432');
    // Its governing (headless) Service is read by the mesh too: its port is named as well.
    const governing = objects.find(o => o.kind === 'Service' && o.metadata.name === set.spec.serviceName)!;
    expect(governing.spec.ports[0]).toMatchObject({ name: 'tcp-5432', appProtocol: 'tcp', port: 5432 });
    expect(named(objects, 'AuthorizationPolicy', 'db-callers').spec.rules[0].to).toEqual([{ operation: { ports: ['5432'] } }]);
    expect(objects.find(o => o.metadata.name === 'api-v1')!.spec.template.spec.containers[0].env).toEqual([{ name: 'DB_ADDR', value: 'db.shop.svc.cluster.local:5432' }]);
  });
});

test('under Linkerd, an adopted workload\'s HTTP probes stay authorized once its port has routes', () => {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  const web = new kplus.Deployment(chart, 'Web', {
    containers: [{ image: 'example/web:1.0.0', ports: [{ number: 8080 }], readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080 }) }],
  });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer() });
  const ns = mesh.addNamespace('shop');
  const adopted = MeshService.adopt(ns, 'web', { workload: web });
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 9000 }] });
  adopted.allowFrom(api, { methods: ['GET'], paths: ['/v1/items'] });
  const objects = Testing.synth(chart) as K8sObject[];
  // The web port's own probe route (the proxy's admin port has a kubelet route of its own, for /live and /ready).
  const probeRoute = objects.find(o => o.kind === 'HTTPRoute' && JSON.stringify(o.spec.rules).includes('/ready')
    && o.spec.parentRefs.some((p: any) => p.kind === 'Server' && p.name.startsWith('web')))!;
  expect(probeRoute.spec.rules[0].matches).toEqual([{ method: 'GET', path: { type: 'Exact', value: '/ready' } }]);
  const kubelet = objects.find(o => o.kind === 'AuthorizationPolicy' && o.spec.targetRef.name === probeRoute.metadata.name)!;
  expect(kubelet.spec.requiredAuthenticationRefs).toEqual([expect.objectContaining({ kind: 'NetworkAuthentication', name: 'kubelet' })]);
});
