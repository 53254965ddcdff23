import * as path from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Delivery, ExistingWorkload, HealthCheck, IstioRenderer, LinkerdRenderer, Mesh, MeshService, Protocol } from '../src';
import { CrdSchemas } from './support/crd-schema';
import { KubernetesSchemas } from './support/k8s-schema';
import { K8sObject, SHARED } from './support/manifests';

const kubernetes = new KubernetesSchemas();
const crds = new CrdSchemas(
  path.join(SHARED, 'istio', 'crd-all.gen.yaml'), path.join(SHARED, 'linkerd', 'crds.yaml'), path.join(SHARED, 'gateway-api', 'standard-install.yaml'),
);

/** A complete workload (Bookinfo's reviews, with its configuration from a Secret, a ConfigMap and the pod) and a caller that finds it by env. */
function shop(renderer: IstioRenderer | LinkerdRenderer) {
  const chart = new Chart(Testing.app(), 'shop');
  const mesh = new Mesh(chart, 'Mesh', { renderer });
  const ns = mesh.addNamespace('shop');
  const secret = kplus.Secret.fromSecretName(chart, 'Db', 'reviews-db');
  const config = kplus.ConfigMap.fromConfigMapName(chart, 'Settings', 'reviews-settings');
  const reviews = new MeshService(ns, 'reviews', {
    image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2',
    ports: [{ port: 80, targetPort: 8080 }],
    env: {
      LOG_DIR: '/tmp/logs',
      DB_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }),
      STAR_COLOR: kplus.EnvValue.fromConfigMap(config, 'star-color'),
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
    },
    envFrom: [kplus.Env.fromSecret(secret), kplus.Env.fromConfigMap(config, 'APP_')],
    volumeMounts: [
      { path: '/opt/ibm/wlp/output', volume: kplus.Volume.fromEmptyDir(chart, 'WlpOutput', 'wlp-output', { sizeLimit: Size.mebibytes(256) }) },
      { path: '/etc/reviews/tls', volume: kplus.Volume.fromSecret(chart, 'Tls', kplus.Secret.fromSecretName(chart, 'TlsSecret', 'reviews-tls')), readOnly: true },
    ],
    liveness: HealthCheck.http('/health', { initialDelay: Duration.seconds(10), period: Duration.seconds(15), timeout: Duration.seconds(3) }),
    resources: { cpu: { request: kplus.Cpu.millis(200) }, memory: { limit: Size.gibibytes(1) } },
    autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 75, memoryUtilization: 80 },
    disruptionBudget: { minAvailable: 1 },
  });
  const productpage = new MeshService(ns, 'productpage', { image: 'docker.io/istio/examples-bookinfo-productpage-v1:1.20.2', ports: [{ port: 9080 }] });
  reviews.allowFrom(productpage, { methods: ['GET'], paths: ['/reviews/{*}'], env: 'REVIEWS_URL' });
  return { chart, reviews, productpage, objects: Testing.synth(chart) as K8sObject[] };
}

const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find(o => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map(o => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const container = (objects: K8sObject[], deployment: string) => find(objects, 'Deployment', deployment).spec.template.spec.containers[0];

describe.each([['Istio', () => new IstioRenderer()], ['Linkerd', () => new LinkerdRenderer()]] as const)('a complete workload under %s', (_mesh, renderer) => {
  const { objects } = shop(renderer());

  test('every object is valid against Kubernetes\' schema for its kind, or its CRD', () => {
    const errors = objects.flatMap(o => kubernetes.knows(o) ? kubernetes.errors(o) : crds.errors(o));
    expect(errors).toEqual([]);
    // The oracle rejects what the API server rejects.
    expect(kubernetes.errors({ ...find(objects, 'Service', 'reviews'), spec: { ports: [{ port: '80x', bogus: 1 }] } })).toEqual([
      'Service shop/reviews: /spec/ports/0/port is "80x", not a number',
      'Service shop/reviews: /spec/ports/0/bogus is not a field of ServicePort',
    ]);
  });

  test('env from literals, Secret and ConfigMap keys and a pod field; envFrom; the callee\'s URL from the call graph', () => {
    const reviews = container(objects, 'reviews-v1');
    expect(reviews.env).toEqual([
      { name: 'LOG_DIR', value: '/tmp/logs' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'reviews-db', key: 'password' } } },
      { name: 'STAR_COLOR', valueFrom: { configMapKeyRef: { name: 'reviews-settings', key: 'star-color' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    expect(reviews.envFrom).toEqual([{ secretRef: { name: 'reviews-db' } }, { configMapRef: { name: 'reviews-settings' }, prefix: 'APP_' }]);
    expect(container(objects, 'productpage-v1').env).toEqual([{ name: 'REVIEWS_URL', value: 'http://reviews.shop.svc.cluster.local:80' }]);
    // No Secret is rendered: the references name the operator's.
    expect(objects.filter(o => o.kind === 'Secret' || o.kind === 'ConfigMap')).toEqual([]);
  });

  test('volumes and mounts beside the read-only root filesystem', () => {
    const deployment = find(objects, 'Deployment', 'reviews-v1');
    const reviews = deployment.spec.template.spec.containers[0];
    expect(reviews.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(reviews.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'wlp-output', mountPath: '/opt/ibm/wlp/output' },
      { name: 'secret-reviews-tls', mountPath: '/etc/reviews/tls', readOnly: true },
    ].map(m => expect.objectContaining(m)));
    const volumes = deployment.spec.template.spec.volumes;
    expect(volumes.map((v: any) => v.name)).toEqual(['tmp', 'wlp-output', 'secret-reviews-tls']);
    expect(volumes[1].emptyDir).toEqual({ sizeLimit: '256Mi' });
    expect(volumes[2].secret.secretName).toBe('reviews-tls');
  });

  test('Service port 80 forwards to container port 8080; probes and pod-level rules use 8080', () => {
    const service = find(objects, 'Service', 'reviews');
    expect(service.spec.ports).toEqual([{ name: 'http-80', appProtocol: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
    const reviews = container(objects, 'reviews-v1');
    expect(reviews.ports).toEqual([{ name: 'http-8080', containerPort: 8080, protocol: 'TCP' }]);
    expect(reviews.livenessProbe).toEqual({ httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 3 });
  });

  test('resources in cdk8s-plus terms, each unset field keeping its default', () => {
    expect(container(objects, 'reviews-v1').resources).toEqual({ requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '500m', memory: '1Gi' } });
  });

  test('a HorizontalPodAutoscaler per version and one PodDisruptionBudget over the service\'s pods', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'reviews-v1');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviews-v1' },
      minReplicas: 2, maxReplicas: 6,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
    // The autoscaler owns the count: a fixed one would be reset at every apply.
    expect(find(objects, 'Deployment', 'reviews-v1').spec.replicas).toBeUndefined();
    expect(find(objects, 'Deployment', 'productpage-v1').spec.replicas).toBe(2);
    const pdb = find(objects, 'PodDisruptionBudget', 'reviews');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ selector: { matchLabels: { app: 'reviews' } }, minAvailable: 1 });
  });
});

test('Istio: the AuthorizationPolicy and NetworkPolicies name container port 8080; routes use Service port 80', () => {
  const { objects } = shop(new IstioRenderer());
  const netpol = find(objects, 'NetworkPolicy', 'reviews-calls');
  expect(netpol.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
  const productpageEgress = find(objects, 'NetworkPolicy', 'productpage-calls').spec.egress;
  expect(productpageEgress).toContainEqual(expect.objectContaining({ ports: [{ protocol: 'TCP', port: 8080 }] }));
  const policy = find(objects, 'AuthorizationPolicy', 'reviews-callers');
  expect(policy.spec.rules[0].to[0].operation.ports).toEqual(['8080']);
  const routes = find(objects, 'VirtualService', 'reviews');
  expect(JSON.stringify(routes.spec)).not.toContain('8080');
  expect(routes.spec.http.flatMap((r: any) => r.route.map((d: any) => d.destination.port?.number ?? 80))).toEqual(expect.arrayContaining([80]));
});

test('Linkerd: the Server selects container port 8080', () => {
  const { objects } = shop(new LinkerdRenderer());
  const server = objects.find(o => o.kind === 'Server' && o.metadata.name.startsWith('reviews-'))!;
  expect(server.spec.port).toBe(8080);
});

describe('bad workload input names the construct and the fix', () => {
  const build = (props: Partial<ConstructorParameters<typeof MeshService>[2]>, extra?: (s: MeshService, mesh: Mesh) => void) => () => {
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const ns = mesh.addNamespace('shop');
    const s = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 80, targetPort: 8080 }], ...props });
    extra?.(s, mesh);
    Testing.synth(chart);
  };
  test.each([
    [{ ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 8080 }] }, /\[c\/Mesh\/shop\/web\] container port 8080 is the target of two Service ports/],
    [{ liveness: HealthCheck.tcp({ period: Duration.millis(1500) }) }, /\[c\/Mesh\/shop\/web\] health check period of 1500 ms is not a whole number of seconds/],
    [{ autoscaling: { minReplicas: 3, maxReplicas: 2 } }, /autoscaling.maxReplicas 2 is not a count of at least minReplicas \(3\)/],
    [{ disruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }, /disruptionBudget sets both minAvailable and maxUnavailable/],
    [{ disruptionBudget: { maxUnavailable: '150%' } }, /disruptionBudget.maxUnavailable "150%" is neither a count nor a percentage/],
    [{ metrics: { path: '/metrics', port: 80 } }, /metrics port 80 is not a port of web: use one of 8080/],
    [{ env: { 'BAD NAME': 'x' } }, /env "BAD NAME" is not an environment variable name/],
    [{ disruptionBudget: { minAvailable: 2 }, delivery: Delivery.argoRollouts() }, /the disruption budget keeps 2 pods available, but the Rollout runs 2: no pod could ever be evicted/],
  ] as const)('%p is refused', (props, message) => {
    expect(build(props as any)).toThrow(message);
  });

  test('two volumes of one name, and a mount path with a colon', () => {
    const chart = new Chart(Testing.app(), 'v');
    const a = kplus.Volume.fromEmptyDir(chart, 'A', 'data');
    const b = kplus.Volume.fromEmptyDir(chart, 'B', 'data');
    expect(build({ volumeMounts: [{ path: '/a', volume: a }, { path: '/b', volume: b }] })).toThrow(/two volumes are named "data"/);
    expect(build({ volumeMounts: [{ path: '/a:b', volume: a }] })).toThrow(/mount path "\/a:b" is not an absolute path/);
  });

  test('an env var set both in env and by a call', () => {
    expect(build({ env: { ORDERS_URL: 'http://elsewhere' } }, (web, mesh) => {
      const orders = new MeshService(mesh.namespaces[0], 'orders', { image: 'example/orders:1.0.0', ports: [{ port: 9000 }] });
      orders.allowFrom(web, { env: 'ORDERS_URL' });
    })).toThrow(/env ORDERS_URL is set here and by the call to orders: remove it from env/);
  });
});

test('a version added with its own replica count (a small canary) keeps it and gets no autoscaler', () => {
  const chart = new Chart(Testing.app(), 'c');
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
  const api = new MeshService(mesh.addNamespace('shop'), 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], autoscaling: { maxReplicas: 4 } });
  const canary = api.addVersion('v2', { replicas: 1 });
  const rolledBack = api.addVersion('v3', { replicas: 0 });
  expect(canary.autoscaler).toBeUndefined();
  expect(rolledBack.autoscaler).toBeUndefined();
  const objects = Testing.synth(chart) as K8sObject[];
  expect(objects.filter(o => o.kind === 'HorizontalPodAutoscaler').map(o => o.metadata.name)).toEqual(['api-v1']);
  expect(find(objects, 'HorizontalPodAutoscaler', 'api-v1').spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  expect(find(objects, 'Deployment', 'api-v2').spec.replicas).toBe(1);
  expect(find(objects, 'Deployment', 'api-v3').spec.replicas).toBe(0);
});

describe('a call\'s discovery variable', () => {
  const shop = () => {
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer() });
    const ns = mesh.addNamespace('shop');
    const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
    const orders = new MeshService(ns, 'orders', { image: 'example/orders:1.0.0', ports: [{ port: 9000 }, { port: 9090, protocol: Protocol.GRPC }] });
    const peer = new ExistingWorkload(mesh.addNamespace('infra', { create: false }), 'batch', { selector: { app: 'batch' }, serviceAccountName: 'batch' });
    return { chart, web, orders, peer };
  };

  test('gRPC ports give host:port; a scheme and a path shape the URL', () => {
    const { chart, web, orders } = shop();
    orders.allowFrom(web, { port: 9090, env: 'ORDERS_GRPC' });
    orders.allowFrom(web, { port: 9000, env: { name: 'ORDERS_API', scheme: 'https', path: '/v1' } });
    const objects = Testing.synth(chart) as K8sObject[];
    expect(container(objects, 'web-v1').env).toEqual([
      // In the model's order (callee, then port), whatever the order of declaration.
      { name: 'ORDERS_API', value: 'https://orders.shop.svc.cluster.local:9000/v1' },
      { name: 'ORDERS_GRPC', value: 'orders.shop.svc.cluster.local:9090' },
    ]);
  });

  test.each([
    ['a caller deployed elsewhere', (s: ReturnType<typeof shop>) => s.orders.allowFrom(s.peer, { port: 9000, env: 'ORDERS_URL' }), /batch is deployed by another chart, so its container cannot be given ORDERS_URL: set it in that chart/],
    ['a name that is no variable', (s: ReturnType<typeof shop>) => s.orders.allowFrom(s.web, { port: 9000, env: '1ORDERS' }), /env "1ORDERS" is not an environment variable name/],
    ['a scheme with its ://', (s: ReturnType<typeof shop>) => s.orders.allowFrom(s.web, { port: 9000, env: { name: 'U', scheme: 'http://' } }), /env scheme "http:\/\/" is not a URL scheme: write it without/],
    ['one variable for two calls', (s: ReturnType<typeof shop>) => { s.orders.allowFrom(s.web, { port: 9000, env: 'ORDERS' }); s.orders.allowFrom(s.web, { port: 9090, env: 'ORDERS' }); }, /web already finds orders through ORDERS: give each call its own variable/],
  ] as const)('refuses %s', (_what, declare, message) => {
    expect(() => declare(shop())).toThrow(message);
  });
});
