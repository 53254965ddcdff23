import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { SOMA_LINKERD } from '../app/linkerd';
import { SOMA_CALL_TRAFFIC, SOMA_RESILIENCE } from '../app/resilience';
import {
  ExistingWorkload, ExternalHost, HealthCheck, IMeshRenderer, IstioAmbientRenderer, IstioRenderer, LinkerdRenderer, Mesh, MeshService, MeshTelemetry, PublicIngress,
} from '../src';
import { CrdSchemas } from './support/crd-schema';
import { KubernetesSchemas } from './support/k8s-schema';
import { DIST, K8sObject, ofKind, readManifests, REPO_ROOT, SHARED } from './support/manifests';

/**
 * The renderer contract: every declared feature is rendered or reported once, naming its construct; nothing is
 * dropped silently, and nothing is reported that nobody declared.
 */
const DIST_LINKERD = path.join(REPO_ROOT, 'dist-linkerd');
const jwt = { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' };

function linkerdShop(declare: (m: { mesh: Mesh; api: MeshService; web: MeshService; gateway: ExistingWorkload }) => void): string[] {
  const warnings: string[] = [];
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const mesh = new Mesh(chart, 'Mesh', { renderer: new LinkerdRenderer({ probeNetworks: ['10.0.0.0/16'] }), warningSink: { warn: w => warnings.push(w) } });
  const shop = mesh.addNamespace('shop');
  // HTTP checks: under Linkerd a TCP check always passes, which is reported (linkerd-production.test.ts).
  const api = new MeshService(shop, 'api', { image: 'example/api:1.0.0', ports: [{ port: 8080 }], liveness: HealthCheck.http('/health') });
  const web = new MeshService(shop, 'web', { image: 'example/web:1.0.0', ports: [{ port: 8081 }], liveness: HealthCheck.http('/health') });
  api.allowFrom(web, { methods: ['GET'] });
  const gateway = new ExistingWorkload(mesh.addNamespace('edge', { create: false }), 'ingress', { selector: { app: 'ingress' }, serviceAccountName: 'ingress' });
  api.allowFrom(gateway);
  declare({ mesh, api, web, gateway });
  app.synth();
  return warnings;
}

describe('Linkerd: every declared feature is rendered or reported once, naming its construct', () => {
  test('nothing declared beyond calls: no warning', () => {
    expect(linkerdShop(() => undefined)).toEqual([]);
  });

  test('an ExternalHost is rendered (EgressNetwork and TLSRoute): no warning; hosts of different callers in one namespace: one warning naming it', () => {
    expect(linkerdShop(({ mesh, api, web }) => {
      const openai = new ExternalHost(mesh, 'OpenAi', { host: 'api.openai.com' });
      openai.allowFrom(api);
      openai.allowFrom(web);
    })).toEqual([]);
    const warnings = linkerdShop(({ mesh, api, web }) => {
      new ExternalHost(mesh, 'OpenAi', { host: 'api.openai.com' }).allowFrom(api);
      new ExternalHost(mesh, 'Registry', { host: 'registry.example.com' }).allowFrom(web);
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/shop\] Linkerd: egress is allowed per namespace .* api also reaches registry\.example\.com; web also reaches api\.openai\.com/)]);
  });

  test('a PublicIngress: one warning naming it', () => {
    const warnings = linkerdShop(({ mesh, api, gateway }) => {
      new PublicIngress(mesh, 'Public', { gateway, backend: api, host: 'api.example.com', credentialName: 'api-tls', jwt });
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/Public\] Linkerd: the public host api\.example\.com is not rendered/)]);
  });

  test('a fault drill and a mirror: one warning each, naming the service', () => {
    const warnings = linkerdShop(({ api }) => {
      api.addVersion('v2');
      api.traffic.route({ mirror: { version: 'v2', percent: 5 } });
    });
    expect(warnings).toEqual([expect.stringMatching(/traffic mirroring is not rendered: .*\(shop\/api\)$/)]);
    const drills = linkerdShop(({ web }) => {
      new MeshService(web.namespace, 'db', { image: 'example/db:1.0.0', ports: [{ port: 5432 }], liveness: HealthCheck.http('/health'), resilience: { fault: { abort: { percent: 5, httpStatus: 503 } } } });
    });
    expect(drills).toEqual([expect.stringMatching(/fault injection .* is not rendered: .*\(shop\/db\)$/)]);
  });

  test('telemetry: dashboards rendered from Linkerd\'s metrics; tracing reported once', () => {
    let chart!: Chart;
    const warnings = linkerdShop(({ mesh }) => {
      new MeshTelemetry(mesh, 'Telemetry', { samplingPercentage: 5 });
      chart = Chart.of(mesh);
    });
    expect(warnings).toEqual([expect.stringMatching(/^\[c\/Mesh\/Telemetry\] Linkerd: tracing to "otel-tracing" at 5% is not rendered/)]);
    const dashboards = chart.toJson().filter((o: K8sObject) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards.map((d: K8sObject) => d.metadata.name).sort()).toEqual(['dashboard-shop-api', 'dashboard-shop-web']);
    const exprs: string[] = dashboards.flatMap((d: K8sObject) => Object.values(d.data as Record<string, string>)
      .flatMap(json => JSON.parse(json).panels.flatMap((p: any) => p.targets.map((t: any) => t.expr))));
    expect(exprs).toContain('sum(rate(response_total{direction="inbound",namespace="shop",deployment=~"api-v1"}[5m]))');
    expect(exprs.filter(e => e.includes('istio_'))).toEqual([]);
  });

  test('declared resilience Linkerd cannot express is named; defaults nobody chose are not', () => {
    const quiet = linkerdShop(({ api }) => {
      api.allowFrom(api.namespace.mesh.workload('web'), { port: 8080, methods: ['POST'], timeout: Duration.seconds(2) });
    });
    expect(quiet.filter(w => /connection-pool|outlier|load-balancing|connect-failure/.test(w))).toEqual([]);
    const loud = linkerdShop(({ web }) => {
      new MeshService(web.namespace, 'db', {
        image: 'example/db:1.0.0', ports: [{ port: 5432 }], liveness: HealthCheck.http('/health'),
        resilience: { connectionPool: { maxConnections: 10 }, outlierDetection: { maxEjectionPercent: 20 } },
      });
    });
    expect(loud).toEqual([
      expect.stringMatching(/connection-pool limits .* are not rendered: .*\(shop\/db\)$/),
      expect.stringMatching(/outlier detection interval and maxEjectionPercent are not rendered: .*\(shop\/db\)$/),
    ]);
  });
});

describe('SomaAgentHub: synth reports only what its owner declared', () => {
  function warningsOf(renderer: IMeshRenderer, sink: string[]): void {
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => { sink.push(args.join(' ')); });
    try {
      const app = Testing.app();
      new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer, warningSink: { warn: w => sink.push(w) } } });
      app.synth();
    } finally {
      warn.mockRestore();
    }
  }

  test('the Istio render prints nothing', () => {
    const printed: string[] = [];
    warningsOf(new IstioRenderer(), printed);
    expect(printed).toEqual([]);
  });

  test('the Linkerd render names only features SomaAgentHub declares, each once', () => {
    const warnings: string[] = [];
    warningsOf(new LinkerdRenderer(SOMA_LINKERD), warnings);
    expect(new Set(warnings).size).toBe(warnings.length);
    const listed = (feature: RegExp) => {
      const line = warnings.find(w => feature.test(w));
      return line ? /\(([^)]*)\)$/.exec(line)![1].split(', ').map(s => s.split('/')[1]).sort() : [];
    };
    const declaring = (field: 'connectionPool' | 'loadBalancing') => Object.entries(SOMA_RESILIENCE).filter(([, r]) => r?.[field] !== undefined).map(([name]) => name).sort();
    expect(listed(/connection-pool limits/)).toEqual(declaring('connectionPool'));
    expect(listed(/load-balancing algorithm/)).toEqual(declaring('loadBalancing'));
    expect(warnings.some(w => /connect-failure/.test(w))).toBe(false); // the default retry conditions: nobody chose them
    expect(warnings.filter(w => /egress is allowed per namespace/.test(w))).toHaveLength(1);
    expect(warnings.filter(w => /PublicApi\] Linkerd: the JWT check/.test(w))).toHaveLength(1);
    expect(warnings.filter(w => /probeNetworks|the public host .* is not rendered/.test(w))).toEqual([]);
  });

  test('the Istio ambient render names only what SomaAgentHub declares, each once', () => {
    const warnings: string[] = [];
    warningsOf(new IstioAmbientRenderer(), warnings);
    expect(new Set(warnings).size).toBe(warnings.length);
    const listed = (feature: RegExp) => {
      const line = warnings.find(w => feature.test(w));
      return line ? /\(([^)]*)\)$/.exec(line)![1].split(', ').map(s => s.split('/')[1]).sort() : [];
    };
    // A service's own retries, or those of a call to it.
    const declaringRetries = [...new Set([...Object.entries(SOMA_RESILIENCE).filter(([, r]) => r?.retries !== undefined).map(([name]) => name),
      ...SOMA_CALL_TRAFFIC.filter(c => c.retries !== undefined).map(c => c.to)])].sort();
    expect(listed(/declared retries are not rendered/)).toEqual(declaringRetries);
    // Only the wildcard host cannot go through an egress waypoint; the peers with L7 calls are asked for their label.
    expect(warnings.filter(w => /Istio ambient: egress to /.test(w)).map(w => /egress to (\S+) /.exec(w)![1])).toEqual(['*.amazonaws.com']);
    expect(warnings.filter(w => /label the Service/.test(w)).map(w => /label the Service (\S+) /.exec(w)![1]).sort()).toEqual(['loki', 'prometheus-pushgateway', 'qdrant']);
    expect(warnings.filter(w => /fault injection|mirroring|A\/B routing/.test(w))).toEqual([]);
    // Its peers' namespaces are owned by other charts: said to be taken as ambient, once per namespace.
    expect(warnings.filter(w => /are taken to be in ambient mode/.test(w)).map(w => /^\[soma-agent-hub\/Mesh\/([a-z-]+)\]/.exec(w)![1]))
      .toEqual(['observability', 'soma-infra', 'temporal']);
    expect(warnings).toHaveLength(9);
  });
});

describe('the committed renders', () => {
  const istio = readManifests(DIST);
  const linkerd = readManifests(DIST_LINKERD);

  test('no Istio object in dist-linkerd/, no Linkerd object in dist/', () => {
    expect(linkerd.filter(o => /istio\.io/.test(o.apiVersion)).map(o => `${o.kind} ${o.metadata.name}`)).toEqual([]);
    expect(istio.filter(o => /linkerd\.io/.test(o.apiVersion)).map(o => `${o.kind} ${o.metadata.name}`)).toEqual([]);
  });

  /** Each NetworkPolicy's rules, with Prometheus's and the control plane's (the mesh's own ports) left out. */
  function callEdges(objects: K8sObject[]): Record<string, unknown> {
    const meshOwn = (peers: any[] = []) => peers.some(p => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'observability'
      && p.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus');
    const result: Record<string, unknown> = {};
    for (const policy of ofKind(objects, 'NetworkPolicy')) {
      // The Linkerd edge's own policy admits the Gateway API controller in place of Istio's ingress gateway: checked in linkerd-production.
      if (policy.metadata.name === 'mesh-infrastructure' || policy.metadata.name.endsWith('-edge')) continue;
      result[`${policy.metadata.namespace}/${policy.metadata.name}`] = {
        selector: policy.spec.podSelector,
        types: policy.spec.policyTypes,
        ingress: (policy.spec.ingress ?? []).filter((r: any) => !meshOwn(r.from)),
        egress: policy.spec.egress ?? [],
      };
    }
    return result;
  }

  test('dist-linkerd/ holds the same NetworkPolicy edges as dist/', () => {
    const edges = callEdges(istio);
    expect(Object.keys(edges).length).toBeGreaterThan(30);
    expect(callEdges(linkerd)).toEqual(edges);
  });

  test('with each mesh\'s own ports: Istio\'s 15012/15017 and merged 15020; Linkerd\'s 8080/8086/8090, admin 4191 and the metrics ports', () => {
    const infra = (objects: K8sObject[]) => ofKind(objects, 'NetworkPolicy').filter(p => p.metadata.name === 'mesh-infrastructure');
    const ports = (rules: any[]) => rules.flatMap(r => r.ports.map((p: any) => p.port)).sort((a: number, b: number) => a - b);
    for (const policy of infra(istio)) {
      expect(ports(policy.spec.ingress)).toEqual([15020]);
      expect(ports(policy.spec.egress.slice(1))).toEqual([15012, 15017]);
    }
    for (const policy of infra(linkerd)) {
      expect(ports(policy.spec.ingress)).toEqual([4191]);
      expect(ports(policy.spec.egress.slice(1))).toEqual([8080, 8086, 8090]);
      expect(policy.spec.egress[1].to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('linkerd');
    }
    // Without a metrics merge, Prometheus scrapes a service's own metrics port under Linkerd.
    const scraped = ofKind(linkerd, 'Deployment').filter(d => d.spec.template.metadata.annotations?.['prometheus.io/port']);
    expect(scraped.length).toBeGreaterThan(0);
    for (const deployment of scraped) {
      const app = deployment.spec.template.metadata.labels.app;
      const policy = ofKind(linkerd, 'NetworkPolicy').find(p => p.metadata.name === `${app}-calls`)!;
      const prometheus = policy.spec.ingress.find((r: any) => r.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] === 'observability');
      expect(prometheus.ports.map((p: any) => p.port)).toContain(Number(deployment.spec.template.metadata.annotations['prometheus.io/port']));
    }
  });

  test('the renderer contract has no optional capability', () => {
    const contract = fs.readFileSync(path.join(REPO_ROOT, 'src', 'model', 'mesh-renderer.ts'), 'utf8');
    const body = contract.slice(contract.indexOf('export interface IMeshRenderer'));
    expect(body).toMatch(/render\(model: MeshModel\): void;/);
    expect(body).not.toMatch(/^\s+\w+\?\s*\(/m);
  });
});

describe('every committed render is valid, object by object', () => {
  const crds = new CrdSchemas(
    path.join(SHARED, 'istio', 'crd-all.gen.yaml'), path.join(SHARED, 'linkerd', 'crds.yaml'), path.join(SHARED, 'gateway-api', 'standard-install.yaml'),
  );
  const kubernetes = new KubernetesSchemas();
  for (const folder of ['dist', 'dist-linkerd', 'dist-ambient']) {
    test(`${folder}/: each object validates against Kubernetes' schema for its kind or its CRD, unknown fields rejected`, () => {
      const objects = readManifests(path.join(REPO_ROOT, folder));
      expect(objects.length).toBeGreaterThan(100);
      expect(objects.filter(o => !kubernetes.knows(o) && !crds.knows(o)).map(o => `${o.apiVersion} ${o.kind}`)).toEqual([]);
      expect(objects.flatMap(o => (kubernetes.knows(o) ? kubernetes.errors(o) : crds.errors(o)))).toEqual([]);
    });
  }
});
