import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../app/synth';
import { CrdSchemas } from './support/crd-schema';
import { isAllowed, mtlsMode } from './support/istio-authz';
import { DIST, K8sObject, ofKind, readManifests, referenceCallGraph, SHARED, expectSameFiles } from './support/manifests';
import { edgeAllows, instantiate, sampleRequests } from './support/call-samples';
import { deployedPods, INGRESS_PRINCIPAL, NamedPod, referencePeers } from './support/mesh-model';

const reference = referenceCallGraph();
let rendered: K8sObject[];
let renderDir: string;

beforeAll(() => {
  renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-render-'));
  main(renderDir);
  rendered = readManifests(renderDir);
});
afterAll(() => fs.rmSync(renderDir, { recursive: true, force: true }));

describe('SomaAgentHub render', () => {
  test('matches the snapshot', () => {
    expect(rendered).toMatchSnapshot();
  });

  test('the committed dist/ is what synth renders now', () => {
    expectSameFiles(DIST, renderDir);
  });

  test('every Istio resource validates against its CRD schema, unknown fields rejected', () => {
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    const istio = rendered.filter(o => o.apiVersion.includes('istio.io'));
    expect(istio.length).toBeGreaterThan(0);
    expect(istio.flatMap(o => schemas.errors(o))).toEqual([]);
  });

  test('the schema check itself rejects an unknown field', () => {
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    const bad = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'x' }, spec: { mtls: { mode: 'STRICT', extra: 1 } } };
    expect(schemas.errors(bad as any).join()).toMatch(/additional properties/);
  });

  test('every namespaced object names a namespace created earlier or owned by another chart', () => {
    const external = new Set(['soma-infra', 'temporal', 'observability', 'istio-system']);
    const created = new Set<string>();
    for (const o of rendered) {
      if (o.kind === 'Namespace') { created.add(o.metadata.name); continue; }
      expect(o.metadata.namespace).toBeDefined();
      expect(created.has(o.metadata.namespace!) || external.has(o.metadata.namespace!)).toBe(true);
    }
  });
});

describe('zero trust', () => {
  let pods: NamedPod[];
  let policies: K8sObject[];
  beforeAll(() => {
    pods = [...deployedPods(rendered), ...referencePeers(reference)];
    policies = ofKind(rendered, 'AuthorizationPolicy');
  });

  test('deploys exactly the reference services, and every namespace with a workload is injected and STRICT', () => {
    expect(deployedPods(rendered).map(p => p.name).sort()).toEqual(reference.services.map((s: any) => s.name).sort());
    const pas = ofKind(rendered, 'PeerAuthentication');
    for (const pod of pods) {
      for (const port of [...Object.keys(pod.portProtocols).map(Number), 9999]) {
        expect(`${pod.name}:${port} ${mtlsMode(pas, pod, port)}`).toBe(`${pod.name}:${port} STRICT`);
      }
    }
    for (const ns of ofKind(rendered, 'Namespace')) expect(ns.metadata.labels?.['istio-injection']).toBe('enabled');
    for (const pa of pas) expect(['STRICT', undefined]).toContain(pa.spec?.mtls?.mode);
  });

  test('no DestinationRule sets a TLS mode other than ISTIO_MUTUAL', () => {
    const modes = ofKind(rendered, 'DestinationRule').flatMap(dr => JSON.stringify(dr.spec).match(/"mode":"[A-Z_]+"/g) ?? []);
    expect(modes.filter(m => m !== '"mode":"ISTIO_MUTUAL"')).toEqual([]);
  });

  test('every call of the reference is allowed: each method on each path, on its port', () => {
    const denied: string[] = [];
    for (const edge of reference.edges) {
      const callee = pods.find(p => p.name === edge.to)!;
      const caller = edge.from === 'istio-ingressgateway' ? INGRESS_PRINCIPAL : pods.find(p => p.name === edge.from)!.principal;
      for (const request of sampleRequests(edge)) {
        if (!isAllowed(policies, callee, { principal: caller, ...request })) denied.push(`${edge.from} -> ${edge.to} ${JSON.stringify(request)}`);
      }
    }
    expect(denied).toEqual([]);
  });

  test('nothing else is allowed: other callers, ports, methods and paths are denied', () => {
    const principals = [...pods.map(p => p.principal), INGRESS_PRINCIPAL, 'cluster.local/ns/default/sa/default', 'cluster.local/ns/soma-agent-hub/sa/default'];
    const leaks: string[] = [];
    for (const callee of pods) {
      for (const principal of principals) {
        for (const port of [...Object.keys(callee.portProtocols).map(Number), 15999]) {
          const edges = reference.edges.filter((e: any) => e.to === callee.name && e.port === port && principalOf(e.from, pods) === principal);
          for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
            for (const p of ['/', '/health', '/admin', ...edges.flatMap((e: any) => (e.paths ?? []).map(instantiate))]) {
              const request = { principal, port, method, path: p };
              const expected = edges.some((e: any) => edgeAllows(e, method, p));
              if (isAllowed(policies, callee, request) !== expected) leaks.push(`${principal} -> ${callee.name}:${port} ${method} ${p} expected ${expected}`);
            }
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  test('the allowed callers of each workload, read from its policy, equal the call graph exactly', () => {
    const fromPolicies = new Set<string>();
    for (const policy of policies.filter(p => p.spec?.rules && p.spec.action !== 'DENY')) {
      const target = pods.find(p => p.namespace === policy.metadata.namespace && Object.entries(policy.spec.selector.matchLabels).every(([k, v]) => p.labels[k] === v))!;
      for (const rule of policy.spec.rules) {
        expect(rule.from).toHaveLength(1);
        for (const principal of rule.from[0].source.principals) {
          for (const { operation } of rule.to) {
            fromPolicies.add(tuple(principal, target.name, Number(operation.ports[0]), operation.methods, operation.paths));
          }
        }
      }
    }
    const fromGraph = new Set<string>(reference.edges.map((e: any) => tuple(principalOf(e.from, pods), e.to, e.port, e.methods, e.paths)));
    expect([...fromPolicies].sort()).toEqual([...fromGraph].sort());
  });

  test('a workload in no call is reachable by nobody', () => {
    const called = new Set(reference.edges.map((e: any) => e.to));
    for (const pod of pods.filter(p => !called.has(p.name))) {
      for (const principal of pods.map(p => p.principal)) {
        for (const port of Object.keys(pod.portProtocols).map(Number)) {
          expect(isAllowed(policies, pod, { principal, port, method: 'GET', path: '/' })).toBe(false);
        }
      }
    }
  });

  test('the only DENY policies are the ingress gateway\'s, refusing requests without a valid JWT', () => {
    const denies = policies.filter(p => p.spec?.action !== undefined && p.spec.action !== 'ALLOW');
    expect(denies.length).toBeGreaterThan(0);
    for (const policy of denies) {
      expect(policy.spec.action).toBe('DENY');
      expect(policy.metadata.namespace).toBe('istio-system');
      expect(policy.spec.selector.matchLabels).toEqual({ istio: 'ingressgateway' });
      for (const rule of policy.spec.rules) expect(rule.from).toEqual([{ source: { notRequestPrincipals: ['*'] } }]);
    }
  });

  test('principals carry no spiffe:// prefix and every AuthorizationPolicy rule names its ports', () => {
    for (const policy of policies) {
      for (const rule of policy.spec?.rules ?? []) {
        // The gateway's DENY is bound to the public host instead (the gateway serves no TCP listener here).
        if (policy.spec.action === 'DENY') { for (const to of rule.to) expect(to.operation.hosts.length).toBeGreaterThan(0); continue; }
        for (const from of rule.from) for (const principal of from.source.principals) expect(principal).toMatch(/^cluster\.local\/ns\/[a-z0-9-]+\/sa\/[a-z0-9-]+$/);
        for (const to of rule.to) expect(to.operation.ports.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('pod hardening', () => {
  test('every Deployment runs a hardened, pinned, probed pod under its own ServiceAccount', () => {
    const findings: string[] = [];
    const serviceAccounts = new Set(ofKind(rendered, 'ServiceAccount').map(sa => `${sa.metadata.namespace}/${sa.metadata.name}`));
    for (const d of ofKind(rendered, 'Deployment')) {
      const pod = d.spec.template.spec;
      const labels = d.spec.template.metadata.labels;
      const at = (what: string) => findings.push(`${d.metadata.name}: ${what}`);
      if (!labels.app || !labels.version) at('app and version labels');
      if (!pod.serviceAccountName || pod.serviceAccountName === 'default') at('own service account');
      if (!serviceAccounts.has(`${d.metadata.namespace}/${pod.serviceAccountName}`)) at('service account rendered');
      if (pod.securityContext?.runAsNonRoot !== true) at('pod runAsNonRoot');
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') at('pod seccomp');
      if (pod.hostNetwork || pod.hostPID || pod.hostIPC) at('host namespaces');
      for (const c of pod.containers) {
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) at('allowPrivilegeEscalation');
        if (sc.readOnlyRootFilesystem !== true) at('readOnlyRootFilesystem');
        if (sc.privileged === true) at('privileged');
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) at('drop ALL');
        if ((sc.capabilities?.add ?? []).length > 0) at('added capabilities');
        if (sc.seccompProfile?.type !== 'RuntimeDefault' && pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') at('seccomp');
        if (!/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(c.image) || c.image.endsWith(':latest')) at(`pinned image ${c.image}`);
        if (!c.livenessProbe || !c.readinessProbe) at('probes');
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.cpu || !c.resources?.limits?.memory) at('resources');
        if ([0, 1337].includes(sc.runAsUser ?? pod.securityContext?.runAsUser)) at('user id');
      }
    }
    expect(findings).toEqual([]);
  });

  test('Service ports are named for their protocol and equal the container port', () => {
    const deployments = ofKind(rendered, 'Deployment');
    for (const s of ofKind(rendered, 'Service')) {
      const d = deployments.find(x => x.metadata.namespace === s.metadata.namespace && x.spec.template.metadata.labels.app === s.spec.selector.app)!;
      const containerPorts = d.spec.template.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.containerPort));
      for (const p of s.spec.ports) {
        expect(p.name).toMatch(/^(http|http2|grpc|tcp)-/);
        expect(p.appProtocol).toBe(p.name.split('-')[0]);
        expect(p.targetPort).toBe(p.port);
        expect(containerPorts).toContain(p.port);
      }
    }
  });
});

describe('declarations equal the reference call graph', () => {
  test('services, ports, peers and calls', () => {
    const { SOMA_SERVICES } = require('../app/services');
    const { SOMA_PEERS } = require('../app/infrastructure');
    const { SOMA_CALLS } = require('../app/calls');
    expect(SOMA_SERVICES.map((s: any) => [s.name, s.port ?? null])).toEqual(reference.services.map((s: any) => [s.name, s.ports[0]?.port ?? null]));
    expect(SOMA_PEERS.map((p: any) => ({ name: p.name, namespace: p.namespace, selector: p.selector, serviceAccount: p.serviceAccount, ports: p.ports })))
      .toEqual(reference.infra.map((i: any) => ({ name: i.name, namespace: i.namespace, selector: i.selector, serviceAccount: i.serviceAccount, ports: i.ports })));
    const norm = (e: any) => JSON.stringify([e.from, e.to, e.port, e.methods ?? [], e.paths ?? []]);
    expect(SOMA_CALLS.map(norm)).toEqual(reference.edges.map(norm));
  });
});

function principalOf(name: string, pods: NamedPod[]): string {
  return name === 'istio-ingressgateway' ? INGRESS_PRINCIPAL : pods.find(p => p.name === name)!.principal;
}

function tuple(principal: string, to: string, port: number, methods?: string[], paths?: string[]): string {
  return JSON.stringify([principal, to, port, [...(methods ?? [])].sort(), [...(paths ?? [])].sort()]);
}
