import { ExistingWorkload, HealthCheck, Mesh, MeshService, PublicIngress } from '../src';
import { analyze } from '../src/review/analyze';
import { K8sObject } from './support/manifests';
import { MESHES, MeshName, renderOn, schemaErrors } from './support/three-meshes';

/**
 * The public edge on every mesh: its route follows the operations the gateway's call declares, and a public shop is
 * served without a token where it says so, with prefix and template open paths.
 */
const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/.well-known/jwks.json' };

interface Edge { readonly mesh: Mesh; readonly web: MeshService; readonly gateway: ExistingWorkload }

function edge(mesh: Mesh): Edge {
  const web = new MeshService(mesh.addNamespace('shop'), 'web', {
    image: 'example/web:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/health'),
  });
  const gateway = new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, strictMtls: false }), 'ingress', {
    selector: { istio: 'ingressgateway' }, serviceAccountName: 'ingress',
  });
  return { mesh, web, gateway };
}

/** The public route's rules as (method, path) pairs, read from the render without the library: `*` is any. */
function publicOperations(mesh: MeshName, objects: K8sObject[]): string[] {
  if (mesh === 'istio') {
    const [vs] = objects.filter(o => o.kind === 'VirtualService' && (o.spec.gateways ?? []).length > 0);
    return vs.spec.http.flatMap((r: any) => (r.match ?? [{}]).map((m: any) => `${m.method?.exact ?? '*'} ${m.uri ? JSON.stringify(m.uri) : '*'}`));
  }
  const routes = objects.filter(o => o.kind === 'HTTPRoute' && o.spec.parentRefs.some((p: any) => p.sectionName === 'https'));
  expect(routes).toHaveLength(1);
  return routes[0].spec.rules.flatMap((r: any) => (r.matches ?? [{}]).map((m: any) => `${m.method ?? '*'} ${m.path ? JSON.stringify(m.path) : '*'}`));
}

describe.each(MESHES)('PublicIngress on %s', mesh => {
  test('a gateway call limited to GET routes GET only, and the analyzer has nothing to say about retries', () => {
    const { objects } = renderOn(mesh, m => {
      const { web, gateway } = edge(m);
      web.allowFrom(gateway, { methods: ['GET'] });
      new PublicIngress(m, 'Public', { gateway, backend: web, host: 'shop.example.com', credentialName: 'shop-tls', jwt });
    });
    expect(schemaErrors(objects)).toEqual([]);
    expect(publicOperations(mesh, objects)).toEqual(['GET *']);
    expect(analyze(objects).filter(f => f.code === 'SM1406')).toEqual([]);
  });

  test('a gateway call limited to paths routes those paths, never retried (any method can pass)', () => {
    const { objects } = renderOn(mesh, m => {
      const { web, gateway } = edge(m);
      web.allowFrom(gateway, { paths: ['/api/*'] });
      new PublicIngress(m, 'Public', { gateway, backend: web, host: 'shop.example.com', credentialName: 'shop-tls', jwt });
    });
    expect(schemaErrors(objects)).toEqual([]);
    const path = mesh === 'istio' ? '{"prefix":"/api/"}' : '{"type":"RegularExpression","value":"/api/.*"}';
    expect(publicOperations(mesh, objects)).toEqual([`* ${path}`]);
    if (mesh === 'istio') {
      const [vs] = objects.filter(o => o.kind === 'VirtualService' && (o.spec.gateways ?? []).length > 0);
      expect(vs.spec.http.map((r: any) => r.retries)).toEqual([{ attempts: 0 }]);
    }
    expect(analyze(objects).filter(f => f.code === 'SM1406')).toEqual([]);
  });

  test('an anonymous public shop: no token objects, said in its declaration; nothing refused for want of a token', () => {
    const { objects, warnings } = renderOn(mesh, m => {
      const { web, gateway } = edge(m);
      web.allowFrom(gateway, { methods: ['GET', 'POST'] });
      new PublicIngress(m, 'Public', { gateway, backend: web, host: 'shop.example.com', credentialName: 'shop-tls', anonymous: true });
    });
    expect(schemaErrors(objects)).toEqual([]);
    expect(objects.filter(o => o.kind === 'RequestAuthentication')).toEqual([]);
    expect(objects.filter(o => o.kind === 'AuthorizationPolicy' && o.spec.action === 'DENY')).toEqual([]);
    expect(warnings.filter(w => /JWT|token/.test(w))).toEqual([]);
    expect(publicOperations(mesh, objects).sort()).toEqual(['GET *', 'POST *']);
  });
});

describe('open paths as prefixes and templates', () => {
  test.each(['istio', 'istio-ambient'] as const)('%s: the token rule exempts /static/* and /product/{*}, valid against the CRDs', mesh => {
    const { objects } = renderOn(mesh, m => {
      const { web, gateway } = edge(m);
      web.allowFrom(gateway, { methods: ['GET'] });
      new PublicIngress(m, 'Public', {
        gateway, backend: web, host: 'shop.example.com', credentialName: 'shop-tls', jwt, openPaths: ['/static/*', '/product/{*}'],
      });
    });
    expect(schemaErrors(objects)).toEqual([]);
    const [deny] = objects.filter(o => o.kind === 'AuthorizationPolicy' && o.spec.action === 'DENY');
    expect(deny.spec.rules[0].to[0].operation.notPaths).toEqual(['/static/*', '/product/{*}']);
  });

  test('a bad template is refused with the rule it breaks', () => {
    expect(() => renderOn('istio', m => {
      const { web, gateway } = edge(m);
      web.allowFrom(gateway);
      new PublicIngress(m, 'Public', { gateway, backend: web, host: 'shop.example.com', credentialName: 'shop-tls', jwt, openPaths: ['/product/{id}'] });
    })).toThrow('[c/Mesh/Public] open path: path "/product/{id}" has the parameter "{id}": Istio path templates name no parameters, write "{*}" for one segment or "{**}" for the rest');
  });
});
