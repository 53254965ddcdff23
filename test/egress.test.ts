import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { ExistingWorkload } from '../src/model/existing-workload';
import { ExternalHost } from '../src/model/external-host';
import { IstioRenderer, IstioRendererProps } from '../src/renderers/istio/istio-renderer';
import { Mesh } from '../src/model/mesh';
import { MeshService } from '../src/model/mesh-service';
import { HealthCheck } from '../src/model/health-check';
import { Protocol } from '../src/model/protocol';
import { CrdSchemas } from './support/crd-schema';
import { MESHES, renderOn, schemaErrors } from './support/three-meshes';
import { K8sObject, SHARED } from './support/manifests';

/** The egress constructs on their own: validation, and the optional egress gateway. */
function setup(renderer: IstioRendererProps = {}) {
  const chart = new Chart(Testing.app(), 'test');
  const mesh = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer(renderer) });
  const apps = mesh.addNamespace('apps');
  const worker = new MeshService(apps, 'worker', { image: 'example/worker:1.0.0', ports: [{ port: 8080 }] });
  const other = new MeshService(apps, 'other', { image: 'example/other:1.0.0', ports: [{ port: 8080 }] });
  return { chart, mesh, worker, other };
}

describe('ExternalHost', () => {
  test('fails on a host that is not a DNS name, or a port out of range, naming the construct', () => {
    const { mesh } = setup();
    expect(() => new ExternalHost(mesh, 'Bad', { host: 'https://api.example.com' })).toThrow(/\[test\/Mesh\/Bad\] host "https:\/\/api.example.com" is not a DNS name/);
    expect(() => new ExternalHost(mesh, 'Deep', { host: 'a.*.example.com' })).toThrow(/is not a DNS name/);
    expect(() => new ExternalHost(mesh, 'Port', { host: 'api.example.com', port: 70000 })).toThrow('[test/Mesh/Port] port: 70000 is out of range; write an integer from 1 to 65535');
  });

  test('fails at synth when nobody calls a host, and when a caller is allowed twice', () => {
    const { chart, mesh, worker } = setup();
    const host = new ExternalHost(mesh, 'Api', { host: 'api.example.com' });
    host.allowFrom(worker);
    expect(() => host.allowFrom(worker)).toThrow(/worker is allowed to reach api.example.com twice/);
    new ExternalHost(mesh, 'Unused', { host: 'unused.example.com' });
    expect(() => Testing.synth(chart)).toThrow(/no workload calls unused.example.com: call allowFrom\(workload\) or remove it/);
  });

  test('unlisted egress needs a reason, once', () => {
    const { mesh, worker } = setup();
    expect(() => mesh.callGraph.allowUnlistedEgress(worker, { reason: '' })).toThrow(/unlisted egress needs a reason/);
    mesh.callGraph.allowUnlistedEgress(worker, { reason: 'calls URLs its users give it' });
    expect(() => mesh.callGraph.allowUnlistedEgress(worker, { reason: 'calls URLs its users give it' })).toThrow(/declared twice/);
  });

  test('a ServiceEntry and a Sidecar host appear only for the callers', () => {
    const { chart, mesh, worker } = setup();
    new ExternalHost(mesh, 'Api', { host: 'api.example.com' }).allowFrom(worker);
    const out = Testing.synth(chart) as K8sObject[];
    const sidecars = Object.fromEntries(out.filter(o => o.kind === 'Sidecar').map(s => [s.metadata.name, s.spec.egress[0].hosts]));
    expect(sidecars).toEqual({ worker: ['apps/api.example.com', 'istio-system/*'], other: ['istio-system/*'] });
    expect(out.filter(o => o.kind === 'ServiceEntry').map(o => [o.metadata.namespace, o.spec.exportTo])).toEqual([['apps', ['.']]]);
    expect(out.filter(o => o.kind === 'Gateway')).toEqual([]);
    expect(out.filter(o => o.kind === 'VirtualService' && o.spec.hosts.includes('api.example.com'))).toEqual([]);
  });
});

describe('egress gateway (optional)', () => {
  test('routes a plain host through the gateway by SNI passthrough; a wildcard host still leaves directly', () => {
    const { chart, mesh, worker } = setup({ egressGateway: {} });
    // The egress gateway is a peer of Istio's install, declared (like the ingress gateway) so that checks know its Service.
    new ExistingWorkload(mesh.addNamespace('istio-system', { create: false, strictMtls: false }), 'istio-egressgateway', {
      selector: { istio: 'egressgateway' }, serviceAccountName: 'istio-egressgateway-service-account',
    });
    new ExternalHost(mesh, 'Api', { host: 'api.example.com' }).allowFrom(worker);
    new ExternalHost(mesh, 'Cloud', { host: '*.cloud.example' }).allowFrom(worker);
    const out = Testing.synth(chart) as K8sObject[];
    const gateways = out.filter(o => o.kind === 'Gateway');
    expect(gateways).toHaveLength(1);
    expect(gateways[0].metadata.namespace).toBe('istio-system');
    expect(gateways[0].spec).toEqual({
      selector: { istio: 'egressgateway' },
      servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['api.example.com'], tls: { mode: 'PASSTHROUGH' } }],
    });
    const [vs] = out.filter(o => o.kind === 'VirtualService' && o.spec.hosts.includes('api.example.com'));
    const gatewayRef = `istio-system/${gateways[0].metadata.name}`;
    expect(vs.spec.gateways).toEqual(['mesh', gatewayRef]);
    expect(vs.spec.tls).toEqual([
      { match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', port: { number: 443 } } }] },
      { match: [{ gateways: [gatewayRef], port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'api.example.com', port: { number: 443 } } }] },
    ]);
    const exportTo = Object.fromEntries(out.filter(o => o.kind === 'ServiceEntry').map(o => [o.spec.hosts[0], o.spec.exportTo]));
    expect(exportTo).toEqual({ 'api.example.com': ['.', 'istio-system'], '*.cloud.example': ['.'] });
    const np = out.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'worker-calls')!;
    expect(np.spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'egressgateway' } } }], ports: [{ protocol: 'TCP', port: 8443 }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    expect(out.filter(o => o.apiVersion.includes('istio.io')).flatMap(o => schemas.errors(o))).toEqual([]);
  });
});

describe('an ExternalHost on plain HTTP', () => {
  /** A workload that reads its cloud's metadata server, which answers plain HTTP on port 80. */
  const declare = (mesh: Mesh) => {
    const apps = mesh.addNamespace('apps');
    const worker = new MeshService(apps, 'worker', { image: 'example/worker:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/health') });
    new ExternalHost(mesh, 'Metadata', { host: 'metadata.google.internal', protocol: Protocol.HTTP }).allowFrom(worker);
  };

  test.each(MESHES)('%s renders it as HTTP on port 80, never as TLS, valid against the CRDs', mesh => {
    const { objects } = renderOn(mesh, declare);
    expect(schemaErrors(objects)).toEqual([]);
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/"tls-80"|"TLS"|TLSRoute/);
    if (mesh === 'linkerd') {
      const [route] = objects.filter(o => o.kind === 'HTTPRoute' && o.spec.hostnames?.includes('metadata.google.internal'));
      expect(route.spec.parentRefs).toEqual([{ group: 'policy.linkerd.io', kind: 'EgressNetwork', name: 'external', namespace: 'apps', port: 80 }]);
    } else {
      const [entry] = objects.filter(o => o.kind === 'ServiceEntry');
      expect(entry.spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP' }]);
    }
  });

  test('never passes the egress gateway, which forwards TLS by SNI: it leaves from the caller on port 80', () => {
    const { chart, mesh, worker } = setup({ egressGateway: {} });
    new ExternalHost(mesh, 'Metadata', { host: 'metadata.google.internal', protocol: Protocol.HTTP }).allowFrom(worker);
    const out = Testing.synth(chart) as K8sObject[];
    expect(out.filter(o => o.kind === 'Gateway')).toEqual([]);
    const np = out.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'worker-calls')!;
    expect(np.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 80 }] },
    ]);
  });

  test('refuses another protocol, saying what to write', () => {
    const { mesh } = setup();
    expect(() => new ExternalHost(mesh, 'Grpc', { host: 'api.example.com', protocol: Protocol.GRPC }))
      .toThrow('[test/Mesh/Grpc] protocol GRPC is not offered for an external host: leave it out when callers speak TLS (HTTPS, gRPC over TLS), or use Protocol.HTTP for plain HTTP');
  });
});
