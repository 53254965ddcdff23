import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-28';
import { ExistingWorkload, HealthCheck, Mesh, MeshService, MeshServiceProps, Protocol, PublicIngress } from '../../src';

/**
 * Weaveworks' Sock Shop (microservices-demo `deploy/kubernetes/complete-demo.yaml`), declared with soma-mesh as a
 * consumer would: each service's image, ports, probes, env, user and resources as its manifests give them, and its
 * calls as the call graph. Two images there carry no version (`mongo`, `redis:alpine`), which soma-mesh refuses: they
 * are pinned here. The rabbitmq pod's exporter sidecar and management port are left out (nothing in the shop calls
 * them).
 * Services without a probe there keep soma-mesh's default (a TCP check); those Prometheus scrapes declare `/metrics`.
 */
export const SOCK_SHOP_NAMESPACE = 'sock-shop';

/** The images, as the manifests name them, with the two unversioned ones pinned. */
const IMAGES = {
  'front-end': 'weaveworksdemos/front-end:0.3.12',
  'catalogue': 'weaveworksdemos/catalogue:0.3.5',
  'catalogue-db': 'weaveworksdemos/catalogue-db:0.3.0',
  'carts': 'weaveworksdemos/carts:0.4.8',
  'carts-db': 'mongo:3.4.24',
  'orders': 'weaveworksdemos/orders:0.4.7',
  'orders-db': 'mongo:3.4.24',
  'payment': 'weaveworksdemos/payment:0.4.3',
  'shipping': 'weaveworksdemos/shipping:0.4.8',
  'queue-master': 'weaveworksdemos/queue-master:0.3.1',
  'rabbitmq': 'rabbitmq:3.6.8-management',
  'session-db': 'redis:7.2.4-alpine',
  'user': 'weaveworksdemos/user:0.4.7',
  'user-db': 'weaveworksdemos/user-db:0.3.0',
};

const JAVA_OPTS = '-Xms64m -Xmx128m -XX:+UseG1GC -Djava.security.egd=file:/dev/urandom -Dspring.zipkin.enabled=false';
/** The `/health` probes of catalogue, payment and user: 300 s before liveness, 180 s before readiness, every 3 s. */
const health = (path: string, live: number, ready: number) => ({
  liveness: HealthCheck.http(path, { initialDelay: Duration.seconds(live), period: Duration.seconds(3) }),
  readiness: HealthCheck.http(path, { initialDelay: Duration.seconds(ready), period: Duration.seconds(3) }),
});
/** CPU in millicores and memory in MiB, requested and limited, as the manifests give them. */
const resources = (cpu: [number, number], memory: [number, number]): ContainerResources => ({
  cpu: { request: Cpu.millis(cpu[0]), limit: Cpu.millis(cpu[1]) },
  memory: { request: Size.mebibytes(memory[0]), limit: Size.mebibytes(memory[1]) },
});
/** The services Prometheus scrapes (`prometheus.io/scrape: 'true'`) serve `/metrics` on their port. */
const metrics = { path: '/metrics' };

export interface SockShop {
  readonly mesh: Mesh;
  readonly services: Record<keyof typeof IMAGES, MeshService>;
  readonly ingress: ExistingWorkload;
}

/** Declares the shop in `mesh`: its services, its calls and its public, anonymous storefront. */
export function declareSockShop(mesh: Mesh): SockShop {
  const ns = mesh.addNamespace(SOCK_SHOP_NAMESPACE);
  const service = (name: keyof typeof IMAGES, props: Omit<MeshServiceProps, 'image'>) =>
    new MeshService(ns, name, { image: IMAGES[name], ...props });
  const http80 = [{ port: 80 }];
  const app = { runAsUser: 10001 };
  const s = {
    'front-end': service('front-end', {
      ...app, ports: [{ port: 80, targetPort: 8079 }], env: { SESSION_REDIS: 'true' }, metrics,
      resources: resources([100, 300], [300, 1000]),
      ...health('/', 300, 30),
    }),
    'catalogue': service('catalogue', {
      ...app, ports: http80, command: ['/app'], args: ['-port=80'], metrics,
      resources: resources([100, 200], [100, 200]),
      ...health('/health', 300, 180),
    }),
    'catalogue-db': service('catalogue-db', {
      ports: [{ port: 3306, protocol: Protocol.TCP }],
      env: { MYSQL_ROOT_PASSWORD: 'fake_password', MYSQL_DATABASE: 'socksdb' },
    }),
    'carts': service('carts', {
      ...app, ports: http80, env: { JAVA_OPTS }, metrics, resources: resources([100, 300], [200, 500]),
    }),
    'carts-db': service('carts-db', { ports: [{ port: 27017, protocol: Protocol.TCP }] }),
    'orders': service('orders', {
      ...app, ports: http80, env: { JAVA_OPTS }, metrics, resources: resources([100, 500], [300, 500]),
    }),
    'orders-db': service('orders-db', { ports: [{ port: 27017, protocol: Protocol.TCP }] }),
    'payment': service('payment', {
      ...app, ports: http80, metrics, resources: resources([99, 200], [100, 200]), ...health('/health', 300, 180),
    }),
    'shipping': service('shipping', {
      ...app, ports: http80, env: { ZIPKIN: 'zipkin.jaeger.svc.cluster.local', JAVA_OPTS }, metrics,
      resources: resources([100, 300], [300, 500]),
    }),
    'queue-master': service('queue-master', {
      ...app, ports: http80, env: { JAVA_OPTS }, metrics, resources: resources([100, 300], [300, 500]),
    }),
    'rabbitmq': service('rabbitmq', { ports: [{ port: 5672, protocol: Protocol.TCP }] }),
    'session-db': service('session-db', { ports: [{ port: 6379, protocol: Protocol.TCP }] }),
    'user': service('user', {
      ...app, ports: http80, metrics, resources: resources([100, 300], [100, 200]), ...health('/health', 300, 180),
    }),
    'user-db': service('user-db', { ports: [{ port: 27017, protocol: Protocol.TCP }] }),
  };

  // The storefront reads the catalogue and drives carts, orders and accounts; its sessions live in redis.
  s.catalogue.allowFrom(s['front-end'], { methods: ['GET'] });
  for (const callee of [s.carts, s.orders, s.user]) callee.allowFrom(s['front-end']);
  s['session-db'].allowFrom(s['front-end']);
  // An order reads the customer's cart and account, charges the card and asks for shipping.
  for (const callee of [s.carts, s.user, s.payment, s.shipping]) callee.allowFrom(s.orders);
  // Each store's own database; user finds its database through the variable its manifest sets (`mongo`).
  s['catalogue-db'].allowFrom(s.catalogue);
  s['carts-db'].allowFrom(s.carts);
  s['orders-db'].allowFrom(s.orders);
  s['user-db'].allowFrom(s.user, { env: { name: 'mongo', scheme: '' } });
  // Shipping queues parcels; the queue master consumes them.
  s.rabbitmq.allowFrom(s.shipping);
  s.rabbitmq.allowFrom(s['queue-master']);

  // The public storefront: anyone may browse and buy without a token.
  const gateways = mesh.addNamespace('istio-system', { create: false, strictMtls: false });
  const ingress = new ExistingWorkload(gateways, 'istio-ingressgateway', {
    selector: { istio: 'ingressgateway' }, serviceAccountName: 'istio-ingressgateway-service-account',
  });
  s['front-end'].allowFrom(ingress);
  new PublicIngress(mesh, 'Storefront', {
    gateway: ingress, backend: s['front-end'], host: 'socks.example.com', credentialName: 'socks-tls', anonymous: true,
  });
  return { mesh, services: s, ingress };
}
