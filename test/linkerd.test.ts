import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { main } from '../app/synth';
import { ExistingWorkload } from '../src/model/existing-workload';
import { LinkerdRenderer } from '../src/renderers/linkerd/linkerd-renderer';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { MeshTarget } from '../src/renderers/mesh-target';
import { Protocol } from '../src/model/protocol';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { CrdSchemas } from './support/crd-schema';
import { decide, LinkerdInstall, LinkerdPod, LinkerdRequest, LINKERD_INSTALL_DEFAULTS } from './support/linkerd-authz';
import { DIST, K8sObject, ofKind, readManifests, referenceCallGraph, REPO_ROOT, SHARED, expectSameFiles } from './support/manifests';
import { edgeAllows, instantiate, sampleRequests } from './support/call-samples';
import { deployedPods, NamedPod, referencePeers } from './support/mesh-model';
import { cidrContains } from './support/network-policy';

const DIST_LINKERD = path.join(REPO_ROOT, 'dist-linkerd');
const LINKERD_CRDS = path.join(SHARED, 'linkerd', 'crds.yaml');
const GATEWAY_API_CRDS = path.join(SHARED, 'gateway-api', 'standard-install.yaml');
/** Istio's ingress gateway: the edge of the call graph, which has no Linkerd proxy in a Linkerd cluster. */
const ISTIO_INGRESS_SA = { name: 'istio-ingressgateway-service-account', namespace: 'istio-system' };
/** Under Linkerd the edge is SomaAgentHub's Gateway API controller (app/linkerd.ts): its identity stands for the call graph's ingress gateway. */
const EDGE_SA = { name: 'traefik', namespace: 'traefik' };
const PROMETHEUS_SA = { name: 'prometheus', namespace: 'observability' };
const ADMIN_PORT = 4191;
const POD_IP = '10.244.3.7';
const NODE_IP = '10.0.0.5';
/** An address outside SomaAgentHub's probe networks (app/linkerd.ts: 10.0.0.0/16 and 10.244.0.0/16), inside the cluster's. */
const OTHER_IP = '10.9.8.7';
/** The install as app/linkerd.ts documents it: Linkerd's own probe networks set to the same CIDRs. */
const INSTALL: LinkerdInstall = { ...LINKERD_INSTALL_DEFAULTS, probeNetworks: ['10.0.0.0/16', '10.244.0.0/16'] };
const PROXY_PROTOCOL: Record<string, string> = { HTTP: 'HTTP/1', HTTP2: 'HTTP/2', GRPC: 'gRPC', TCP: 'opaque' };

const reference = referenceCallGraph();
let rendered: K8sObject[];
let renderDir: string;
let pods: Array<NamedPod & LinkerdPod>;

beforeAll(() => {
  renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-linkerd-'));
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  main(renderDir, path.join(REPO_ROOT, 'releases.json'), MeshTarget.LINKERD);
  warn.mockRestore();
  rendered = readManifests(renderDir);
  // The kubelet's probes of each deployed pod, read from its Deployments; a peer's are not known (its chart's).
  pods = [...deployedPods(rendered).map(p => ({ ...p, probes: podProbes(p) })), ...referencePeers(reference)];
});

/** The HTTP probes of a deployed pod's containers, read from the YAML. */
function podProbes(pod: NamedPod): Array<{ port: number; path: string }> {
  return ofKind(rendered, 'Deployment')
    .filter(d => d.metadata.namespace === pod.namespace && d.spec.template.metadata.labels.app === pod.name)
    .flatMap(d => d.spec.template.spec.containers.flatMap((c: any) => [c.livenessProbe, c.readinessProbe]))
    .filter((p: any) => p?.httpGet).map((p: any) => ({ port: p.httpGet.port, path: p.httpGet.path }));
}
afterAll(() => fs.rmSync(renderDir, { recursive: true, force: true }));

function identityOf(name: string): LinkerdRequest['serviceAccount'] {
  if (name === 'istio-ingressgateway') return EDGE_SA;
  const pod = pods.find(p => p.name === name)!;
  return { name: pod.serviceAccount, namespace: pod.namespace };
}

function defaultPolicyOf(namespace: string): string {
  const ns = ofKind(rendered, 'Namespace').find(n => n.metadata.name === namespace);
  // A namespace of another chart keeps the cluster default, Linkerd's own default being all-unauthenticated.
  return ns?.metadata.annotations?.['config.linkerd.io/default-inbound-policy'] ?? 'all-unauthenticated';
}

function allowed(pod: NamedPod & LinkerdPod, request: LinkerdRequest): boolean {
  return decide(rendered, pod, request, defaultPolicyOf(pod.namespace), INSTALL).allowed;
}

/** The path Prometheus scrapes on a pod's port, from its `prometheus.io/*` annotations. */
function metricsPath(pod: NamedPod, port: number): string | undefined {
  const annotations = ofKind(rendered, 'Deployment').find(d => d.metadata.namespace === pod.namespace && d.spec.template.metadata.labels.app === pod.name)
    ?.spec.template.metadata.annotations;
  return annotations?.['prometheus.io/port'] === String(port) ? annotations['prometheus.io/path'] : undefined;
}

/** GET paths of the pod's own HTTP probes on a port, read from its Deployments. */
function probePaths(pod: NamedPod, port: number): string[] {
  return ofKind(rendered, 'Deployment')
    .filter(d => d.metadata.namespace === pod.namespace && d.spec.template.metadata.labels.app === pod.name)
    .flatMap(d => d.spec.template.spec.containers.flatMap((c: any) => [c.livenessProbe, c.readinessProbe]))
    .filter((p: any) => p?.httpGet && p.httpGet.port === port).map((p: any) => p.httpGet.path);
}

function hasRoutes(pod: NamedPod, port: number): boolean {
  const server = ofKind(rendered, 'Server').find(s => s.metadata.namespace === pod.namespace && s.spec.podSelector.matchLabels?.app === pod.labels.app && s.spec.port === port);
  return !!server && ofKind(rendered, 'HTTPRoute').some(r => r.spec.parentRefs.some((p: any) => p.kind === 'Server' && p.name === server.metadata.name));
}

describe('SomaAgentHub Linkerd render', () => {
  test('matches the snapshot', () => {
    expect(rendered).toMatchSnapshot();
  });

  test('the committed dist-linkerd/ is what synth renders now', () => {
    expectSameFiles(DIST_LINKERD, renderDir);
  });

  test('every Linkerd and Gateway API resource validates against ../shared/linkerd/crds.yaml and ../shared/gateway-api/ (standard), unknown fields rejected', () => {
    // Each set of CRDs on its own: Linkerd bundles its own copy of some Gateway API CRDs, and a cluster runs one of them.
    const linkerd = new CrdSchemas(LINKERD_CRDS);
    const gatewayApi = new CrdSchemas(GATEWAY_API_CRDS);
    const custom = rendered.filter(o => !['v1', 'apps/v1', 'networking.k8s.io/v1', 'policy/v1', 'autoscaling/v2'].includes(o.apiVersion));
    expect(custom.length).toBeGreaterThan(100);
    expect(custom.filter(o => !linkerd.knows(o) && !gatewayApi.knows(o)).map(o => `${o.apiVersion} ${o.kind}`)).toEqual([]);
    expect(custom.filter(o => linkerd.knows(o)).flatMap(o => linkerd.errors(o))).toEqual([]);
    expect(custom.filter(o => gatewayApi.knows(o)).flatMap(o => gatewayApi.errors(o))).toEqual([]);
    const kinds = new Set(custom.map(o => o.kind));
    for (const kind of ['EgressNetwork', 'TLSRoute', 'Gateway', 'HTTPRoute', 'Server', 'AuthorizationPolicy']) expect(kinds).toContain(kind);
    // The Gateway API objects are all known to the standard channel, and those Linkerd also bundles, to Linkerd's.
    expect(custom.filter(o => o.apiVersion.startsWith('gateway.networking.k8s.io/') && !gatewayApi.knows(o))).toEqual([]);
  });

  test('the schema check rejects an unknown field and an unknown proxy protocol field on a Server', () => {
    const schemas = new CrdSchemas(LINKERD_CRDS);
    const bad = { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 'x' }, spec: { podSelector: { matchLabels: { app: 'x' } }, port: 80, extra: 1 } };
    expect(schemas.errors(bad as any).join()).toMatch(/additional properties/);
  });

  test('no Istio object in the Linkerd render, no Linkerd object in dist/', () => {
    expect(rendered.filter(o => o.apiVersion.includes('istio.io'))).toEqual([]);
    expect(readManifests(DIST).filter(o => /linkerd\.io|gateway\.networking/.test(o.apiVersion))).toEqual([]);
  });

  test('every namespaced object names a namespace created earlier or owned by another chart', () => {
    const external = new Set(['soma-infra', 'temporal', 'observability', 'traefik']);
    const created = new Set<string>();
    for (const o of rendered) {
      if (o.kind === 'Namespace') { created.add(o.metadata.name); continue; }
      expect(created.has(o.metadata.namespace!) || external.has(o.metadata.namespace!)).toBe(true);
    }
  });
});

describe('Linkerd zero trust', () => {
  test('every workload namespace is meshed with default inbound policy deny', () => {
    const namespaces = ofKind(rendered, 'Namespace');
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      expect(ns.metadata.annotations?.['linkerd.io/inject']).toBe('enabled');
      expect(ns.metadata.annotations?.['config.linkerd.io/default-inbound-policy']).toBe('deny');
    }
    for (const d of ofKind(rendered, 'Deployment')) expect(namespaces.map(n => n.metadata.name)).toContain(d.metadata.namespace);
  });

  test('every served port of every workload has exactly one Server, deny by default, with its proxy protocol', () => {
    const expected = [
      ...reference.services.flatMap((s: any) => s.ports.map((p: any) => `${s.namespace}/${s.name}:${p.port} ${PROXY_PROTOCOL[p.protocol]}`)),
      ...reference.infra.flatMap((i: any) => i.ports.map((p: any) => `${i.namespace}/${i.name}:${p.port} ${PROXY_PROTOCOL[p.protocol]}`)),
    ].sort();
    const servers = ofKind(rendered, 'Server').filter(s => typeof s.spec.port === 'number');
    const actual = servers.map(s => {
      const pod = pods.find(p => p.namespace === s.metadata.namespace && Object.entries(s.spec.podSelector.matchLabels).every(([k, v]) => p.labels[k] === v))!;
      expect(s.spec.accessPolicy ?? 'deny').toBe('deny');
      return `${pod.namespace}/${pod.name}:${s.spec.port} ${s.spec.proxyProtocol}`;
    }).sort();
    expect(actual).toEqual(expected);
  });

  test('every call of the reference is allowed: each method on each path, on its port', () => {
    const denied: string[] = [];
    for (const edge of reference.edges) {
      const callee = pods.find(p => p.name === edge.to)!;
      for (const request of sampleRequests(edge)) {
        const d = decide(rendered, callee, { serviceAccount: identityOf(edge.from), sourceIp: POD_IP, ...request }, defaultPolicyOf(callee.namespace), INSTALL);
        if (!d.allowed) denied.push(`${edge.from} -> ${edge.to} ${JSON.stringify(request)}: ${d.why}`);
      }
    }
    expect(denied).toEqual([]);
  });

  test('nothing else is allowed: other callers, ports, methods, paths and sources are denied; the kubelet\'s probe GETs and Prometheus\'s scrapes aside', () => {
    const callers: Array<{ name: string; sa?: { name: string; namespace: string }; ip: string }> = [
      ...pods.map(p => ({ name: p.name, sa: { name: p.serviceAccount, namespace: p.namespace }, ip: POD_IP })),
      { name: 'istio-ingressgateway', sa: EDGE_SA, ip: POD_IP },
      { name: 'istio ingress gateway (no Linkerd proxy)', sa: ISTIO_INGRESS_SA, ip: POD_IP },
      { name: 'prometheus', sa: PROMETHEUS_SA, ip: POD_IP },
      { name: 'default/default', sa: { name: 'default', namespace: 'default' }, ip: POD_IP },
      { name: 'soma-agent-hub/default', sa: { name: 'default', namespace: 'soma-agent-hub' }, ip: POD_IP },
      { name: 'unmeshed pod', ip: POD_IP }, { name: 'kubelet', ip: NODE_IP }, { name: 'unmeshed, outside the probe networks', ip: OTHER_IP },
    ];
    const inProbeNetworks = (ip: string) => INSTALL.probeNetworks.some(n => cidrContains(n, ip));
    const leaks: string[] = [];
    let checked = 0;
    for (const callee of pods) {
      // A port nobody declared: closed by the namespace default on our pods (peers' are checked below).
      const undeclared = ofKind(rendered, 'Namespace').some(n => n.metadata.name === callee.namespace) ? [15999] : [];
      for (const port of [...Object.keys(callee.portProtocols).map(Number), ...undeclared, ADMIN_PORT]) {
        for (const caller of callers) {
          const edges = reference.edges.filter((e: any) => e.to === callee.name && e.port === port && e.from === caller.name);
          for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
            for (const p of ['/', '/health', '/ready', '/healthz', '/admin', '/metrics', '/live', '/shutdown', ...edges.flatMap((e: any) => (e.paths ?? []).map(instantiate))]) {
              const request = { serviceAccount: caller.sa, sourceIp: caller.ip, port, method, path: p };
              const probes = port === ADMIN_PORT ? ['/live', '/ready'] : probePaths(callee, port);
              const probe = method === 'GET' && probes.includes(p) && inProbeNetworks(caller.ip);
              const scrape = caller.name === 'prometheus' && method === 'GET' && p === (port === ADMIN_PORT ? '/metrics' : metricsPath(callee, port));
              const expected = edges.some((e: any) => edgeAllows(e, method, p)) || probe || scrape;
              checked++;
              if (allowed(callee, request) !== expected) leaks.push(`${caller.name} (${caller.ip}) -> ${callee.name}:${port} ${method} ${p} expected ${expected}`);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100000);
    expect(leaks).toEqual([]);
  });

  test('the allowed requests, read from the AuthorizationPolicies, are the call graph exactly, plus GET on probe paths for the kubelet and GET on metrics paths for Prometheus', () => {
    const calls = new Set<string>();
    const probes = new Set<string>();
    const scrapes = new Set<string>();
    const servers = ofKind(rendered, 'Server');
    const routes = ofKind(rendered, 'HTTPRoute');
    for (const policy of ofKind(rendered, 'AuthorizationPolicy')) {
      const ns = policy.metadata.namespace;
      expect(policy.spec.requiredAuthenticationRefs).toHaveLength(1);
      const ref = policy.spec.requiredAuthenticationRefs[0];
      const authn = rendered.find(o => o.kind === ref.kind && o.metadata.namespace === ns && o.metadata.name === ref.name)!;
      expect(authn).toBeDefined();
      const target = policy.spec.targetRef;
      const route = target.kind === 'HTTPRoute' ? routes.find(r => r.metadata.namespace === ns && r.metadata.name === target.name)! : undefined;
      const serverName = route ? route.spec.parentRefs[0].name : target.name;
      const server = servers.find(s => s.metadata.namespace === ns && s.metadata.name === serverName)!;
      // The admin Server of a namespace covers every meshed pod (`*`); the others select one workload's pods.
      const callee = server.spec.podSelector.matchLabels
        ? pods.find(p => p.namespace === ns && Object.entries(server.spec.podSelector.matchLabels).every(([k, v]) => p.labels[k] === v))!.name : '*';
      const matches = route ? route.spec.rules.flatMap((r: any) => r.matches) : [{}];
      const rules = matches.map((m: any) => [callee, ns, server.spec.port, m.method ?? '*', m.path ? `${m.path.type}:${m.path.value}` : '*']);
      if (ref.kind === 'NetworkAuthentication') {
        expect(authn.spec.networks.map((n: any) => n.cidr)).toEqual(INSTALL.probeNetworks);
        for (const r of rules) probes.add(JSON.stringify(r));
        continue;
      }
      expect(ref.kind).toBe('MeshTLSAuthentication');
      expect(authn.spec.identities).toBeUndefined();
      expect(authn.spec.identityRefs).toHaveLength(1);
      const sa = authn.spec.identityRefs[0];
      if (sa.namespace === PROMETHEUS_SA.namespace && sa.name === PROMETHEUS_SA.name) {
        for (const r of rules) scrapes.add(JSON.stringify(r));
        continue;
      }
      const caller = sa.namespace === EDGE_SA.namespace && sa.name === EDGE_SA.name ? 'istio-ingressgateway'
        : pods.find(p => p.namespace === sa.namespace && p.serviceAccount === sa.name)!.name;
      for (const [c, , port, method, p] of rules) calls.add(JSON.stringify([caller, c, port, method, p]));
    }
    const fromGraph = new Set<string>();
    for (const e of reference.edges) {
      for (const method of e.methods?.length ? e.methods : ['*']) {
        for (const p of e.paths?.length ? e.paths : ['*']) fromGraph.add(JSON.stringify([e.from, e.to, e.port, method, expectedPathMatch(p)]));
      }
    }
    expect([...calls].sort()).toEqual([...fromGraph].sort());
    // The proxies' admin ports: every namespace created here, and each peer of another chart.
    const meshedNamespaces = ofKind(rendered, 'Namespace').map(n => n.metadata.name);
    const admin = (what: string[]) => [...meshedNamespaces.map(ns => ['*', ns]), ...referencePeers(reference).map(p => [p.name, p.namespace])]
      .flatMap(([callee, ns]) => what.map(p => JSON.stringify([callee, ns, 'linkerd-admin', 'GET', `Exact:${p}`])));
    const deployed = deployedPods(rendered);
    const expectedProbes = [...admin(['/live', '/ready']), ...deployed.flatMap(p => podProbes(p).map(x => JSON.stringify([p.name, p.namespace, x.port, 'GET', `Exact:${x.path}`])))];
    expect([...probes].sort()).toEqual([...new Set(expectedProbes)].sort());
    const expectedScrapes = [...admin(['/metrics']), ...deployed.flatMap(p => Object.keys(p.portProtocols).map(Number)
      .filter(port => metricsPath(p, port)).map(port => JSON.stringify([p.name, p.namespace, port, 'GET', `Exact:${metricsPath(p, port)}`])))];
    expect([...scrapes].sort()).toEqual(expectedScrapes.sort());
    expect(scrapes.size).toBeGreaterThan(15);
  });

  test('no request from outside the probe networks reaches a probe path; every HTTP port of a deployed workload has routes, so Linkerd\'s default probe route opens nothing', () => {
    const failures: string[] = [];
    for (const pod of pods.filter(p => p.probes)) {
      for (const port of Object.keys(pod.portProtocols).map(Number)) {
        // A port with HTTP probes (the only ones Linkerd's default probe route would cover) has routes.
        if (probePaths(pod, port).length > 0 && !hasRoutes(pod, port)) failures.push(`${pod.name}:${port} has no routes`);
        for (const p of probePaths(pod, port)) {
          for (const [ip, expected] of [[NODE_IP, true], [POD_IP, true], [OTHER_IP, false], ['192.168.1.9', false]] as const) {
            // With Linkerd's own default probe networks (every address), the result must not change: no default probe route applies.
            for (const install of [INSTALL, LINKERD_INSTALL_DEFAULTS]) {
              const d = decide(rendered, pod, { sourceIp: ip, port, method: 'GET', path: p }, defaultPolicyOf(pod.namespace), install);
              if (d.allowed !== expected) failures.push(`${pod.name}:${port} GET ${p} from ${ip}: ${d.why}`);
            }
            for (const method of ['POST', 'PUT', 'DELETE', 'HEAD']) {
              if (allowed(pod, { sourceIp: ip, port, method, path: p })) failures.push(`${pod.name}:${port} ${method} ${p} from ${ip}`);
            }
          }
        }
      }
      for (const [ip, expected] of [[NODE_IP, true], [OTHER_IP, false]] as const) {
        for (const p of ['/live', '/ready']) {
          if (allowed(pod, { sourceIp: ip, port: ADMIN_PORT, method: 'GET', path: p }) !== expected) failures.push(`${pod.name} proxy GET ${p} from ${ip}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test('Prometheus\'s identity scrapes every proxy\'s /metrics and every declared metrics endpoint, and nothing else', () => {
    // From outside the probe networks, so that only its identity counts (from the pod network, every pod may GET the probe paths).
    const scrape = (pod: NamedPod & LinkerdPod, port: number, method: string, p: string, sa = PROMETHEUS_SA) =>
      allowed(pod, { serviceAccount: sa, sourceIp: OTHER_IP, port, method, path: p });
    const failures: string[] = [];
    let endpoints = 0;
    for (const pod of pods) {
      if (!scrape(pod, ADMIN_PORT, 'GET', '/metrics')) failures.push(`${pod.name}: proxy /metrics`);
      for (const [method, p] of [['POST', '/metrics'], ['GET', '/shutdown'], ['GET', '/ready'], ['GET', '/metrics/x']]) {
        if (scrape(pod, ADMIN_PORT, method, p)) failures.push(`${pod.name}: proxy ${method} ${p}`);
      }
      if (scrape(pod, ADMIN_PORT, 'GET', '/metrics', { name: 'default', namespace: 'observability' })) failures.push(`${pod.name}: another identity on /metrics`);
      for (const port of Object.keys(pod.portProtocols).map(Number)) {
        const metrics = metricsPath(pod, port);
        if (metrics) {
          endpoints++;
          if (!scrape(pod, port, 'GET', metrics)) failures.push(`${pod.name}:${port} GET ${metrics}`);
          if (scrape(pod, port, 'POST', metrics)) failures.push(`${pod.name}:${port} POST ${metrics}`);
        }
        for (const p of ['/', '/admin', '/health']) if (scrape(pod, port, 'GET', p)) failures.push(`${pod.name}:${port} GET ${p}`);
      }
    }
    expect(endpoints).toBe(Object.keys(require('../app/telemetry').SOMA_METRICS_PATHS).length);
    expect(failures).toEqual([]);
  });

  test('a peer in a namespace of another chart: its declared ports are closed by their Servers, other ports keep that namespace\'s default', () => {
    // Linkerd has no pod-wide policy object: the default is an annotation on the pod or its namespace,
    // which soma-mesh cannot set on another chart's pods. Each declared port gets its own deny Server.
    for (const peer of referencePeers(reference)) {
      expect(ofKind(rendered, 'Namespace').map(n => n.metadata.name)).not.toContain(peer.namespace);
      const d = decide(rendered, peer, { serviceAccount: { name: 'default', namespace: 'default' }, sourceIp: POD_IP, port: 15999, method: 'GET', path: '/' }, 'deny');
      expect(d.why).toBe('no Server: default deny');
      for (const port of Object.keys(peer.portProtocols).map(Number)) {
        expect(decide(rendered, peer, { sourceIp: POD_IP, port, method: 'GET', path: '/' }, 'all-unauthenticated').server).toBeDefined();
      }
    }
  });

  test('a workload in no call is reachable by nobody', () => {
    const called = new Set(reference.edges.map((e: any) => e.to));
    for (const pod of pods.filter(p => !called.has(p.name))) {
      for (const caller of pods) {
        for (const port of Object.keys(pod.portProtocols).map(Number)) {
          expect(allowed(pod, { serviceAccount: { name: caller.serviceAccount, namespace: caller.namespace }, sourceIp: POD_IP, port, method: 'POST', path: '/v1/x' })).toBe(false);
        }
      }
    }
  });
});

describe('LinkerdRenderer checks and warnings', () => {
  test('warns at synth, naming each peer port whose kubelet probes routes would hide', () => {
    const warnings: string[] = [];
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'soma-lw-')) });
    new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new LinkerdRenderer(), warningSink: { warn: w => warnings.push(w) } } });
    app.synth();
    expect(warnings.map(w => /of ([a-z-]+) now has HTTPRoutes/.exec(w)?.[1]).sort()).toEqual(['loki', 'prometheus-pushgateway', 'qdrant']);
    for (const w of warnings.filter(w => w.includes('now has HTTPRoutes'))) expect(w).toMatch(/^\[soma-agent-hub\/Mesh\/[a-z-]+\/[a-z-]+\/LinkerdServer-\d+\] Linkerd: .*: authorize them/);
  });

  test('renders gRPC methods as GRPCRoutes (grpc.test.ts reads them back), and refuses an app port the Linkerd proxy uses', () => {
    const build = (port: number, protocol: Protocol) => {
      const chart = new Chart(Testing.app(), 'c');
      const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer() });
      const ns = mesh.addNamespace('shop');
      const api = new MeshService(ns, 'api', { image: 'x/api:1.0.0', ports: [{ port, protocol }] });
      const web = new MeshService(ns, 'web', { image: 'x/web:1.0.0', ports: [{ port: 8080, protocol: Protocol.HTTP }] });
      return { api, web, mesh, ns, chart };
    };
    const grpc = build(9000, Protocol.GRPC);
    grpc.api.allowFrom(grpc.web, { methods: ['POST'], paths: ['/pkg.Svc/Call'] });
    expect(() => Testing.synth(grpc.chart)).not.toThrow();
    expect(() => build(4191, Protocol.HTTP)).toThrow(/\[c\/Mesh\/shop\/api\] port 4191 is taken by the Linkerd proxy in every pod \(4140, 4143, 4191\)/);
  });

  test('a caller whose match covers another route is authorized there too; string prefixes and templates become regular expressions; the narrow route wins ties by name and by age', () => {
    const chart = new Chart(Testing.app(), 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }) });
    const ns = mesh.addNamespace('shop');
    const infra = mesh.addNamespace('infra', { create: false });
    const api = new MeshService(ns, 'api', { image: 'x/api:1.0.0', ports: [{ port: 8080, protocol: Protocol.HTTP }] });
    const a = new MeshService(ns, 'a', { image: 'x/a:1.0.0' ,ports: [{ port: 8081 }] });
    const b = new ExistingWorkload(infra, 'b', { selector: { app: 'b' }, serviceAccountName: 'b' });
    api.allowFrom(a, { methods: ['GET'], paths: ['/v1/items/{*}', '/files/*'] });
    // "zebra" and "special" sort after and before the pattern's own slug: the route names must not decide by accident.
    api.allowFrom(b, { methods: ['GET'], paths: ['/v1/items/special', '/v1/items/zebra'] });
    const objects = Testing.synth(chart) as K8sObject[];
    expect(ofKind(objects, 'HTTPRoute').filter(r => r.apiVersion.startsWith('policy.linkerd.io/') && r.spec.parentRefs[0].name === 'api-http-8080').flatMap(r => r.spec.rules[0].matches.map((m: any) => m.path.value)).sort())
      .toEqual(['/files/.*', '/v1/items/[^/]+', '/v1/items/special', '/v1/items/zebra'].sort());
    // Applied in file order, one object per second: the older route wins a tie.
    const aged = objects.map((o, i) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() } }));
    for (const set of [objects, aged]) {
      const pod = { namespace: 'shop', labels: { app: 'api', version: 'v1' } };
      const ask = (sa: string, saNs: string, p: string) => decide(set, pod, { serviceAccount: { name: sa, namespace: saNs }, sourceIp: POD_IP, port: 8080, method: 'GET', path: p }, 'deny').allowed;
      expect(ask('a', 'shop', '/v1/items/special')).toBe(true);
      expect(ask('a', 'shop', '/v1/items/7')).toBe(true);
      expect(ask('a', 'shop', '/files/a/b.txt')).toBe(true);
      expect(ask('b', 'infra', '/v1/items/special')).toBe(true);
      expect(ask('b', 'infra', '/v1/items/zebra')).toBe(true);
      expect(ask('b', 'infra', '/v1/items/7')).toBe(false);
      expect(ask('a', 'shop', '/v1/items/7/x')).toBe(false);
    }
  });
});

/** The Linkerd path match a graph path must become: exact, or `{*}` as one segment `[^/]+`. */
function expectedPathMatch(p: string): string {
  if (p === '*') return '*';
  if (p.includes('{*}')) return `RegularExpression:${p.split('{*}').map(s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}`;
  return `Exact:${p}`;
}

describe('Linkerd traffic and resilience, from the traffic model', () => {
  const { SOMA_RESILIENCE } = require('../app/resilience');
  const trafficRoutes = (service: string) => ofKind(rendered, 'HTTPRoute')
    .filter(r => r.apiVersion === 'gateway.networking.k8s.io/v1' && r.spec.parentRefs.some((p: any) => p.kind === 'Service' && p.name === service));

  test('slm-service splits 99/1 between v1 and v2 on every route without an A/B header, to Services selecting each version', () => {
    const routes = trafficRoutes('slm-service');
    expect(routes.length).toBeGreaterThan(1);
    const services = ofKind(rendered, 'Service');
    const deployments = ofKind(rendered, 'Deployment');
    for (const route of routes) {
      for (const rule of route.spec.rules.filter((r: any) => !(r.matches ?? []).some((m: any) => m.headers))) {
        const split = rule.backendRefs.map((b: any) => {
          const svc = services.find(s => s.metadata.name === b.name && s.metadata.namespace === route.metadata.namespace)!;
          const pods = deployments.filter(d => Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
          expect(pods).toHaveLength(1);
          // Under an autoscaler the Deployment leaves its count to the autoscaler's minimum.
          const autoscaler = ofKind(rendered, 'HorizontalPodAutoscaler').find(h => h.spec.scaleTargetRef.name === pods[0].metadata.name);
          expect(pods[0].spec.replicas ?? autoscaler?.spec.minReplicas).toBeGreaterThan(0);
          return `${pods[0].spec.template.metadata.labels.version}=${b.weight}`;
        });
        expect(split).toEqual(['v1=99', 'v2=1']);
      }
    }
  });

  test('every deployed service with a port has a catch-all route with its timeout; retries only on idempotent methods', () => {
    const failures: string[] = [];
    for (const pod of deployedPods(rendered).filter(p => Object.keys(p.portProtocols).length > 0)) {
      const routes = trafficRoutes(pod.name);
      const timeout = SOMA_RESILIENCE[pod.name]?.timeout?.toSeconds() ?? 30;
      const catchAll = routes.find(r => r.spec.rules.some((rule: any) => !rule.matches))!;
      if (!catchAll) { failures.push(`${pod.name}: no catch-all route`); continue; }
      if (catchAll.metadata.annotations?.['retry.linkerd.io/limit']) failures.push(`${pod.name}: the catch-all route retries`);
      if (catchAll.spec.rules.find((rule: any) => !rule.matches).timeouts.request !== `${timeout}s`) failures.push(`${pod.name}: timeout`);
      for (const route of routes.filter(r => r.metadata.annotations?.['retry.linkerd.io/limit'])) {
        for (const m of route.spec.rules.flatMap((rule: any) => rule.matches ?? [{}])) {
          if (!['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'].includes(m.method)) failures.push(`${route.metadata.name} retries ${m.method ?? 'any method'}`);
        }
      }
      const attempts = SOMA_RESILIENCE[pod.name]?.retries?.attempts ?? 2;
      const idempotent = routes.find(r => r.metadata.name === `${pod.name}-idempotent`);
      if (idempotent && idempotent.metadata.annotations?.['retry.linkerd.io/limit'] !== String(attempts)) failures.push(`${pod.name}: retry limit`);
    }
    expect(failures).toEqual([]);
  });

  test('a call with its own timeout or retries gets a route matching its methods and paths, with them', () => {
    const { SOMA_CALL_TRAFFIC } = require('../app/resilience');
    for (const t of SOMA_CALL_TRAFFIC) {
      const edge = reference.edges.find((e: any) => e.from === t.from && e.to === t.to);
      const routes = trafficRoutes(t.to).filter(r => r.spec.rules.some((rule: any) => (rule.matches ?? [])
        .some((m: any) => m.method === edge.methods[0] && m.path?.value === edge.paths[0] && !m.headers)));
      expect(routes.map(r => r.metadata.name)).toHaveLength(1);
      const route = routes[0];
      expect(route.spec.rules.every((rule: any) => rule.timeouts.request === `${t.timeout.toSeconds()}s`)).toBe(true);
      const retried = route.metadata.annotations?.['retry.linkerd.io/limit'];
      expect(retried).toBe(t.retries ? String(t.retries.attempts) : undefined);
      if (retried) expect(route.metadata.annotations!['retry.linkerd.io/timeout']).toBe(`${t.retries.perTryTimeout.toMilliseconds()}ms`);
    }
  });

  test('circuit breaking is failure accrual on each Service, from the outlier detection', () => {
    for (const s of ofKind(rendered, 'Service')) {
      const app = s.metadata.labels!.app;
      const errors = SOMA_RESILIENCE[app]?.outlierDetection?.consecutiveServerErrors ?? 5;
      expect(s.metadata.annotations?.['balancer.linkerd.io/failure-accrual']).toBe('consecutive');
      expect(s.metadata.annotations?.['balancer.linkerd.io/failure-accrual-consecutive-max-failures']).toBe(String(errors));
    }
  });

  test('what Linkerd cannot express is reported at synth, naming the feature and the service', () => {
    const warnings: string[] = [];
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer(), warningSink: { warn: w => warnings.push(w) } });
    const ns = mesh.addNamespace('shop');
    const { Duration } = require('cdk8s');
    const api = new MeshService(ns, 'api', {
      image: 'x/api:1.0.0', ports: [{ port: 8080 }],
      resilience: { fault: { abort: { percent: 10, httpStatus: 503 } } },
    });
    const web = new MeshService(ns, 'web', { image: 'x/web:1.0.0', ports: [{ port: 8081 }] });
    api.addVersion('v2');
    api.addVersion('v3');
    api.allowFrom(web, { timeout: Duration.seconds(3) });
    const db = new MeshService(ns, 'db', { image: 'x/db:1.0.0', ports: [{ port: 8082 }] });
    db.allowFrom(web, { methods: ['GET'], fault: { delay: { percent: 10, duration: Duration.seconds(1) } } });
    api.traffic.route({ canary: { version: 'v2', weight: 10 }, mirror: { version: 'v3', percent: 5 }, match: [{ version: 'v2', callers: ['web'] }] });
    app.synth();
    const text = warnings.join('\n');
    expect(text).toMatch(/Linkerd: fault injection \(of the service or of a call to it\) is not rendered: .*\(shop\/api, shop\/db\)/);
    expect(text).toMatch(/Linkerd: traffic mirroring is not rendered: .*\(shop\/api\)/);
    expect(text).toMatch(/Linkerd: A\/B routing by a caller in the service's own namespace is not rendered: .*\(shop\/api\)/);
    expect(text).toMatch(/\[c\/Mesh\/shop\/api\] Linkerd: the timeout or retries of the call from web are not rendered/);
  });
});
