import * as path from 'path';
import { App, Chart, Duration, Testing } from 'cdk8s';
import { SOMA_EXTERNAL_CALLS, SOMA_UNLISTED_EGRESS } from '../app/egress';
import { SOMA_LINKERD } from '../app/linkerd';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { SOMA_SERVICES } from '../app/services';
import {
  ExistingWorkload, ExternalHost, HealthCheck, LinkerdRenderer, LinkerdRendererProps, Mesh, MeshService, Protocol, PublicIngress, RetryCondition,
} from '../src';
import { decide, egressAllowed } from './support/linkerd-authz';
import { K8sObject, ofKind, readManifests, REPO_ROOT } from './support/manifests';
import { connectionAllowed } from './support/network-policy';

/**
 * The Linkerd render around the calls: egress, the public edge, caller-scoped routes, retries and probes, on the
 * committed SomaAgentHub render (read as YAML) and on small meshes.
 */
const rendered = readManifests(path.join(REPO_ROOT, 'dist-linkerd'));
const policies = ofKind(rendered, 'NetworkPolicy');
const OUTSIDE = { namespace: '(outside)', labels: {}, ip: '203.0.113.10' };
const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' };

function shop(props: LinkerdRendererProps = {}, declare: (m: { mesh: Mesh; api: MeshService; web: MeshService }) => void = () => undefined) {
  const warnings: string[] = [];
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'], ...props }), warningSink: { warn: w => warnings.push(w) } });
  const ns = mesh.addNamespace('shop');
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/health') });
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }], liveness: HealthCheck.http('/health') });
  declare({ mesh, api, web });
  app.synth();
  return { warnings, objects: chart.toJson() as K8sObject[] };
}

describe('egress under Linkerd (committed render)', () => {
  const pods = ofKind(rendered, 'Deployment').map(d => ({ name: d.spec.template.metadata.labels.app as string, namespace: d.metadata.namespace!, labels: d.spec.template.metadata.labels, ip: '10.244.1.1', annotations: d.spec.template.metadata.annotations ?? {} }));
  const hosts = [...new Set(SOMA_EXTERNAL_CALLS.map(c => c.host))];
  const sample = (host: string) => host.replace(/^\*\./, 's3.');

  test('every declared external call is admitted: by its namespace\'s EgressNetwork and routes, and by its NetworkPolicy', () => {
    for (const call of SOMA_EXTERNAL_CALLS) {
      const pod = pods.find(p => p.name === call.from)!;
      expect(egressAllowed(rendered, { namespace: pod.namespace, host: sample(call.host), port: call.port })).toBe(true);
      expect(connectionAllowed(policies, pod, OUTSIDE, call.port)).toBe(true);
    }
  });

  test('a workload with no external call reaches no host; a host nobody declared is refused to every workload whose proxy handles its egress', () => {
    const callers = new Set([...SOMA_EXTERNAL_CALLS.map(c => c.from), ...SOMA_UNLISTED_EGRESS.map(u => u.from)]);
    for (const pod of pods) {
      const reaches = (host: string) => egressAllowed(rendered, { namespace: pod.namespace, host, port: 443 }) && connectionAllowed(policies, pod, OUTSIDE, 443);
      for (const host of [...hosts.map(sample), 'example.com', 'evil.amazonaws.com.attacker.test']) {
        if (!callers.has(pod.name)) expect([pod.name, host, reaches(host)]).toEqual([pod.name, host, false]);
      }
      if (!pod.annotations['config.linkerd.io/skip-outbound-ports']) expect(egressAllowed(rendered, { namespace: pod.namespace, host: 'example.com', port: 443 })).toBe(false);
    }
  });

  test('each host\'s route names exactly its callers; the namespace\'s EgressNetwork denies the rest', () => {
    const networks = ofKind(rendered, 'EgressNetwork');
    expect(networks.map(n => [n.metadata.namespace, n.spec.trafficPolicy])).toEqual([['soma-agent-hub', 'Deny']]);
    const routes = ofKind(rendered, 'TLSRoute');
    expect(routes.map(r => r.spec.hostnames[0]).sort()).toEqual([...hosts].sort());
    for (const r of routes) {
      const callers = SOMA_EXTERNAL_CALLS.filter(c => c.host === r.spec.hostnames[0]).map(c => c.from);
      expect(r.metadata.annotations!['soma-mesh.io/callers'].split(', ')).toEqual([...callers].sort()); // the model's order
    }
  });

  test('unlisted egress: mao-service\'s proxy lets port 443 pass, with the reason on its pods; nobody else\'s does', () => {
    for (const pod of pods) {
      const grant = SOMA_UNLISTED_EGRESS.find(u => u.from === pod.name);
      expect(pod.annotations['config.linkerd.io/skip-outbound-ports']).toBe(grant?.ports.join(','));
      expect(pod.annotations['soma-mesh.io/unlisted-egress-reason']).toBe(grant?.reason);
    }
    expect(connectionAllowed(policies, pods.find(p => p.name === 'mao-service')!, OUTSIDE, 443)).toBe(true);
    expect(connectionAllowed(policies, pods.find(p => p.name === 'mao-service')!, OUTSIDE, 22)).toBe(false);
  });

  test('egress shared within a namespace is reported once, naming who reaches what beyond the call graph', () => {
    const warnings: string[] = [];
    const app = new App({ outdir: require('os').tmpdir() });
    new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new LinkerdRenderer({ ...SOMA_LINKERD }), warningSink: { warn: w => warnings.push(w) } } });
    app.synth();
    const shared = warnings.filter(w => /egress is allowed per namespace/.test(w));
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatch(/^\[soma-agent-hub\/Mesh\/soma-agent-hub\] /);
    expect(shared[0]).toContain('self-provisioning also reaches api.openai.com');
    expect(shared[0]).toContain('orchestrator also reaches *.amazonaws.com, registry.terraform.io');
    expect(shared[0]).not.toContain('mao-service');
  });
});

describe('the edge under Linkerd (committed render)', () => {
  const gateway = ofKind(rendered, 'Gateway');

  test('the public host is a Gateway API Gateway on the meshed controller, routed to gateway-api, HTTPS with the host\'s certificate', () => {
    expect(gateway).toHaveLength(1);
    const g = gateway[0];
    expect(g.metadata.namespace).toBe(SOMA_LINKERD.edge!.controllerNamespace);
    expect(g.spec.gatewayClassName).toBe('traefik');
    const https = g.spec.listeners.find((l: any) => l.protocol === 'HTTPS');
    expect(https).toMatchObject({ hostname: 'api.somaagent.example', port: 8443, tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'somaagent-api-tls' }] } });
    const routes = ofKind(rendered, 'HTTPRoute').filter(r => r.spec.parentRefs.some((p: any) => p.kind === 'Gateway'));
    const main = routes.find(r => r.spec.parentRefs[0].sectionName === 'https')!;
    expect(main.spec.hostnames).toEqual(['api.somaagent.example']);
    expect(main.spec.rules).toEqual([{ backendRefs: [{ group: '', kind: 'Service', name: 'gateway-api', port: 10000 }] }]);
    const redirect = routes.find(r => r.spec.parentRefs[0].sectionName === 'http')!;
    expect(redirect.spec.rules[0].filters[0]).toEqual({ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } });
  });

  test('the controller\'s identity is the only one admitted from the edge: on gateway-api it replaces Istio\'s ingress gateway, which reaches nothing', () => {
    const authns = ofKind(rendered, 'MeshTLSAuthentication').flatMap(a => a.spec.identityRefs.map((r: any) => `${r.namespace}/${r.name}`));
    expect(authns).toContain('traefik/traefik');
    expect(authns.filter(a => a.startsWith('istio-system/'))).toEqual([]);
    const pod = { namespace: 'soma-agent-hub', labels: { app: 'gateway-api', version: 'v1' } };
    const ask = (sa: { name: string; namespace: string }, method: string, p: string) => decide(rendered, pod, { serviceAccount: sa, sourceIp: '10.244.7.7', port: 10000, method, path: p }, 'deny').allowed;
    expect(ask({ name: 'traefik', namespace: 'traefik' }, 'POST', '/v1/chat')).toBe(true);
    expect(ask({ name: 'istio-ingressgateway-service-account', namespace: 'istio-system' }, 'POST', '/v1/chat')).toBe(false);
    expect(ask({ name: 'default', namespace: 'traefik' }, 'POST', '/v1/chat')).toBe(false);
    // And at L3: the controller's pods reach gateway-api's port.
    const controller = { namespace: 'traefik', labels: { 'app.kubernetes.io/name': 'traefik' }, ip: '10.244.9.9' };
    const backend = { ...pod, ip: '10.244.1.2' };
    expect(connectionAllowed(policies, controller, backend, 10000)).toBe(true);
    expect(connectionAllowed(policies, { ...controller, labels: { app: 'other' } }, backend, 10000)).toBe(false);
  });

  test('without the edge option, a PublicIngress is reported once; with it, the missing token check is, unless a controller feature is named', () => {
    const declare = ({ mesh, api }: { mesh: Mesh; api: MeshService }) => {
      const gw = new ExistingWorkload(mesh.addNamespace('edge', { create: false }), 'ingress', { selector: { app: 'ingress' }, serviceAccountName: 'ingress' });
      api.allowFrom(gw);
      new PublicIngress(mesh, 'Public', { gateway: gw, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    };
    expect(shop({}, declare).warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/Public\] Linkerd: the public host api\.example\.com is not rendered/)]);
    const edge = { gatewayClassName: 'envoy', controllerNamespace: 'envoy-gateway-system', controllerServiceAccount: 'envoy-edge' };
    const unchecked = shop({ edge }, declare);
    expect(unchecked.warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/Public\] Linkerd: the JWT check of api\.example\.com \(issuer https:\/\/id\.example\.com\) is not rendered/)]);
    const delegated = shop({ edge: { ...edge, tokenValidation: 'Envoy Gateway SecurityPolicy jwt' } }, declare);
    expect(delegated.warnings).toEqual([]);
    const route = ofKind(delegated.objects, 'HTTPRoute').find(r => r.metadata.name === 'api-public')!;
    expect(route.metadata.annotations!['soma-mesh.io/token-validation']).toBe('Envoy Gateway SecurityPolicy jwt: issuer https://id.example.com, keys https://id.example.com/jwks.json');
    expect(ofKind(delegated.objects, 'MeshTLSAuthentication').find(a => a.metadata.name === 'envoy-edge.envoy-gateway-system')!.spec.identityRefs)
      .toEqual([{ kind: 'ServiceAccount', name: 'envoy-edge', namespace: 'envoy-gateway-system' }]);
  });

  test('bad edge options fail naming the construct and the fix', () => {
    const declare = (edge: any) => () => shop({ edge }, ({ mesh, api }) => {
      const gw = new ExistingWorkload(mesh.addNamespace('edge', { create: false }), 'ingress', { selector: { app: 'ingress' }, serviceAccountName: 'ingress' });
      api.allowFrom(gw);
      new PublicIngress(mesh, 'Public', { gateway: gw, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    });
    expect(declare({ gatewayClassName: 'x', controllerNamespace: 'Bad_NS', controllerServiceAccount: 'sa' })).toThrow(/^\[c\/Mesh\/Public\] edge\.controllerNamespace "Bad_NS" is not a DNS-1123 label/);
    expect(declare({ gatewayClassName: 'x', controllerNamespace: 'ns', controllerServiceAccount: '' })).toThrow(/\[c\/Mesh\/Public\] edge\.controllerServiceAccount is empty/);
    expect(declare({ gatewayClassName: 'x', controllerNamespace: 'ns', controllerServiceAccount: 'sa', httpsPort: 80, httpPort: 80 })).toThrow(/both 80/);
  });
});

describe('probes, retries and caller-scoped routes', () => {
  test('overlapping matches of different callers: a route for their intersection admits both; overlapping patterns are reported', () => {
    const { warnings, objects } = shop({}, ({ mesh, api, web }) => {
      const admin = new MeshService(api.namespace, 'admin', { image: 'example/admin:1.0.0', ports: [{ port: 8082 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(web, { paths: ['/v1'] });
      api.allowFrom(admin, { methods: ['DELETE'] });
      const ops = new MeshService(mesh.namespaces[0], 'ops', { image: 'example/ops:1.0.0', ports: [{ port: 8083 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(ops, { methods: ['GET'], paths: ['/files/{*}/meta'] });
      api.allowFrom(web, { methods: ['GET'], paths: ['/files/report*'] });
    });
    const pod = { namespace: 'shop', labels: { app: 'api', version: 'v1' } };
    const ask = (sa: string, method: string, p: string) => decide(objects, pod, { serviceAccount: { name: sa, namespace: 'shop' }, sourceIp: '10.244.1.1', port: 8080, method, path: p }, 'deny').allowed;
    expect([ask('web', 'DELETE', '/v1'), ask('admin', 'DELETE', '/v1'), ask('admin', 'GET', '/v1'), ask('web', 'DELETE', '/v2')]).toEqual([true, true, false, false]);
    expect(ofKind(objects, 'HTTPRoute').map(r => r.metadata.name)).toContain('api-http-8080-delete-exact-v1');
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/api <- c\/Mesh\/shop\/web\] Linkerd: on port 8080 of api, the paths \/files\/report\.\* and \/files\/\[\^\/\]\+\/meta can match the same request/)]);
  });

  test('a service whose probe is TCP: probed on its metrics path where it serves one, else named once; an HTTP probe is not', () => {
    const { warnings } = shop({}, ({ mesh }) => {
      new MeshService(mesh.namespaces[0], 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432 }], liveness: HealthCheck.tcp() });
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/db\] Linkerd: the TCP probe of db always succeeds behind the Linkerd proxy, .*linkerd\/linkerd2#7777/)]);
    // A service that serves metrics is probed there instead, in every version: no warning.
    const probed = shop({}, ({ mesh }) => {
      const db = new MeshService(mesh.namespaces[0], 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432 }], liveness: HealthCheck.tcp({ period: Duration.seconds(7) }), metrics: { path: '/stats' } });
      db.addVersion('v2');
    });
    expect(probed.warnings).toEqual([]);
    for (const d of ofKind(probed.objects, 'Deployment').filter(x => x.metadata.name.startsWith('db-'))) {
      const container = d.spec.template.spec.containers[0];
      for (const probe of [container.livenessProbe, container.readinessProbe]) expect(probe).toMatchObject({ httpGet: { path: '/stats', port: 5432 }, periodSeconds: 7 });
      expect(container.livenessProbe.tcpSocket).toBeUndefined();
    }
    const pod = { namespace: 'shop', labels: { app: 'db', version: 'v2' } };
    expect(decide(probed.objects, pod, { sourceIp: '10.0.0.9', port: 5432, method: 'GET', path: '/stats' }, 'deny').allowed).toBe(true);
    expect(decide(probed.objects, pod, { sourceIp: '10.0.0.9', port: 5432, method: 'GET', path: '/other' }, 'deny').allowed).toBe(false);
    const soma: string[] = [];
    const app = Testing.app();
    new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new LinkerdRenderer({ ...SOMA_LINKERD }), warningSink: { warn: w => soma.push(w) } } });
    app.synth();
    const tcp = SOMA_SERVICES.filter(s => s.port !== undefined && !s.liveness).map(s => s.name).sort();
    expect(soma.filter(w => /TCP probe/.test(w)).map(w => /TCP probe of (\S+)/.exec(w)![1]).sort()).toEqual(tcp);
  });

  test('probeNetworks: reported once when not set; refused when empty or not a CIDR', () => {
    const { warnings, objects } = shop({ probeNetworks: undefined });
    expect(warnings.filter(w => /probeNetworks is not set/.test(w))).toHaveLength(1);
    expect(ofKind(objects, 'NetworkAuthentication')[0].spec.networks).toEqual([{ cidr: '0.0.0.0/0' }, { cidr: '::/0' }]);
    expect(() => new LinkerdRenderer({ probeNetworks: [] })).toThrow(/probeNetworks is empty/);
    expect(() => new LinkerdRenderer({ probeNetworks: ['nodes'] })).toThrow(/"nodes" is not a CIDR/);
  });

  test('retries: 503 and gateway errors by status; refused streams as Linkerd does on every retried route; a failed or reset connection reported', () => {
    const retried = (on: RetryCondition[]) => shop({}, ({ api, web }) => {
      api.allowFrom(web, { methods: ['GET'], paths: ['/items'], retries: { attempts: 3, on } });
      new MeshService(api.namespace, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432 }], liveness: HealthCheck.http('/health'), resilience: { retries: { attempts: 2, on } } });
    });
    const quiet = retried([RetryCondition.UNAVAILABLE, RetryCondition.GATEWAY_ERROR, RetryCondition.REFUSED_STREAM]);
    expect(quiet.warnings).toEqual([]);
    const route = ofKind(quiet.objects, 'HTTPRoute').find(r => r.metadata.name === 'api-from-web-retry')!;
    expect(route.metadata.annotations).toMatchObject({ 'retry.linkerd.io/http': '503,gateway-error', 'retry.linkerd.io/limit': '3' });
    const loud = retried([RetryCondition.CONNECT_FAILURE, RetryCondition.RESET, RetryCondition.UNAVAILABLE]);
    expect(loud.warnings).toEqual([expect.stringMatching(/retries on connect-failure and reset are not rendered: .*never after a failed or reset connection \(shop\/db\)$/)]);
  });

  test('a caller in another namespace gets consumer routes in its own namespace, with a copy of the service\'s producer routes', () => {
    const { warnings, objects } = shop({}, ({ mesh, api, web }) => {
      const store = mesh.addNamespace('store');
      const cart = new MeshService(store, 'cart', { image: 'example/cart:1.0.0', ports: [{ port: 9000 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(cart, { methods: ['POST'], paths: ['/orders'], timeout: Duration.seconds(3) });
      api.allowFrom(web, { methods: ['GET'] });
    });
    expect(warnings).toEqual([]);
    const routes = ofKind(objects, 'HTTPRoute').filter(r => r.apiVersion === 'gateway.networking.k8s.io/v1' && r.spec.parentRefs[0].name === 'api');
    const where = (ns: string) => routes.filter(r => r.metadata.namespace === ns).map(r => r.metadata.name).sort();
    expect(where('shop')).toEqual(['api', 'api-idempotent']);
    expect(where('store')).toEqual(['api', 'api-from-cart', 'api-idempotent']);
    const own = routes.find(r => r.metadata.namespace === 'store' && r.metadata.name === 'api-from-cart')!;
    expect(own.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'api', namespace: 'shop', port: 8080 }]);
    expect(own.spec.rules[0]).toMatchObject({ matches: [{ method: 'POST', path: { type: 'Exact', value: '/orders' } }], timeouts: { request: '3s' } });
    expect(own.spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: 'api', namespace: 'shop', port: 8080, weight: 100 }]);
  });

  test('a call from another namespace that names no methods or paths: its namespace\'s copy of the routes carries its timeout and retries', () => {
    const { warnings, objects } = shop({}, ({ mesh, api, web }) => {
      const store = mesh.addNamespace('store');
      const cart = new MeshService(store, 'cart', { image: 'example/cart:1.0.0', ports: [{ port: 9000 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(cart, { timeout: Duration.seconds(4) });
      api.allowFrom(web, { methods: ['GET'] });
      const stock = mesh.addNamespace('stock');
      const scanner = new MeshService(stock, 'scanner', { image: 'example/scanner:1.0.0', ports: [{ port: 9002 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(scanner, { retries: { attempts: 5 }, idempotent: true });
    });
    expect(warnings).toEqual([]);
    const routes = ofKind(objects, 'HTTPRoute').filter(r => r.apiVersion === 'gateway.networking.k8s.io/v1' && r.spec.parentRefs[0].name === 'api');
    const copy = (ns: string, name: string) => routes.find(r => r.metadata.namespace === ns && r.metadata.name === name)!;
    expect(copy('store', 'api').spec.rules[0].timeouts.request).toBe('4s');
    expect(copy('store', 'api-idempotent').metadata.annotations!['retry.linkerd.io/limit']).toBe('2');
    expect(copy('stock', 'api').metadata.annotations!['retry.linkerd.io/limit']).toBe('5');
    expect(copy('shop', 'api').metadata.annotations?.['retry.linkerd.io/limit']).toBeUndefined();
    expect(copy('shop', 'api').spec.rules[0].timeouts.request).toBe('30s');
    expect(copy('shop', 'api-idempotent').metadata.annotations!['retry.linkerd.io/limit']).toBe('2');
    // Another caller in the same namespace would follow them too: named.
    const shared = shop({}, ({ mesh, api }) => {
      const store = mesh.addNamespace('store');
      const cart = new MeshService(store, 'cart', { image: 'example/cart:1.0.0', ports: [{ port: 9000 }], liveness: HealthCheck.http('/health') });
      const till = new MeshService(store, 'till', { image: 'example/till:1.0.0', ports: [{ port: 9001 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(cart, { timeout: Duration.seconds(4) });
      api.allowFrom(till, { methods: ['GET'] });
    });
    expect(shared.warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/api\] Linkerd: the timeout and retries of the call from cart also apply to the requests of till that match it: its routes in store apply to every client of store/)]);
  });

  test('A/B by a caller of another namespace: that namespace\'s consumer routes send it to the version; the service\'s own routes do not', () => {
    const { warnings, objects } = shop({}, ({ mesh, api, web }) => {
      const store = mesh.addNamespace('store');
      const cart = new MeshService(store, 'cart', { image: 'example/cart:1.0.0', ports: [{ port: 9000 }], liveness: HealthCheck.http('/health') });
      const till = new MeshService(store, 'till', { image: 'example/till:1.0.0', ports: [{ port: 9001 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(cart, { methods: ['GET'] });
      api.allowFrom(till, { methods: ['GET'] });
      api.allowFrom(web, { methods: ['GET'] });
      api.addVersion('v2');
      // Declared after the calls and versions, as a release file does.
      api.traffic.route({ canary: { version: 'v2', weight: 10 }, match: [{ version: 'v2', callers: ['store/cart'] }, { version: 'v2', headers: { 'x-beta': '1' } }] });
    });
    const routes = ofKind(objects, 'HTTPRoute').filter(r => r.apiVersion === 'gateway.networking.k8s.io/v1' && r.spec.parentRefs[0].name === 'api');
    const backendsOf = (ns: string, name: string) => routes.find(r => r.metadata.namespace === ns && r.metadata.name === name)!.spec.rules
      .map((rule: any) => `${rule.matches ? 'header' : 'all'}:${rule.backendRefs.map((b: any) => `${b.name}=${b.weight}`).join('+')}`);
    // The rules apply in order, as Istio's: cart's every request goes to v2, the header rule after it never matters there.
    expect(backendsOf('store', 'api')).toEqual(['all:api-v2=100']);
    expect(backendsOf('shop', 'api')).toEqual(['header:api-v2=100', 'all:api-v1=90+api-v2=10']);
    expect(routes.find(r => r.metadata.namespace === 'store')!.spec.rules[0].backendRefs[0].namespace).toBe('shop');
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/api\] Linkerd: the A\/B rule sending cart to v2 also applies to till: consumer routes in store apply to every client of store$/)]);
  });

  test('in the service\'s namespace, a call\'s own route that other callers\' requests also follow is reported once, naming them', () => {
    const { warnings } = shop({}, ({ api, web }) => {
      const admin = new MeshService(api.namespace, 'admin', { image: 'example/admin:1.0.0', ports: [{ port: 8082 }], liveness: HealthCheck.http('/health') });
      api.allowFrom(web, { methods: ['POST'], paths: ['/orders'], timeout: Duration.seconds(3) });
      api.allowFrom(admin);
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/api\] Linkerd: the timeout and retries of the call from web also apply to the requests of admin that match it/)]);
  });

  test('a peer in another chart\'s namespace gets a Server on its own proxy admin port; the namespace\'s other pods are not touched', () => {
    const { objects } = shop({}, ({ mesh, api }) => {
      const redis = new ExistingWorkload(mesh.addNamespace('infra', { create: false }), 'redis', { selector: { app: 'redis' }, serviceAccountName: 'redis', ports: [{ port: 6379, protocol: Protocol.TCP }] });
      redis.allowFrom(api);
    });
    const admin = ofKind(objects, 'Server').filter(s => s.spec.port === 'linkerd-admin');
    expect(admin.map(s => [s.metadata.namespace, s.metadata.name, s.spec.podSelector])).toEqual([
      ['shop', 'proxy-admin', { matchExpressions: [{ key: 'linkerd.io/control-plane-ns', operator: 'Exists' }] }],
      ['infra', 'redis-proxy-admin', { matchLabels: { app: 'redis' } }],
    ]);
  });

  test('unlisted egress on a port the workload also calls in the cluster is reported', () => {
    const { warnings } = shop({}, ({ mesh, api, web }) => {
      const tls = new MeshService(api.namespace, 'tls', { image: 'example/tls:1.0.0', ports: [{ port: 443 }], liveness: HealthCheck.http('/health') });
      tls.allowFrom(web);
      mesh.callGraph.allowUnlistedEgress(web, { reason: 'user webhooks', ports: [443] });
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/web\] Linkerd: web's unlisted egress skips its proxy on port 443, which its calls to tls also use/)]);
  });

  test('an external host called from two namespaces gets an EgressNetwork and a route in each', () => {
    const { objects, warnings } = shop({}, ({ mesh, web }) => {
      const other = new MeshService(mesh.addNamespace('batch'), 'job', { image: 'example/job:1.0.0', liveness: HealthCheck.command(['true']) });
      const host = new ExternalHost(mesh, 'Registry', { host: 'registry.example.com' });
      host.allowFrom(web);
      host.allowFrom(other);
    });
    expect(warnings).toEqual([]);
    expect(ofKind(objects, 'EgressNetwork').map(n => n.metadata.namespace).sort()).toEqual(['batch', 'shop']);
    for (const ns of ['batch', 'shop']) expect(egressAllowed(objects, { namespace: ns, host: 'registry.example.com', port: 443 })).toBe(true);
    expect(egressAllowed(objects, { namespace: 'shop', host: 'other.example.com', port: 443 })).toBe(false);
  });
});
