import { Chart, Testing } from 'cdk8s';
import { HealthCheck, IstioRenderer, Mesh, MeshService, Protocol } from '../src';
import { linkerdAccessMatrix } from '../src/review/linkerd/access';
import { accessMatrix } from '../src/review/matrix';
import { decide } from './support/linkerd-authz';
import { ofKind } from './support/manifests';
import { MESHES, renderOn, schemaErrors } from './support/three-meshes';

/**
 * gRPC as a protocol of its own: the native gRPC health check, admitted on every mesh; methods named as
 * `package.Service/Method`, matched as the paths of POST requests (Istio) and by GRPCRoutes (Linkerd).
 */
const GRPC_HEALTH = '/grpc.health.v1.Health/Check';

/** A cart served over gRPC, called by web for two methods and by checkout for all. */
function shop(mesh: Mesh) {
  const ns = mesh.addNamespace('shop');
  const cart = new MeshService(ns, 'cart', {
    image: 'example/cart:1.0.0', ports: [{ port: 7070, protocol: Protocol.GRPC }], liveness: HealthCheck.grpc(7070, { service: 'hipstershop.CartService' }),
  });
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/health') });
  const checkout = new MeshService(ns, 'checkout', { image: 'example/checkout:1.0.0', ports: [{ port: 5050, protocol: Protocol.GRPC }], liveness: HealthCheck.grpc(5050) });
  cart.allowFrom(web, { methods: ['hipstershop.CartService/GetCart', 'hipstershop.CartService/AddItem'] });
  cart.allowFrom(checkout);
}

describe.each(MESHES)('gRPC on %s', mesh => {
  const { objects, warnings } = renderOn(mesh, shop);

  test('renders valid objects, with Kubernetes\' native gRPC probe, and nothing to report', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(warnings.filter(w => /gRPC|GRPC|probe/.test(w))).toEqual([]);
    const cart = ofKind(objects, 'Deployment').find(d => d.metadata.name.startsWith('cart'))!;
    const [container] = cart.spec.template.spec.containers;
    expect(container.livenessProbe.grpc).toEqual({ port: 7070, service: 'hipstershop.CartService' });
    expect(container.readinessProbe.grpc).toEqual({ port: 7070, service: 'hipstershop.CartService' });
  });

  test('the review reads the calls back: web\'s two methods as POST paths, checkout on the whole port', () => {
    const matrix = mesh === 'linkerd' ? linkerdAccessMatrix(objects) : accessMatrix(objects);
    const rows = matrix.entries.filter(e => e.to === 'shop/cart' && e.conditions.length === 0 && ['shop/web', 'shop/checkout'].includes(e.from))
      .map(e => `${e.from} ${e.port} ${e.methods.join(',') || '*'} ${e.paths.join(',') || '*'}`);
    expect(rows).toEqual([
      'shop/checkout 7070 * *',
      'shop/web 7070 POST /hipstershop.CartService/AddItem,/hipstershop.CartService/GetCart',
    ]);
  });

  if (mesh === 'linkerd') {
    const pod = { namespace: 'shop', labels: { app: 'cart', version: 'v1' } };
    const ask = (sa: string | undefined, method: string, path: string, sourceIp = '10.244.1.1') => decide(objects, pod, {
      serviceAccount: sa ? { name: sa, namespace: 'shop' } : undefined, sourceIp, port: 7070, method, path,
    }, 'deny').allowed;

    test('the kubelet\'s gRPC probe is admitted from the probe networks by a GRPCRoute for the health method alone', () => {
      expect(ask(undefined, 'POST', GRPC_HEALTH, '10.0.0.9')).toBe(true);
      expect(ask(undefined, 'POST', GRPC_HEALTH, '192.168.1.1')).toBe(false); // outside probeNetworks
      expect(ask(undefined, 'POST', '/hipstershop.CartService/EmptyCart', '10.0.0.9')).toBe(false);
    });

    test('web reaches the two methods it declares and no other; checkout reaches every method', () => {
      expect(ask('web', 'POST', '/hipstershop.CartService/GetCart')).toBe(true);
      expect(ask('web', 'POST', '/hipstershop.CartService/AddItem')).toBe(true);
      expect(ask('web', 'POST', '/hipstershop.CartService/EmptyCart')).toBe(false);
      expect(ask('checkout', 'POST', '/hipstershop.CartService/EmptyCart')).toBe(true);
      const routes = ofKind(objects, 'GRPCRoute').filter(r => r.spec.parentRefs[0].kind === 'Server' && r.spec.parentRefs[0].name === 'cart-grpc-7070');
      expect(routes.flatMap(r => r.spec.rules.flatMap((rule: any) => (rule.matches ?? [{}]).map((m: any) => m.method ? `${m.method.service}/${m.method.method}` : '*'))).sort())
        .toEqual(['*', 'grpc.health.v1.Health/Check', 'hipstershop.CartService/AddItem', 'hipstershop.CartService/GetCart']);
    });
  } else {
    test('web\'s methods are the paths of POST requests, as Istio matches gRPC', () => {
      const policies = ofKind(objects, 'AuthorizationPolicy').filter(p => JSON.stringify(p.spec).includes('sa/web'));
      const operations = policies.flatMap(p => p.spec.rules.filter((r: any) => JSON.stringify(r.from).includes('sa/web')).flatMap((r: any) => r.to.map((t: any) => t.operation)));
      expect(operations).toEqual([{ methods: ['POST'], paths: ['/hipstershop.CartService/GetCart', '/hipstershop.CartService/AddItem'], ports: ['7070'] }]);
    });
  }
});

describe('gRPC declarations', () => {
  function mesh() {
    const m = new Mesh(new Chart(Testing.app(), 'c'), 'Mesh', { renderer: new IstioRenderer() });
    const ns = m.addNamespace('shop');
    const cart = new MeshService(ns, 'cart', { image: 'example/cart:1.0.0', ports: [{ port: 7070, protocol: Protocol.GRPC }], liveness: HealthCheck.grpc(7070) });
    const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8080 }] });
    return { cart, web };
  }

  test('an HTTP method other than POST is refused on a gRPC port: gRPC always sends POST', () => {
    const { cart, web } = mesh();
    expect(() => cart.allowFrom(web, { methods: ['GET'] })).toThrow('[c/Mesh/shop/cart <- c/Mesh/shop/web] method "GET" on a gRPC port matches no request: gRPC always sends POST; name gRPC methods instead, such as "shop.CartService/GetCart" (or "shop.CartService/*")');
  });

  test('a method that is not package.Service/Method, and a path that names no gRPC method, are refused', () => {
    const { cart, web } = mesh();
    expect(() => cart.allowFrom(web, { methods: ['GetCart'] })).toThrow(/method "GetCart" is not a gRPC method: write package.Service\/Method/);
    expect(() => cart.allowFrom(web, { paths: ['/cart/{*}'] })).toThrow(/path "\/cart\/\{\*\}" on a gRPC port names no gRPC method/);
  });

  test('a whole service is one declaration: package.Service/* is the prefix of its methods', () => {
    const { cart, web } = mesh();
    const call = cart.allowFrom(web, { methods: ['hipstershop.CartService/*'] });
    expect([call.methods, call.paths]).toEqual([['POST'], ['/hipstershop.CartService/*']]);
  });

  test('HealthCheck.grpc checks its port', () => {
    expect(() => HealthCheck.grpc(0)).toThrow(/port: 0 is out of range/);
  });
});

