import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import {
  ExistingWorkload, ExternalHost, HealthCheck, IMeshRenderer, IstioAmbientRenderer, IstioRenderer, LinkerdRenderer, Mesh,
  MeshModel, MeshService, MeshTelemetry, Protocol, istio,
} from '../src';

/** Declare, then render: renderers run once, at synth, over the finished model; the mesh is closed afterwards. */

interface K8s { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: any }

/** A renderer that counts its renders and hands the model to Istio's. */
class CountingRenderer implements IMeshRenderer {
  public readonly models: MeshModel[] = [];
  private readonly inner = new IstioRenderer();
  public get dataPlane() { return this.inner.dataPlane; }
  public render(model: MeshModel): void {
    this.models.push(model);
    this.inner.render(model);
  }
}

function shop(renderer: IMeshRenderer, warnings: string[] = [], app: App = Testing.app()) {
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer, warningSink: { warn: w => warnings.push(w) } });
  const ns = mesh.addNamespace('shop');
  const api = new MeshService(ns, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/healthz') });
  const web = new MeshService(ns, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }], liveness: HealthCheck.http('/healthz') });
  return { app, chart, mesh, ns, api, web, warnings };
}

describe('the render step', () => {
  test('runs once, at synth, never while declaring; Testing.synth renders, and a second synth renders nothing again', () => {
    const renderer = new CountingRenderer();
    const { chart, api, web } = shop(renderer);
    api.allowFrom(web, { methods: ['GET'] });
    expect(renderer.models).toHaveLength(0);
    const first = Testing.synth(chart) as K8s[];
    const second = Testing.synth(chart) as K8s[];
    expect(renderer.models).toHaveLength(1);
    expect(second).toEqual(first);
    const policy = first.find(o => o.kind === 'AuthorizationPolicy' && o.spec?.selector?.matchLabels?.app === 'api')!;
    expect(policy.spec.rules).toHaveLength(1);
    expect(renderer.models[0].calls.map(c => `${c.caller.name}>${c.callee.name}`)).toEqual(['web>api']);
  });

  test('a patch to a rendered object between two synths shows in the second (validation renders afresh)', () => {
    const { chart, api, web } = shop(new IstioRenderer());
    api.allowFrom(web);
    Testing.synth(chart);
    istio.WorkloadSidecar.of(api)!.resource.addJsonPatch(JsonPatch.add('/metadata/labels', { audited: 'yes' }));
    const again = Testing.synth(chart) as K8s[];
    expect(again.find(o => o.kind === 'Sidecar' && o.metadata.name === 'api')!.metadata).toMatchObject({ labels: { audited: 'yes' } });
  });

  test('app.synth() renders into the output folder', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-render-'));
    const { app, api, web } = shop(new IstioRenderer(), [], new App({ outdir }));
    api.allowFrom(web);
    app.synth();
    const written = fs.readFileSync(path.join(outdir, 'c.k8s.yaml'), 'utf8');
    expect(written).toMatch(/^kind: AuthorizationPolicy$/m);
    expect(written).toMatch(/^kind: Sidecar$/m);
  });

  test('a wrong declaration is reported by validation, naming its construct, and never reaches the renderer', () => {
    const renderer = new CountingRenderer();
    const { chart, api } = shop(renderer);
    api.traffic.route({ canary: { version: 'v9', weight: 5 } });
    expect(() => Testing.synth(chart)).toThrow(/\[c\/Mesh\/shop\/api\] .*routes to version "v9", which api does not run/);
    expect(renderer.models).toHaveLength(0);
  });

  test('what the renderer creates is validated by the render step (cdk8s listed the constructs before it ran)', () => {
    const { chart, ns } = shop(new IstioRenderer());
    // Argo Rollouts' Rollout is created at render; its own check refuses a TCP service.
    new MeshService(ns, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }], delivery: require('../src').Delivery.argoRollouts() });
    expect(() => Testing.synth(chart)).toThrow(/\[c\/Mesh\/shop\/db\/ArgoRollout\] db serves TCP on port 5432/);
  });

  test('declaring after a synth is refused, naming the mesh and the fix', () => {
    const { chart, mesh, ns, api, web } = shop(new IstioRenderer());
    Testing.synth(chart);
    const refused = /the mesh (c\/Mesh )?was already rendered \(by a synth, or mesh\.render\(\)\), so .* would be left out of it: declare everything before/;
    expect(() => mesh.addNamespace('late')).toThrow(refused);
    expect(() => new MeshService(ns, 'late', { image: 'example/late:1.0.0', ports: [{ port: 8080 }] })).toThrow(refused);
    expect(() => api.allowFrom(web)).toThrow(refused);
    expect(() => api.addVersion('v2')).toThrow(refused);
    expect(() => api.traffic.route({ weights: { v1: 100 } })).toThrow(refused);
    expect(() => new MeshTelemetry(mesh, 'Telemetry')).toThrow(refused);
    expect(() => new ExternalHost(mesh, 'Late', { host: 'api.example.com' })).toThrow(refused);
    expect(() => mesh.enforceStrictMtlsMeshWide()).toThrow(refused);
    expect(() => mesh.callGraph.allowUnlistedEgress(web, { reason: 'fetches user-supplied URLs' })).toThrow(refused);
  });
});

describe('every declared feature is rendered or reported', () => {
  test('Linkerd: a namespace that does not deny by default but is STRICT refuses unauthenticated clients', () => {
    const { chart, mesh } = shop(new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }));
    mesh.addNamespace('open', { defaultDeny: false });
    mesh.addNamespace('plain', { defaultDeny: false, strictMtls: false });
    const namespaces = (Testing.synth(chart) as K8s[]).filter(o => o.kind === 'Namespace');
    const policy = (name: string) => namespaces.find(n => n.metadata.name === name)!.metadata.annotations?.['config.linkerd.io/default-inbound-policy'];
    expect([policy('shop'), policy('open'), policy('plain')]).toEqual(['deny', 'all-authenticated', undefined]);
  });

  test('Linkerd: strictMtls: false where the namespace denies by default is reported once, naming it', () => {
    const { chart, mesh, warnings } = shop(new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }));
    mesh.addNamespace('legacy', { strictMtls: false });
    Testing.synth(chart);
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/legacy\] Linkerd: strictMtls: false in legacy is not rendered: .*set defaultDeny: false/)]);
  });

  test('Istio ambient: the declared resilience of a TCP-only service is reported once, naming it and its settings', () => {
    const { chart, ns, web, warnings } = shop(new IstioAmbientRenderer());
    new MeshService(ns, 'db', {
      image: 'example/db:1.0.0', ports: [{ port: 5432, protocol: Protocol.TCP }],
      resilience: { connectionPool: { maxConnections: 10 }, outlierDetection: { consecutiveServerErrors: 3 } },
    }).allowFrom(web);
    const objects = Testing.synth(chart) as K8s[];
    expect(objects.filter(o => o.kind === 'DestinationRule')).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\/db\] Istio ambient: the declared resilience of db \(connectionPool, outlierDetection\) is not rendered: its ports are TCP only/)]);
  });

  test('Istio ambient: peers in a namespace this chart does not create are said to be taken as ambient, once per namespace', () => {
    const { chart, mesh, web, warnings } = shop(new IstioAmbientRenderer());
    const infra = mesh.addNamespace('infra', { create: false });
    for (const name of ['redis', 'kafka']) {
      new ExistingWorkload(infra, name, { selector: { app: name }, serviceAccountName: name, ports: [{ port: 6379, protocol: Protocol.TCP }] }).allowFrom(web);
    }
    Testing.synth(chart);
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/infra\] Istio ambient: the workloads of infra, a namespace this chart does not create, are taken to be in ambient mode: .*15008.*label it so there/)]);
  });

  test('renderer warnings go to the Mesh\'s warning sink, not to stderr', () => {
    const printed = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { chart, api, web, warnings } = shop(new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }));
      api.allowFrom(web, { methods: ['GET'], fault: { abort: { percent: 5, httpStatus: 503 } }, timeout: Duration.seconds(2) });
      Testing.synth(chart);
      expect(warnings).toEqual([expect.stringMatching(/^Linkerd: fault injection .* is not rendered: .*\(shop\/api\)$/)]);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });
});
