import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { main } from '../app/synth';
import { CrdSchemas } from './support/crd-schema';
import { K8sObject, ofKind, readManifests, referenceCallGraph, SHARED } from './support/manifests';

/** Issue 6, telemetry: the mesh Telemetry, scraping under STRICT, dashboards and alerts, read back from the render. */
const reference = referenceCallGraph();
let rendered: K8sObject[];
let renderDir: string;

beforeAll(() => {
  renderDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-telemetry-'));
  main(renderDir);
  rendered = readManifests(renderDir);
});
afterAll(() => fs.rmSync(renderDir, { recursive: true, force: true }));

/** Metrics Istio's standard telemetry emits, and those of the kubelet (cAdvisor) and kube-state-metrics. */
const ISTIO_METRICS = new Set(['istio_requests_total', 'istio_request_duration_milliseconds_bucket', 'istio_tcp_connections_opened_total', 'istio_tcp_connections_closed_total']);
const KUBE_METRICS = new Set(['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'kube_pod_container_resource_limits']);
/** Labels of Istio's standard metrics (https://istio.io/latest/docs/reference/config/metrics/). */
const ISTIO_LABELS = new Set([
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version', 'source_cluster',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version',
  'destination_service', 'destination_service_name', 'destination_service_namespace', 'destination_cluster', 'request_protocol',
  'response_code', 'grpc_response_status', 'response_flags', 'connection_security_policy', 'source_canonical_service',
  'destination_canonical_service', 'source_canonical_revision', 'destination_canonical_revision', 'le',
]);

/** Every `metric{label op "value", ...}` selector of a PromQL expression. */
function selectors(expr: string): Array<{ metric: string; matchers: Array<{ label: string; op: string; value: string }> }> {
  return [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\{([^}]*)\}/g)].map(m => ({
    metric: m[1],
    matchers: [...m[2].matchAll(/([a-z_]+)(=~|!~|!=|=)"([^"]*)"/g)].map(x => ({ label: x[1], op: x[2], value: x[3] })),
  }));
}

function balanced(expr: string): boolean {
  let depth = 0;
  for (const c of expr) {
    if ('({['.includes(c)) depth++;
    if (')}]'.includes(c)) depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

describe('telemetry', () => {
  test('a mesh-wide Telemetry: Prometheus metrics, Envoy access logs, sampled tracing to the declared provider; schema-valid', () => {
    const telemetry = ofKind(rendered, 'Telemetry');
    expect(telemetry).toHaveLength(1);
    const [t] = telemetry;
    expect(t.metadata.namespace).toBe('istio-system');
    expect(t.spec.selector).toBeUndefined();
    expect(t.spec.metrics).toEqual([{ providers: [{ name: 'prometheus' }] }]);
    expect(t.spec.accessLogging).toEqual([{ providers: [{ name: 'envoy' }] }]);
    expect(t.spec.tracing).toHaveLength(1);
    expect(t.spec.tracing[0].providers).toEqual([{ name: 'otel-tracing' }]);
    expect(t.spec.tracing[0].randomSamplingPercentage).toBeGreaterThan(0);
    expect(t.spec.tracing[0].randomSamplingPercentage).toBeLessThanOrEqual(100);
    const schemas = new CrdSchemas(path.join(SHARED, 'istio', 'crd-all.gen.yaml'));
    expect(schemas.errors(t)).toEqual([]);
  });

  test('each pod announces its metrics path and port for Istio\'s metrics merge, exactly where the reference has one', () => {
    for (const d of ofKind(rendered, 'Deployment')) {
      const app = d.spec.template.metadata.labels.app;
      const service = reference.services.find((s: any) => s.name === app);
      const annotations = d.spec.template.metadata.annotations ?? {};
      const scraped = typeof service.metrics === 'string' && service.metrics.startsWith('/');
      if (scraped) {
        expect({ app, annotations }).toEqual({ app, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(service.ports[0].port), 'prometheus.io/path': service.metrics } });
      } else {
        expect({ app, annotations }).toEqual({ app, annotations: {} });
      }
    }
  });

  test('one valid Grafana dashboard per service, loaded by Grafana\'s sidecar, with the four golden signals', () => {
    const configMaps = ofKind(rendered, 'ConfigMap').filter(c => c.metadata.labels?.grafana_dashboard === '1');
    const deployments = ofKind(rendered, 'Deployment');
    const uids = new Set<string>();
    expect(configMaps.map(c => c.metadata.labels!.app).sort()).toEqual(reference.services.map((s: any) => s.name).sort());
    for (const cm of configMaps) {
      const app = cm.metadata.labels!.app;
      const service = reference.services.find((s: any) => s.name === app);
      const ownDeployments = deployments.filter(d => d.spec.template.metadata.labels.app === app).map(d => d.metadata.name);
      expect(cm.metadata.namespace).toBe('observability');
      const files = Object.keys(cm.data);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.json$/);
      const dash = JSON.parse(cm.data[files[0]]);
      // Grafana's dashboard model: uid (at most 40 characters), title, schemaVersion, panels with ids and positions.
      expect(typeof dash.uid).toBe('string');
      expect(dash.uid.length).toBeLessThanOrEqual(40);
      expect(uids.has(dash.uid)).toBe(false);
      uids.add(dash.uid);
      expect(dash.title).toContain(app);
      expect(Number.isInteger(dash.schemaVersion)).toBe(true);
      expect(dash.templating.list.find((v: any) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      expect(new Set(dash.panels.map((p: any) => p.id)).size).toBe(dash.panels.length);
      const exprs: string[] = [];
      for (const panel of dash.panels) {
        expect(panel).toMatchObject({ type: 'timeseries', datasource: { type: 'prometheus', uid: '${datasource}' } });
        expect(Object.keys(panel.gridPos).sort()).toEqual(['h', 'w', 'x', 'y']);
        expect(panel.targets.length).toBeGreaterThan(0);
        expect(new Set(panel.targets.map((t: any) => t.refId)).size).toBe(panel.targets.length);
        for (const t of panel.targets) exprs.push(t.expr);
      }
      // Queries name real metrics and labels, and select exactly this service's workloads.
      for (const expr of exprs) {
        expect(balanced(expr)).toBe(true);
        for (const sel of selectors(expr)) {
          expect(ISTIO_METRICS.has(sel.metric) || KUBE_METRICS.has(sel.metric)).toBe(true);
          if (!ISTIO_METRICS.has(sel.metric)) continue;
          for (const m of sel.matchers) expect(ISTIO_LABELS.has(m.label)).toBe(true);
          const side = service.ports.length > 0 ? 'destination' : 'source';
          const workload = sel.matchers.find(m => m.label === `${side}_workload`)!;
          const re = new RegExp(`^(?:${workload.value})$`);
          expect(deployments.filter(d => re.test(d.metadata.name)).map(d => d.metadata.name).sort()).toEqual([...ownDeployments].sort());
          expect(sel.matchers.find(m => m.label === `${side}_workload_namespace`)?.value).toBe(service.namespace);
          expect(sel.matchers.find(m => m.label === 'reporter')?.value).toBe(side);
        }
      }
      const rate = exprs.some(e => /^sum\(rate\(istio_requests_total\{[^}]*\}\[\w+\]\)\)$/.test(e) && !e.includes('response_code'));
      const errors = exprs.some(e => e.includes('response_code=~"5.."') && e.includes(' / sum(rate(istio_requests_total{'));
      const quantiles = [0.5, 0.9, 0.99].every(q => exprs.some(e => e.startsWith(`histogram_quantile(${q}, `) && e.includes('istio_request_duration_milliseconds_bucket{') && e.includes('by (le)')));
      const saturation = exprs.some(e => e.includes('container_cpu_usage_seconds_total{') && e.includes('kube_pod_container_resource_limits{') && e.includes('resource="cpu"'));
      expect({ app, rate, errors, quantiles, saturation }).toEqual({ app, rate: true, errors: true, quantiles: true, saturation: true });
    }
  });

  test('alert rules for error rate and latency of every service that serves requests, as a Prometheus rules file', () => {
    const [cm] = ofKind(rendered, 'ConfigMap').filter(c => c.metadata.name === 'mesh-alert-rules');
    expect(cm.metadata.namespace).toBe('observability');
    const file = parse(cm.data['mesh-golden-signals.rules.yaml']);
    const rules = file.groups.flatMap((g: any) => g.rules);
    const served = reference.services.filter((s: any) => s.ports.length > 0);
    expect(rules).toHaveLength(served.length * 2);
    for (const s of served) {
      const mine = rules.filter((r: any) => r.labels.service === s.name);
      expect(mine.map((r: any) => r.alert).sort()).toEqual([expect.stringMatching(/HighErrorRate$/), expect.stringMatching(/HighLatencyP99$/)].sort());
      for (const r of mine) {
        expect(r.for).toMatch(/^\d+[smh]$/);
        expect(balanced(r.expr)).toBe(true);
        for (const sel of selectors(r.expr)) {
          expect(ISTIO_METRICS.has(sel.metric)).toBe(true);
          const re = new RegExp(`^(?:${sel.matchers.find(m => m.label === 'destination_workload')!.value})$`);
          const own = ofKind(rendered, 'Deployment').filter(d => d.spec.template.metadata.labels.app === s.name).map(d => d.metadata.name).sort();
          expect(ofKind(rendered, 'Deployment').filter(d => re.test(d.metadata.name)).map(d => d.metadata.name).sort()).toEqual(own);
        }
      }
      expect(mine.find((r: any) => r.alert.endsWith('HighErrorRate')).expr).toMatch(/response_code=~"5\.\."\}\[5m\]\)\) \/ sum\(rate\(istio_requests_total\{.*\) > 0\.05$/);
      expect(mine.find((r: any) => r.alert.endsWith('HighLatencyP99')).expr).toMatch(/^histogram_quantile\(0\.99, sum by \(le\) \(rate\(istio_request_duration_milliseconds_bucket\{.*> 1000$/);
    }
  });
});
