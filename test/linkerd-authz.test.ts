import { decide, defaultAdmits, egressAllowed, hostnameMatches, LINKERD_INSTALL_DEFAULTS, selectRoute, selects } from './support/linkerd-authz';
import { K8sObject } from './support/manifests';

/**
 * The test oracle itself, against the behaviour Linkerd documents (reference/authorization-policy, features/server-policy,
 * reference/egress-network) and its proxy's route ranking, on hand-written objects in the style of Linkerd's own examples.
 */
const NS = 'emojivoto';
const pod = { namespace: NS, labels: { app: 'web', tier: 'front' }, portNames: { http: 8080 }, probes: [{ port: 8080, path: '/ping' }] };
const web = { name: 'web', namespace: NS };
const voting = { name: 'voting', namespace: NS };
const POD_IP = '10.244.1.5';

function server(name: string, port: number | string, extra: Record<string, unknown> = {}): K8sObject {
  return { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name, namespace: NS }, spec: { podSelector: { matchLabels: { app: 'web' } }, port, proxyProtocol: 'HTTP/1', ...extra } };
}
function route(name: string, serverName: string, matches: any[], metadata: Record<string, unknown> = {}): K8sObject {
  return { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'HTTPRoute', metadata: { name, namespace: NS, ...metadata }, spec: { parentRefs: [{ group: 'policy.linkerd.io', kind: 'Server', name: serverName }], rules: [{ matches }] } };
}
function meshTls(name: string, sa: { name: string; namespace: string }): K8sObject {
  return { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'MeshTLSAuthentication', metadata: { name, namespace: NS }, spec: { identityRefs: [{ kind: 'ServiceAccount', ...sa }] } };
}
function authz(name: string, target: { kind: string; name: string }, refs: any[]): K8sObject {
  return { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name, namespace: NS }, spec: { targetRef: { group: 'policy.linkerd.io', ...target }, requiredAuthenticationRefs: refs } };
}
const get = (path: string, extra: Record<string, unknown> = {}) => ({ serviceAccount: web, sourceIp: POD_IP, port: 8080, method: 'GET', path, ...extra });

describe('route precedence', () => {
  const matchRoutes = [
    route('prefix-api', 's', [{ path: { type: 'PathPrefix', value: '/api' } }]),
    route('prefix-api-books', 's', [{ path: { type: 'PathPrefix', value: '/api/books' } }]),
    route('exact', 's', [{ path: { type: 'Exact', value: '/api/books/1' } }]),
    route('regex-with-header', 's', [{ path: { type: 'RegularExpression', value: '/api/books/[0-9]+' }, headers: [{ name: 'x-canary', value: 'yes' }] }]),
    route('query', 's', [{ path: { type: 'PathPrefix', value: '/api/books' }, queryParams: [{ name: 'page', value: '2' }] }]),
    route('method', 's', [{ path: { type: 'PathPrefix', value: '/api/books' }, method: 'POST' }]),
  ];
  const pick = (request: any) => selectRoute(matchRoutes, { sourceIp: POD_IP, port: 8080, ...request })?.metadata.name;

  test('the longest path match wins; prefixes match whole segments', () => {
    expect(pick({ method: 'GET', path: '/api/books/7/pages' })).toBe('prefix-api-books');
    expect(pick({ method: 'GET', path: '/api/bookshelf' })).toBe('prefix-api');
    expect(pick({ method: 'GET', path: '/api/books/' })).toBe('prefix-api-books');
    expect(pick({ method: 'GET', path: '/other' })).toBeUndefined();
  });

  test('an exact and a regular-expression match of the same path tie on length: headers then decide', () => {
    expect(pick({ method: 'GET', path: '/api/books/1' })).toBe('exact');
    expect(pick({ method: 'GET', path: '/api/books/1', headers: { 'X-Canary': 'yes' } })).toBe('regex-with-header');
  });

  test('headers before query parameters before the method', () => {
    expect(pick({ method: 'POST', path: '/api/books', query: { page: '2' } })).toBe('query');
    expect(pick({ method: 'POST', path: '/api/books' })).toBe('method');
  });

  test('a full tie goes to the oldest route, then to the first by name', () => {
    const twins = (a: string, b: string) => [route('b-route', 's', [{ path: { type: 'Exact', value: '/x' } }], { creationTimestamp: b }),
      route('a-route', 's', [{ path: { type: 'Exact', value: '/x' } }], { creationTimestamp: a })];
    expect(selectRoute(twins('2026-01-01T00:00:02Z', '2026-01-01T00:00:01Z'), get('/x'))?.metadata.name).toBe('b-route');
    expect(selectRoute(twins('2026-01-01T00:00:01Z', '2026-01-01T00:00:01Z'), get('/x'))?.metadata.name).toBe('a-route');
  });

  test('a rule without matches matches every request, as a prefix on "/"', () => {
    const all = { ...route('all', 's', []), spec: { parentRefs: [{ kind: 'Server', name: 's' }], rules: [{}] } };
    expect(selectRoute([all, route('exact', 's', [{ path: { type: 'Exact', value: '/x' } }])], get('/y'))?.metadata.name).toBe('all');
    expect(selectRoute([all, route('exact', 's', [{ path: { type: 'Exact', value: '/x' } }])], get('/x'))?.metadata.name).toBe('exact');
  });
});

describe('authorization', () => {
  const base = [server('web-http', 8080), meshTls('voting', voting)];

  test('a Server with no routes keeps the default probe route: GET on the pod\'s probe paths, from the probe networks only', () => {
    const probe = { sourceIp: '10.0.0.5', port: 8080, method: 'GET', path: '/ping' };
    expect(decide(base, pod, probe, 'deny').why).toBe('default probe route');
    expect(decide(base, pod, { ...probe, method: 'POST' }, 'deny').allowed).toBe(false);
    expect(decide(base, pod, probe, 'deny', { ...LINKERD_INSTALL_DEFAULTS, probeNetworks: ['192.168.0.0/16'] }).allowed).toBe(false);
    // The proxy's own probes on its admin port, without a Server at all.
    expect(decide([], pod, { sourceIp: '10.0.0.5', port: 4191, method: 'GET', path: '/ready' }, 'deny').allowed).toBe(true);
  });

  test('once the Server has a route, the default probe route is gone and unmatched requests are refused', () => {
    const objects = [...base, route('books', 'web-http', [{ path: { type: 'PathPrefix', value: '/books' } }]), authz('books', { kind: 'HTTPRoute', name: 'books' }, [{ kind: 'MeshTLSAuthentication', name: 'voting' }])];
    expect(decide(objects, pod, { sourceIp: '10.0.0.5', port: 8080, method: 'GET', path: '/ping' }, 'all-unauthenticated')).toMatchObject({ allowed: false, why: 'no route matches' });
    expect(decide(objects, pod, { ...get('/books/1'), serviceAccount: voting }, 'deny').allowed).toBe(true);
    expect(decide(objects, pod, get('/books/1'), 'deny').allowed).toBe(false);
  });

  test('a policy on the Server covers every route; every reference must match; a missing one voids the policy; an empty list admits everyone', () => {
    const network = { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'NetworkAuthentication', metadata: { name: 'pods', namespace: NS }, spec: { networks: [{ cidr: '10.244.0.0/16', except: ['10.244.9.0/24'] }] } };
    const both = [...base, network, authz('both', { kind: 'Server', name: 'web-http' }, [{ kind: 'MeshTLSAuthentication', name: 'voting' }, { kind: 'NetworkAuthentication', name: 'pods' }])];
    expect(decide(both, pod, { ...get('/x'), serviceAccount: voting }, 'deny').allowed).toBe(true);
    expect(decide(both, pod, { ...get('/x'), serviceAccount: voting, sourceIp: '10.244.9.1' }, 'deny').allowed).toBe(false);
    expect(decide([...base, authz('ghost', { kind: 'Server', name: 'web-http' }, [{ kind: 'MeshTLSAuthentication', name: 'nobody' }])], pod, get('/x'), 'deny').allowed).toBe(false);
    const open = [...base, authz('open', { kind: 'Server', name: 'web-http' }, [])];
    expect(decide(open, pod, { sourceIp: '203.0.113.9', port: 8080, method: 'DELETE', path: '/x' }, 'deny').allowed).toBe(true);
  });

  test('default policies: cluster-unauthenticated and cluster-authenticated read the cluster networks; audit admits and flags', () => {
    const unmeshed = (ip: string) => ({ sourceIp: ip, port: 9999, method: 'GET', path: '/' });
    expect(decide([], pod, unmeshed('10.1.2.3'), 'cluster-unauthenticated').allowed).toBe(true);
    expect(decide([], pod, unmeshed('203.0.113.9'), 'cluster-unauthenticated').allowed).toBe(false);
    expect(decide([], pod, unmeshed('10.1.2.3'), 'cluster-authenticated').allowed).toBe(false);
    expect(decide([], pod, { ...unmeshed('10.1.2.3'), serviceAccount: web }, 'cluster-authenticated').allowed).toBe(true);
    expect(decide([], pod, { ...unmeshed('203.0.113.9'), serviceAccount: web }, 'all-authenticated').allowed).toBe(true);
    expect(decide([], pod, unmeshed('203.0.113.9'), 'audit')).toMatchObject({ allowed: true, audit: true });
    expect(decide([server('audited', 8080, { accessPolicy: 'audit' })], pod, get('/x'), 'deny')).toMatchObject({ allowed: true, audit: true, why: 'accessPolicy audit' });
    expect(defaultAdmits('deny', get('/x'))).toBe(false);
    expect(defaultAdmits('cluster-unauthenticated', { ...get('/x'), sourceIp: 'fd00::1' })).toBe(true);
  });

  test('named ports resolve against the pod\'s container ports and the injected proxy\'s; matchExpressions select', () => {
    expect(decide([server('by-name', 'http')], pod, get('/x'), 'all-unauthenticated').server).toBe('by-name');
    const admin = { ...server('admin', 'linkerd-admin'), spec: { podSelector: { matchExpressions: [{ key: 'linkerd.io/control-plane-ns', operator: 'Exists' }] }, port: 'linkerd-admin', proxyProtocol: 'HTTP/1' } };
    expect(decide([admin], pod, { ...get('/metrics'), port: 4191 }, 'all-unauthenticated').server).toBe('admin');
    expect(decide([admin], { ...pod, meshed: false }, { ...get('/metrics'), port: 4191 }, 'all-unauthenticated').server).toBeUndefined();
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'canary', operator: 'DoesNotExist' }] }, pod.labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, pod.labels)).toBe(false);
    expect(selects({}, pod.labels)).toBe(true);
  });
});

describe('egress', () => {
  const network = (trafficPolicy: string, ns = 'apps') => ({ apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'EgressNetwork', metadata: { name: 'all', namespace: ns }, spec: { trafficPolicy } });
  const tls = (host: string, ns = 'apps') => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'TLSRoute', metadata: { name: host, namespace: ns },
    spec: { hostnames: [host], parentRefs: [{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'all', namespace: ns, port: 443 }], rules: [{ backendRefs: [{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'all' }] }] } });

  test('Deny admits only what a route of the client\'s namespace names; other namespaces are unaffected; the global namespace applies to all', () => {
    const objects = [network('Deny'), tls('*.example.com')];
    expect(egressAllowed(objects, { namespace: 'apps', host: 'api.example.com', port: 443 })).toBe(true);
    expect(egressAllowed(objects, { namespace: 'apps', host: 'a.b.example.com', port: 443 })).toBe(true);
    expect(egressAllowed(objects, { namespace: 'apps', host: 'example.com', port: 443 })).toBe(false);
    expect(egressAllowed(objects, { namespace: 'apps', host: 'api.example.com', port: 8443 })).toBe(false);
    expect(egressAllowed(objects, { namespace: 'other', host: 'evil.test', port: 443 })).toBe(true);
    expect(egressAllowed([network('Deny', 'linkerd-egress')], { namespace: 'other', host: 'evil.test', port: 443 })).toBe(false);
    expect(egressAllowed([network('Allow')], { namespace: 'apps', host: 'evil.test', port: 443 })).toBe(true);
    expect(hostnameMatches('*.example.com', 'example.com')).toBe(false);
  });
});
