import { analyze } from '../src/review/analyze';
import { KubeObject } from '../src/review/inventory';
import { destinationRule, policy, service, shop, virtualService } from './support/fixtures';

/**
 * The cases of Istio's own analyzer tests (istio/istio pkg/config/analysis/analyzers/testdata) that the related codes
 * missed, in fixtures of our own: each finding Istio reports is reported here on the same object, every party of a
 * conflict included, and the near misses Istio leaves alone stay quiet.
 */
const found = (objects: KubeObject[], code: string) => analyze(objects).filter(f => f.code === code)
  .map(f => `${f.object.metadata?.namespace ?? ''}/${f.object.metadata?.name}`).sort();
const to = (host: string, subset?: string) => ({ destination: { host, ...(subset ? { subset } : {}) } });
const noRetries = { retries: { attempts: 0 } };

describe('SM1405: routes never reached (IST0130)', () => {
  test('an HTTP route whose every match an earlier route lists (names aside)', () => {
    const dup = virtualService('shop', 'dup', { hosts: ['web'], http: [
      { ...noRetries, match: [{ name: 'products', uri: { prefix: '/api/v1/products' } }], route: [to('web')] },
      { ...noRetries, match: [{ uri: { prefix: '/api/v1/products' } }], route: [to('web')] },
    ] });
    const almost = virtualService('shop', 'almost', { hosts: ['db'], http: [
      { ...noRetries, match: [{ uri: { prefix: '/api/v1/products' } }], route: [to('db')] },
      { ...noRetries, match: [{ uri: { prefix: '/api/v1/products' } }, { uri: { prefix: '/other' } }], route: [to('db')] },
    ] });
    expect(found([...shop(), dup, almost], 'SM1405')).toEqual(['shop/dup']);
  });

  test('TCP routes: the same port twice, or two routes without match; a route adding a port is reached', () => {
    const tcp = (name: string, routes: any[]) => virtualService('shop', name, { hosts: ['db'], tcp: routes });
    const samePort = tcp('same-port', [{ match: [{ port: 5432 }], route: [to('db')] }, { match: [{ port: 5432 }], route: [to('db')] }]);
    const bothEmpty = tcp('both-empty', [{ route: [to('db')] }, { route: [to('db')] }]);
    const morePorts = tcp('more-ports', [{ match: [{ port: 5432 }], route: [to('db')] }, { match: [{ port: 5432 }, { port: 5433 }], route: [to('db')] }]);
    const messages = analyze([...shop(), samePort]).filter(f => f.code === 'SM1405').map(f => f.message);
    expect(messages).toEqual(['VirtualService shop/same-port tcp[1] is never reached: each of its matches is already matched by tcp[0] before it']);
    expect(found([...shop(), bothEmpty], 'SM1405')).toEqual(['shop/both-empty']);
    expect(found([...shop(), morePorts], 'SM1405')).toEqual([]);
  });

  test('a TLS route with the same SNI on the same port twice', () => {
    const tls = (name: string, second: any[]) => virtualService('shop', name, { hosts: ['api.example.com'], tls: [
      { match: [{ port: 443, sniHosts: ['api.example.com'] }], route: [to('api.example.com')] },
      { match: second, route: [to('api.example.com')] },
    ] });
    const entry = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api', namespace: 'shop' }, spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' } };
    expect(found([...shop(), entry, tls('twice', [{ sniHosts: ['api.example.com'], port: 443 }])], 'SM1405')).toEqual(['shop/twice']);
    expect(found([...shop(), entry, tls('wider', [{ port: 443, sniHosts: ['api.example.com'] }, { port: 8443, sniHosts: ['api.example.com'] }])], 'SM1405')).toEqual([]);
  });
});

describe('SM1404: VirtualServices that share a host where one namespace sees both (IST0109)', () => {
  const vs = (namespace: string, name: string, host: string, extra: any = {}) => virtualService(namespace, name, { hosts: [host], ...extra, http: [{ ...noRetries, route: [to(host)] }] });

  test('every party is reported, naming the others', () => {
    const a = vs('shop', 'a', 'web');
    const b = vs('shop', 'b', 'web.shop.svc.cluster.local');
    const findings = analyze([...shop(), a, b]).filter(f => f.code === 'SM1404');
    expect(findings.map(f => f.message)).toEqual([
      'VirtualService shop/a and VirtualService shop/b all route host "web.shop.svc.cluster.local" on the mesh: Istio picks one unpredictably',
      'VirtualService shop/b and VirtualService shop/a all route host "web.shop.svc.cluster.local" on the mesh: Istio picks one unpredictably',
    ]);
  });

  test('exportTo decides who sees them: two kept to their own namespaces do not conflict; one seen everywhere does', () => {
    const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const local = vs('team1', 'ratings', 'ratings', { exportTo: ['.'] });
    const localElsewhere = vs('team2', 'ratings', 'ratings.team1.svc.cluster.local', { exportTo: ['.'] });
    expect(found([ns('team1'), ns('team2'), local, localElsewhere], 'SM1404')).toEqual([]);
    const everywhere = vs('team3', 'productpage', 'productpage', { exportTo: ['*'] });
    const other = vs('team4', 'productpage', 'productpage.team3.svc.cluster.local');
    expect(found([ns('team3'), ns('team4'), everywhere, other], 'SM1404')).toEqual(['team3/productpage', 'team4/productpage']);
    const external = vs('team5', 'api', 'api.example.com', { exportTo: ['.'] });
    const shared = vs('team6', 'api', 'api.example.com', { gateways: ['mesh', 'istio-system/edge'] });
    expect(found([ns('team5'), ns('team6'), external, shared], 'SM1404')).toEqual(['team5/api', 'team6/api']);
    const gatewayOnly = vs('team6', 'edge-api', 'api.example.com', { gateways: ['istio-system/edge'] });
    expect(found([ns('team5'), ns('team6'), external, gatewayOnly], 'SM1404')).toEqual([]);
  });
});

describe('SM1103: a namespace-wide policy in a namespace without workloads (IST0127)', () => {
  test('is reported; in a namespace with workloads, or in the root namespace, it is not', () => {
    const empty: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'empty' } };
    const wide = (namespace: string) => policy(namespace, 'allow-any', { rules: [{}] });
    expect(found([...shop(), empty, wide('empty')], 'SM1103')).toEqual(['empty/allow-any']);
    expect(found([...shop(), wide('shop')], 'SM1103')).toEqual([]);
    expect(found([...shop(), wide('istio-system')], 'SM1103')).toEqual([]);
    // An allow-nothing policy (no rules) is a guard for workloads to come.
    expect(found([...shop(), empty, policy('empty', 'allow-nothing', {})], 'SM1103')).toEqual([]);
  });
});

describe('SM1003: subsets of an existing Service that select no pod (IST0173)', () => {
  test('a Service without pods has no pod in any subset', () => {
    const lonely = service('shop', 'httpbin', [[8000, 'http']]);
    const dr = destinationRule('shop', 'httpbin', { host: 'httpbin.shop.svc.cluster.local', subsets: [{ name: 'fake', labels: { version: 'v3' } }] });
    expect(found([...shop(), lonely, dr], 'SM1003')).toEqual(['shop/httpbin']);
    // A host that names no Service is SM1005's, not SM1003's.
    const unknown = destinationRule('shop', 'ghost', { host: 'ghost.shop.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    expect(found([...shop(), unknown], 'SM1003')).toEqual([]);
  });
});

describe('SM1006: two DestinationRules for one host', () => {
  test('both are reported', () => {
    const one = destinationRule('shop', 'web-a', { host: 'web' });
    const two = destinationRule('shop', 'web-b', { host: 'web.shop.svc.cluster.local' });
    expect(found([...shop(), one, two], 'SM1006')).toEqual(['shop/web-a', 'shop/web-b']);
  });
});
