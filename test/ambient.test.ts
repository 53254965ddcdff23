import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { spawnSync } from 'child_process';
import { loadReleases, OUTDIR, synthTarget } from '../app/synth';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { IstioAmbientRenderer } from '../src/renderers/ambient/ambient-renderer';
import { MeshTarget, parseMeshTarget, rendererFor } from '../src/renderers/mesh-target';
import { AmbientMesh, AmbientPod } from './support/ambient-authz';
import { instantiate, edgeAllows, sampleRequests } from './support/call-samples';
import { CrdSchemas } from './support/crd-schema';
import { connectionAllowed, NetPod } from './support/network-policy';
import { DIST, K8sObject, ofKind, readManifests, referenceCallGraph, REPO_ROOT, SHARED, expectSameFiles } from './support/manifests';
import { deployedPods, INGRESS_PRINCIPAL, NamedPod, referencePeers } from './support/mesh-model';

const DIST_AMBIENT = path.join(REPO_ROOT, 'dist-ambient');
const ISTIO_CRDS = path.join(SHARED, 'istio', 'crd-all.gen.yaml');
const GATEWAY_API_CRDS = path.join(SHARED, 'gateway-api', 'standard-install.yaml');
const HTTP_FIELDS = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];

const reference = referenceCallGraph();
let rendered: K8sObject[];
let renderDir: string;
let warnings: string[];
let pods: NamedPod[];
let mesh: AmbientMesh;

/** Peers whose calls name methods or paths: their charts must send their Services through a waypoint (the renderer says so). */
const l7Peers = reference.infra.filter((i: any) => reference.edges.some((e: any) => e.to === i.name && (e.methods?.length || e.paths?.length)));

beforeAll(() => {
  renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ambient-'));
  warnings = [];
  // Every warning of the render, those app/known-warnings.ts acknowledges for `npm run synth` included.
  const app = new App({ outdir: renderDir });
  synthTarget(renderDir, loadReleases(path.join(REPO_ROOT, 'releases.json')), MeshTarget.ISTIO_AMBIENT, undefined,
    { warn: w => warnings.push(w) }).build(app);
  app.synth();
  rendered = readManifests(renderDir);
  pods = [...deployedPods(rendered), ...referencePeers(reference)];
  mesh = new AmbientMesh(rendered, Object.fromEntries(l7Peers.map((i: any) => [`${i.namespace}/${i.name}`, 'waypoint'])));
});
afterAll(() => fs.rmSync(renderDir, { recursive: true, force: true }));

function principalOf(name: string): string {
  return name === 'istio-ingressgateway' ? INGRESS_PRINCIPAL : pods.find(p => p.name === name)!.principal;
}

function podOf(name: string): NamedPod & AmbientPod {
  return pods.find(p => p.name === name)!;
}

describe('SomaAgentHub ambient render', () => {
  test('selected by name like the other meshes: istio-ambient, SOMA_MESH=istio-ambient under cdk8s synth, dist-ambient/', () => {
    expect(parseMeshTarget('istio-ambient')).toBe(MeshTarget.ISTIO_AMBIENT);
    expect(rendererFor(MeshTarget.ISTIO_AMBIENT)).toBeInstanceOf(IstioAmbientRenderer);
    expect(OUTDIR[MeshTarget.ISTIO_AMBIENT]).toBe('dist-ambient');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ambient-cdk8s-'));
    try {
      // What `SOMA_MESH=istio-ambient cdk8s synth` runs (cdk8s.yaml: node bin/synth.js, with CDK8S_OUTDIR set).
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synth.js')], { env: { ...process.env, CDK8S_OUTDIR: out, SOMA_MESH: 'istio-ambient' }, encoding: 'utf8' });
      expect(run.status).toBe(0);
      expectSameFiles(DIST_AMBIENT, out);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('the committed dist-ambient/ is what synth renders now', () => {
    expectSameFiles(DIST_AMBIENT, renderDir);
  });

  test('every Istio and Gateway API object validates against ../shared CRDs, unknown fields rejected', () => {
    const schemas = new CrdSchemas(ISTIO_CRDS, GATEWAY_API_CRDS);
    // Kubernetes' own kinds are checked against Kubernetes' schema in the workload tests.
    const custom = rendered.filter(o => !['v1', 'apps/v1', 'networking.k8s.io/v1', 'policy/v1', 'autoscaling/v2'].includes(o.apiVersion));
    expect(custom.length).toBeGreaterThan(50);
    expect(custom.filter(o => !schemas.knows(o)).map(o => `${o.apiVersion} ${o.kind}`)).toEqual([]);
    expect(custom.flatMap(o => schemas.errors(o))).toEqual([]);
  });

  test('the schema check rejects an unknown field on an HTTPRoute rule and on a waypoint listener', () => {
    const schemas = new CrdSchemas(GATEWAY_API_CRDS);
    const route = structuredClone(ofKind(rendered, 'HTTPRoute')[0]);
    route.spec.rules[0].retry = { attempts: 0 }; // experimental channel only
    expect(schemas.errors(route).join()).toMatch(/additional properties/);
    const gateway = structuredClone(ofKind(rendered, 'Gateway').find(g => g.spec.gatewayClassName === 'istio-waypoint')!);
    gateway.spec.listeners[0].hbone = true;
    expect(schemas.errors(gateway).join()).toMatch(/additional properties/);
  });

  test('no sidecar: no Sidecar object, no injection label; every namespace created here is ambient', () => {
    expect(ofKind(rendered, 'Sidecar')).toEqual([]);
    for (const o of rendered) {
      expect(o.metadata.labels?.['istio-injection']).toBeUndefined();
      expect(o.metadata.labels?.['sidecar.istio.io/inject']).toBeUndefined();
      expect(o.spec?.template?.metadata?.labels?.['sidecar.istio.io/inject']).toBeUndefined();
    }
    const namespaces = ofKind(rendered, 'Namespace');
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) expect(ns.metadata.labels?.['istio.io/dataplane-mode']).toBe('ambient');
  });

  test('STRICT mTLS in every namespace of the mesh', () => {
    const strict = ofKind(rendered, 'PeerAuthentication').filter(p => p.spec.mtls.mode === 'STRICT' && !p.spec.selector).map(p => p.metadata.namespace).sort();
    expect(strict).toEqual(['observability', 'soma-agent-hub', 'soma-infra', 'temporal']);
  });

  test('the peers whose calls are L7 are named in one warning each, asking their charts for the waypoint label', () => {
    for (const peer of l7Peers) {
      expect(warnings.filter(w => w.includes(`label the Service ${peer.name} in ${peer.namespace} with istio.io/use-waypoint: waypoint`))).toHaveLength(1);
    }
  });
});

describe('ambient authorization, read back by the independent evaluator', () => {
  test('every call of the reference is allowed: each method on each path, on its port, through the Service', () => {
    const denied: string[] = [];
    for (const edge of reference.edges) {
      for (const r of sampleRequests(edge)) {
        const d = mesh.decide(podOf(edge.to), edge.to, { principal: principalOf(edge.from), via: 'service', port: r.port, method: r.method!, path: r.path! });
        if (!d.allowed) denied.push(`${edge.from} -> ${edge.to} ${r.method} ${r.path}: ${d.why}`);
      }
    }
    expect(denied).toEqual([]);
  });

  test('nothing else is allowed: other callers, ports, methods and paths, through the Service or straight to the pod', () => {
    const callers = [...pods.map(p => ({ name: p.name, principal: p.principal })), { name: 'istio-ingressgateway', principal: INGRESS_PRINCIPAL },
      { name: 'default/default', principal: 'cluster.local/ns/default/sa/default' }, { name: 'soma-agent-hub/default', principal: 'cluster.local/ns/soma-agent-hub/sa/default' },
      { name: 'unmeshed', principal: undefined }];
    const leaks: string[] = [];
    let checked = 0;
    for (const callee of pods) {
      for (const caller of callers) {
        for (const port of [...Object.keys(callee.portProtocols).map(Number), 15999]) {
          const edges = reference.edges.filter((e: any) => e.to === callee.name && e.port === port && e.from === caller.name);
          for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
            for (const p of ['/', '/health', '/admin', ...edges.flatMap((e: any) => (e.paths ?? []).map(instantiate))]) {
              const expected = edges.some((e: any) => edgeAllows(e, method, p));
              const viaService = mesh.decide(callee, callee.name, { principal: caller.principal, via: 'service', port, method, path: p });
              const direct = mesh.decide(callee, callee.name, { principal: caller.principal, via: 'pod', port, method, path: p });
              // Straight to the pod, only a call that needs no L7 (and whose callee has no waypoint) gets through.
              const directExpected = expected && !mesh.waypointOf(callee.namespace, callee.name);
              checked += 2;
              if (viaService.allowed !== expected) leaks.push(`${caller.name} -> ${callee.name}:${port} ${method} ${p} via Service expected ${expected}: ${viaService.why}`);
              if (direct.allowed !== directExpected) leaks.push(`${caller.name} -> ${callee.name}:${port} ${method} ${p} to the pod expected ${directExpected}: ${direct.why}`);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20000);
    expect(leaks).toEqual([]);
  });

  test('every L7 restriction sits where a waypoint enforces it; no selector policy names an HTTP attribute', () => {
    for (const policy of ofKind(rendered, 'AuthorizationPolicy')) {
      const http = (policy.spec.rules ?? []).some((r: any) => (r.to ?? []).some((t: any) => HTTP_FIELDS.some(f => t.operation?.[f] !== undefined)));
      if (policy.spec.selector) {
        // Ingress gateways are Envoy proxies of their own (not ztunnel): their policies keep full L7 semantics.
        const isGateway = policy.spec.selector.matchLabels.istio === 'ingressgateway';
        if (!isGateway) expect({ policy: policy.metadata.name, http }).toEqual({ policy: policy.metadata.name, http: false });
      }
      if (http && !policy.spec.selector) {
        expect(policy.spec.targetRefs).toHaveLength(1);
        const ref = policy.spec.targetRefs[0];
        if (ref.kind === 'Gateway') {
          // The public entry's token check, at the ingress gateway (class istio): an Envoy of its own, with full L7.
          const gateway = ofKind(rendered, 'Gateway').find(g => g.metadata.namespace === policy.metadata.namespace && g.metadata.name === ref.name)!;
          expect([ref.group, gateway.spec.gatewayClassName, policy.spec.action]).toEqual(['gateway.networking.k8s.io', 'istio', 'DENY']);
          continue;
        }
        expect(ref.kind).toBe('Service');
        expect(mesh.waypointOf(policy.metadata.namespace!, ref.name)).toBeDefined();
      }
    }
  });

  test('a workload reached through a waypoint admits the waypoint alone at ztunnel; one reached at L4 admits its callers', () => {
    for (const policy of ofKind(rendered, 'AuthorizationPolicy').filter(p => p.spec.selector && p.metadata.name.endsWith('-callers'))) {
      const pod = pods.find(p => p.namespace === policy.metadata.namespace && Object.entries(policy.spec.selector.matchLabels).every(([k, v]) => p.labels[k] === v))!;
      const principals = (policy.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals));
      const waypoint = mesh.waypointOf(pod.namespace, pod.name);
      if (waypoint) expect(principals).toEqual([`cluster.local/ns/${pod.namespace}/sa/${waypoint}`]);
      else expect(principals).not.toContain(expect.stringMatching(/\/sa\/waypoint$/));
    }
  });

  test('the allowed calls, read from the policies, equal the call graph exactly (pair, port, method, path)', () => {
    const callerOf = (principal: string) => (principal === INGRESS_PRINCIPAL ? 'istio-ingressgateway' : pods.find(p => p.principal === principal)!.name);
    const fromPolicies = new Set<string>();
    for (const policy of ofKind(rendered, 'AuthorizationPolicy').filter(p => (p.spec.rules ?? []).length > 0)) {
      const ns = policy.metadata.namespace!;
      let callee: string;
      if (policy.spec.targetRefs?.[0].kind === 'ServiceEntry') continue; // egress: checked below
      if (policy.spec.targetRefs?.[0].kind === 'Gateway') continue; // the public host's token check
      if (policy.spec.targetRefs) callee = policy.spec.targetRefs[0].name;
      else if (policy.spec.selector?.matchLabels.istio === 'ingressgateway') continue; // the public host's token check
      else {
        callee = pods.find(p => p.namespace === ns && Object.entries(policy.spec.selector.matchLabels).every(([k, v]) => p.labels[k] === v))!.name;
        if (mesh.waypointOf(ns, callee)) continue; // admits the waypoint: the calls are its targetRefs policy's
      }
      for (const rule of policy.spec.rules) {
        for (const principal of rule.from.flatMap((f: any) => f.source.principals)) {
          for (const t of rule.to) {
            for (const port of t.operation.ports) {
              for (const method of t.operation.methods ?? ['*']) for (const p of t.operation.paths ?? ['*']) fromPolicies.add(JSON.stringify([callerOf(principal), callee, Number(port), method, p]));
            }
          }
        }
      }
    }
    const fromGraph = new Set<string>();
    for (const e of reference.edges) {
      for (const method of e.methods?.length ? e.methods : ['*']) for (const p of e.paths?.length ? e.paths : ['*']) fromGraph.add(JSON.stringify([e.from, e.to, e.port, method, p]));
    }
    expect([...fromPolicies].sort()).toEqual([...fromGraph].sort());
  });

  test('the evaluator tells the enforcement points apart: mutations of the render are caught', () => {
    const gatewayApi = principalOf('gateway-api');
    const health = { principal: gatewayApi, via: 'pod' as const, port: 10022, method: 'GET', path: '/health' };
    // A ztunnel policy that also admitted the caller would let it skip the waypoint and its method and path rule.
    const widened = structuredClone(rendered);
    widened.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'slm-service-callers')!.spec.rules[0].from[0].source.principals.push(gatewayApi);
    expect(new AmbientMesh(widened).decide(podOf('slm-service'), 'slm-service', { ...health, method: 'DELETE', path: '/admin' }).allowed).toBe(true);
    expect(mesh.decide(podOf('slm-service'), 'slm-service', { ...health, method: 'DELETE', path: '/admin' }).allowed).toBe(false);
    // The L7 rule moved into the selector policy: ztunnel never matches it, so the call is refused, even without a waypoint.
    const moved = structuredClone(rendered).filter(o => !(o.kind === 'AuthorizationPolicy' && o.metadata.name === 'slm-service-waypoint-callers'));
    const l4 = moved.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'slm-service-callers')!;
    l4.spec.rules = [{ from: [{ source: { principals: [gatewayApi] } }], to: [{ operation: { ports: ['10022'], methods: ['GET'], paths: ['/health'] } }] }];
    const service = moved.find(o => o.kind === 'Service' && o.metadata.name === 'slm-service')!;
    delete service.metadata.labels!['istio.io/use-waypoint'];
    expect(new AmbientMesh(moved).decide(podOf('slm-service'), 'slm-service', { ...health, via: 'service' })).toMatchObject({ allowed: false, waypoint: undefined });
  });

  test('workloads whose calls are all L4 get no waypoint', () => {
    const l7 = new Set(reference.edges.filter((e: any) => e.methods?.length || e.paths?.length).map((e: any) => e.to));
    for (const pod of pods) {
      const callers = reference.edges.filter((e: any) => e.to === pod.name);
      if (callers.length > 0 && callers.every((e: any) => e.protocol !== 'HTTP' || (!e.methods?.length && !e.paths?.length)) && !l7.has(pod.name)) {
        // L4-only callees: the reference's TCP and gRPC peers (Redis, Kafka, Postgres, Temporal, the collector).
        expect({ pod: pod.name, waypoint: mesh.waypointOf(pod.namespace, pod.name) }).toEqual({ pod: pod.name, waypoint: undefined });
      }
    }
    expect(mesh.waypointOf('soma-infra', 'redis')).toBeUndefined();
    expect(mesh.waypointOf('soma-agent-hub', 'slm-service')).toBe('waypoint');
  });
});

describe('ambient egress', () => {
  test('a listed host leaves through its callers\' egress waypoint, which admits exactly its callers; a wildcard host is reported once', () => {
    const hosts = [...new Set<string>(reference.egress.filter((e: any) => e.port).map((e: any) => e.host))];
    const callers = pods.filter(p => p.namespace === 'soma-agent-hub');
    for (const host of hosts) {
      const port = reference.egress.find((e: any) => e.host === host).port;
      for (const caller of callers) {
        const d = mesh.decideExternal('soma-agent-hub', host, caller.principal, port);
        const declared = reference.egress.some((e: any) => e.host === host && e.from === caller.name);
        if (host.startsWith('*.')) expect(d).toBe('unrestricted');
        else expect({ host, caller: caller.name, allowed: (d as any).allowed }).toEqual({ host, caller: caller.name, allowed: declared });
      }
    }
    expect(warnings.filter(w => w.includes('egress to *.amazonaws.com is not restricted'))).toHaveLength(1);
    expect(warnings.filter(w => /egress to (api\.openai\.com|registry\.terraform\.io) is not restricted/.test(w))).toEqual([]);
  });
});

describe('ambient ingress', () => {
  test('the public API as Gateway API objects on the existing ingress gateway, with the token check attached to the Gateway', () => {
    const istio = readManifests(DIST);
    const gateway = ofKind(rendered, 'Gateway').find(g => g.spec.gatewayClassName === 'istio')!;
    expect(gateway.metadata.namespace).toBe('istio-system');
    // Bound to the existing gateway's Service: the gateway keeps the identity the call graph names.
    expect(gateway.spec.addresses).toEqual([{ type: 'Hostname', value: 'istio-ingressgateway.istio-system.svc.cluster.local' }]);
    const classic = ofKind(istio, 'Gateway')[0];
    const https = gateway.spec.listeners.find((l: any) => l.name === 'https');
    expect([https.hostname, https.port, https.tls.certificateRefs[0].name]).toEqual([classic.spec.servers[0].hosts[0], 443, classic.spec.servers[0].tls.credentialName]);
    const routes = ofKind(rendered, 'HTTPRoute').filter(r => r.spec.parentRefs.some((p: any) => p.kind === 'Gateway' && p.name === gateway.metadata.name));
    expect(routes.map(r => r.spec.parentRefs[0].sectionName).sort()).toEqual(['http', 'https']);
    const main = routes.find(r => r.spec.parentRefs[0].sectionName === 'https')!;
    expect(main.spec.rules).toEqual([{ backendRefs: [{ group: '', kind: 'Service', name: 'gateway-api', port: 10000 }] }]);
    expect(routes.find(r => r.spec.parentRefs[0].sectionName === 'http')!.spec.rules[0].filters[0].requestRedirect.scheme).toBe('https');
    // The same token check as the sidecar render's, attached to the Gateway rather than selecting the gateway's pods.
    const target = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.metadata.name }];
    const jwt = ofKind(rendered, 'RequestAuthentication')[0];
    expect(jwt.spec.targetRefs).toEqual(target);
    expect(jwt.spec.jwtRules).toEqual(ofKind(istio, 'RequestAuthentication')[0].spec.jwtRules);
    const deny = ofKind(rendered, 'AuthorizationPolicy').find(p => p.metadata.name.endsWith('-require-jwt'))!;
    expect(deny.spec.targetRefs).toEqual(target);
    expect(deny.spec.rules).toEqual(ofKind(istio, 'AuthorizationPolicy').find(p => p.metadata.name.endsWith('-require-jwt'))!.spec.rules);
    expect(ofKind(rendered, 'VirtualService')).toEqual([]);
  });
});

describe('ambient NetworkPolicies: every meshed connection is HBONE on 15008', () => {
  test('each call\'s connections are open on 15008 (caller to waypoint to callee, or caller to callee), and only those', () => {
    const policies = ofKind(rendered, 'NetworkPolicy');
    let ip = 0;
    const net = (p: AmbientPod): NetPod => ({ namespace: p.namespace, labels: p.labels, ip: `10.3.0.${++ip}` });
    const waypointPod = (namespace: string, name: string): NetPod => net({ namespace, labels: { 'gateway.networking.k8s.io/gateway-name': name } });
    const ingress = net({ namespace: 'istio-system', labels: { istio: 'ingressgateway' } });
    const failures: string[] = [];
    for (const edge of reference.edges) {
      const to = podOf(edge.to);
      const from = edge.from === 'istio-ingressgateway' ? ingress : net(podOf(edge.from));
      const waypoint = mesh.waypointOf(to.namespace, to.name);
      const hops: Array<[NetPod, NetPod]> = waypoint ? [[from, waypointPod(to.namespace, waypoint)], [waypointPod(to.namespace, waypoint), net(to)]] : [[from, net(to)]];
      for (const [a, b] of hops) {
        if (!connectionAllowed(policies, a, b, 15008)) failures.push(`${edge.from} -> ${edge.to}: ${a.labels.app ?? a.labels['gateway.networking.k8s.io/gateway-name'] ?? 'gw'} to ${b.labels.app ?? b.labels['gateway.networking.k8s.io/gateway-name']} on 15008`);
      }
    }
    expect(failures).toEqual([]);
    // A caller of slm-service reaches only its waypoint, not the pods; nobody reaches the app port itself.
    expect(connectionAllowed(policies, net(podOf('memory-gateway')), net(podOf('slm-service')), 15008)).toBe(false);
    expect(connectionAllowed(policies, net(podOf('memory-gateway')), net(podOf('slm-service')), 10022)).toBe(false);
    // The kubelet's probes, which ambient SNATs to 169.254.7.127, reach every pod of the namespace.
    expect(connectionAllowed(policies, { namespace: '', labels: {}, ip: '169.254.7.127' }, net(podOf('slm-service')), 10022)).toBe(true);
  });
});

describe('ambient telemetry', () => {
  const dashboard = (name: string) => {
    const map = ofKind(rendered, 'ConfigMap').find(c => c.metadata.name === `dashboard-soma-agent-hub-${name}`)!;
    const json = JSON.parse(String(Object.values(map.data)[0]));
    return json.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join('\n');
  };

  test('the mesh-wide Telemetry lives in the root namespace, where waypoints read it', () => {
    const telemetry = ofKind(rendered, 'Telemetry');
    expect(telemetry.map(t => `${t.metadata.namespace}/${t.metadata.name}`)).toEqual(['istio-system/mesh-default']);
    expect(telemetry[0].spec.metrics).toEqual([{ providers: [{ name: 'prometheus' }] }]);
  });

  test('dashboards read what each service\'s enforcement point emits: the waypoint\'s requests, or ztunnel\'s connections', () => {
    // Behind a waypoint: requests and their durations, as the waypoint reports them.
    expect(dashboard('slm-service')).toContain('istio_requests_total{reporter="waypoint",destination_workload_namespace="soma-agent-hub",destination_workload=~"slm-service-v1|slm-service-v2"}');
    expect(dashboard('slm-service')).toContain('istio_request_duration_milliseconds_bucket{reporter="waypoint"');
    // A worker: its outbound requests, at the waypoints of what it calls.
    expect(dashboard('orchestrator-worker')).toContain('istio_requests_total{reporter="waypoint",source_workload_namespace="soma-agent-hub"');
    // Reached at L4 only: ztunnel's connection count; ztunnel sees no responses.
    expect(mesh.waypointOf('soma-agent-hub', 'billing-service')).toBeUndefined();
    expect(dashboard('billing-service')).toContain('istio_tcp_connections_opened_total{reporter="destination"');
    expect(dashboard('billing-service')).not.toContain('istio_requests_total');
  });
});

describe('ambient traffic, tested from the YAML', () => {
  const route = (name: string) => ofKind(rendered, 'HTTPRoute').find(r => r.metadata.name === name)!;
  const istio = () => readManifests(DIST);

  test('slm-service: a Gateway API route on its own Service sends 99% to v1 and 1% to v2, each a Service of its version', () => {
    const r = route('slm-service');
    expect(r.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'slm-service', port: 10022 }]);
    for (const rule of r.spec.rules) {
      expect(rule.backendRefs.map((b: any) => `${b.name}:${b.weight}`)).toEqual(['slm-service-v1:99', 'slm-service-v2:1']);
    }
    for (const version of ['v1', 'v2']) {
      const svc = ofKind(rendered, 'Service').find(s => s.metadata.name === `slm-service-${version}`)!;
      const deployment = ofKind(rendered, 'Deployment').find(d => d.spec.template.metadata.labels.app === 'slm-service' && d.spec.template.metadata.labels.version === version)!;
      expect(Object.entries(svc.spec.selector).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)).toBe(true);
      // Not labelled for the waypoint: a caller that names the version's Service reaches its ztunnel, which admits only the waypoint.
      expect(svc.metadata.labels?.['istio.io/use-waypoint']).toBeUndefined();
    }
  });

  test('every timeout of the Istio render has its ambient rule: same method and path, same timeout', () => {
    const vss = ofKind(istio(), 'VirtualService').filter(v => !v.spec.gateways);
    let compared = 0;
    for (const vs of vss) {
      const name = vs.metadata.name;
      const rules = ofKind(rendered, 'HTTPRoute').filter(r => r.metadata.namespace === vs.metadata.namespace && r.spec.parentRefs[0].name === name).flatMap(r => r.spec.rules);
      if (rules.length === 0) continue; // a service reached at L4 only
      for (const http of vs.spec.http ?? []) {
        for (const m of http.match ?? [{}]) {
          const method = m.method?.exact;
          const exact = m.uri?.exact;
          if (m.headers) continue;
          const rule = rules.find((x: any) => (x.matches ?? [{}]).some((g: any) => g.method === method && g.path?.value === exact && (exact === undefined || g.path?.type === 'Exact')))
            // A request the call classes do not name falls through to the rule without matches.
            ?? rules.find((x: any) => !x.matches);
          if (!http.match) expect(rules.find((x: any) => !x.matches).timeouts.request).toBe(http.timeout);
          else if (method && exact && rule.matches) {
            expect(`${name} ${method} ${exact} ${rule.timeouts.request}`).toBe(`${name} ${method} ${exact} ${http.timeout}`);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  test('no route retries: standard-channel HTTPRoute has no retry field, and the render says what keeps POSTs from being replayed', () => {
    for (const r of ofKind(rendered, 'HTTPRoute')) for (const rule of r.spec.rules) expect(rule.retry).toBeUndefined();
    expect(warnings.filter(w => w.includes('meshConfig.defaultHttpRetryPolicy'))).toHaveLength(1);
    expect(warnings.filter(w => w.includes('meshConfig.defaultHttpRetryPolicy'))[0]).toContain('soma-agent-hub/slm-service');
  });

  test('with the experimental channel\'s `retry`, every rule\'s timeout and retries equal the sidecar render\'s; nothing that may be a POST is retried', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-ambient-retry-'));
    try {
      const lines: string[] = [];
      const app = new App({ outdir: dir });
      new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: new IstioAmbientRenderer({ gatewayApiChannel: 'experimental' }), warningSink: { warn: w => lines.push(w) } } });
      app.synth();
      const objects = readManifests(dir);
      expect(lines.filter(w => /retries|defaultHttpRetryPolicy/.test(w))).toEqual([]);
      const vss = ofKind(istio(), 'VirtualService').filter(v => !v.spec.gateways);
      let compared = 0;
      for (const vs of vss) {
        const rules = ofKind(objects, 'HTTPRoute').filter(r => r.spec.parentRefs[0].kind === 'Service' && r.spec.parentRefs[0].name === vs.metadata.name).flatMap(r => r.spec.rules);
        if (rules.length === 0) continue;
        for (const http of vs.spec.http ?? []) {
          for (const m of http.match ?? [undefined]) {
            if (m?.headers) continue;
            const method = m?.method?.exact;
            const uri = m?.uri?.exact ?? m?.uri?.regex;
            const rule = rules.find((x: any) => (m === undefined ? !x.matches : (x.matches ?? []).some((g: any) => g.method === method && g.path?.value === uri && !g.headers)));
            // Durations as milliseconds: Istio writes `1.5s`, Gateway API `1500ms`.
            const ms = (d?: string) => (d === undefined ? '-' : d.endsWith('ms') ? `${Number(d.slice(0, -2))}ms` : `${Number(d.slice(0, -1)) * 1000}ms`);
            const sidecar = `${vs.metadata.name} ${method ?? '*'} ${uri ?? '*'}: ${ms(http.timeout)} retries ${http.retries.attempts} per try ${ms(http.retries.perTryTimeout)}`;
            const ambient = rule ? `${vs.metadata.name} ${method ?? '*'} ${uri ?? '*'}: ${ms(rule.timeouts.request)} retries ${rule.retry.attempts} per try ${ms(rule.timeouts.backendRequest)}` : 'no rule';
            expect(ambient).toBe(sidecar);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(20);
      // The public entry carries POSTs: never retried.
      expect(ofKind(objects, 'HTTPRoute').find(r => r.spec.parentRefs[0].kind === 'Gateway' && r.spec.parentRefs[0].sectionName === 'https')!.spec.rules[0].retry).toEqual({ attempts: 0 });
      const idempotent = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];
      for (const rule of ofKind(objects, 'HTTPRoute').filter(r => r.spec.parentRefs[0].kind === 'Service').flatMap(r => r.spec.rules)) {
        if (rule.retry.attempts === 0) continue;
        for (const m of rule.matches ?? [{}]) expect(idempotent).toContain(m.method);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('connection pools and outlier detection: a DestinationRule per backend host, as the Istio render sets them', () => {
    const istioRule = ofKind(istio(), 'DestinationRule').find(d => d.metadata.name === 'slm-service')!;
    for (const host of ['slm-service', 'slm-service-v1', 'slm-service-v2']) {
      const dr = ofKind(rendered, 'DestinationRule').find(d => d.metadata.name === host)!;
      expect(dr.spec.host).toBe(`${host}.soma-agent-hub.svc.cluster.local`);
      expect(dr.spec.trafficPolicy).toEqual(istioRule.spec.trafficPolicy);
      expect(dr.spec.subsets).toBeUndefined();
    }
  });
});
