import { createHash } from 'crypto';
import { Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MeshService } from '../../model/mesh-service';
import { MeshTelemetry, ResolvedGoldenSignals } from '../../model/mesh-telemetry';

/** The PromQL of one mesh's golden signals for a service, from the metrics that mesh's proxies emit. */
export interface IGoldenSignalQueries {
  /** The mesh's name as a dashboard tag: `istio`, `linkerd`. */
  readonly tag: string;
  /**
   * Requests per second of the service: inbound, or outbound for a worker that serves no port; of one version's pods
   * only when `version` is given (a canary's, for its analysis).
   */
  requestRate(service: MeshService, window: string, version?: string): string;
  /** Requests per second answered with a 5xx status (of one version's pods when `version` is given). */
  serverErrorRate(service: MeshService, window: string, version?: string): string;
  /** The latency quantile `q` in milliseconds (of one version's pods when `version` is given). */
  latencyQuantile(service: MeshService, q: number, window: string, version?: string): string;
}

/** Label of the ConfigMaps Grafana's dashboard sidecar loads. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
const WINDOW = '5m';

/**
 * The four golden signals of every service the mesh deploys, from the mesh's own metrics (no application code):
 * one Grafana dashboard per service as a ConfigMap labelled `grafana_dashboard: "1"` (request rate, error rate,
 * p50/p90/p99 latency, CPU and memory against their limits), and a Prometheus rules file with an error-rate and a
 * latency alert per service that serves a port, for the services of the finished model. CPU and memory limits come
 * from kube-state-metrics (`kube_pod_container_resource_limits`).
 */
export class GoldenSignalDashboards extends Construct {
  /** Renders the dashboards a MeshTelemetry declares, for `services` (every service of the finished model). */
  public static render(telemetry: MeshTelemetry, queries: IGoldenSignalQueries, services: MeshService[]): GoldenSignalDashboards | undefined {
    if (!telemetry.goldenSignals) return undefined;
    const dashboards = new GoldenSignalDashboards(telemetry, GoldenSignalDashboards.ID, telemetry.goldenSignals, queries);
    for (const service of services) dashboards.addService(service);
    return dashboards;
  }

  private static readonly ID = 'GoldenSignals';

  public readonly dashboards: k8s.KubeConfigMap[] = [];
  public readonly alertRules: k8s.KubeConfigMap;
  private readonly services: MeshService[] = [];
  /** Holds the dashboards, created before the alert rules so that they precede them in the output. */
  private readonly dashboardScope: Construct;

  public constructor(scope: Construct, id: string, private readonly settings: ResolvedGoldenSignals, private readonly queries: IGoldenSignalQueries) {
    super(scope, id);
    this.dashboardScope = new Construct(this, 'Dashboards');
    this.alertRules = new k8s.KubeConfigMap(this, 'AlertRules', {
      metadata: { name: 'mesh-alert-rules', namespace: settings.namespace, labels: { 'soma-mesh.io/prometheus-rules': 'true' } },
      data: {
        'mesh-golden-signals.rules.yaml': Lazy.any({ produce: () => Yaml.stringify({
          groups: [{ name: 'mesh-golden-signals', rules: this.services.filter(s => s.ports.length > 0).flatMap(s => this.alertsOf(s)) }],
        }) }),
      },
    });
  }

  /** Adds a service's dashboard and alerts. */
  public addService(service: MeshService): void {
    if (this.services.includes(service)) return;
    this.services.push(service);
    const key = `${service.namespace.name}-${service.name}`;
    this.dashboards.push(new k8s.KubeConfigMap(this.dashboardScope, key, {
      metadata: { name: `dashboard-${key}`, namespace: this.settings.namespace, labels: { [GRAFANA_DASHBOARD_LABEL]: '1', app: service.name } },
      data: { [`${key}.json`]: Lazy.any({ produce: () => JSON.stringify(dashboardOf(service, this.queries), null, 2) }) },
    }));
  }

  private alertsOf(service: MeshService): object[] {
    const { errorRateThreshold: errorRate, latencyP99Ms: latencyMs, alertFor } = this.settings;
    const q = this.queries;
    const name = service.name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
    const labels = { severity: 'warning', namespace: service.namespace.name, service: service.name };
    return [
      {
        alert: `${name}HighErrorRate`,
        expr: `(${q.serverErrorRate(service, WINDOW)} / ${q.requestRate(service, WINDOW)}) > ${errorRate}`,
        for: alertFor,
        labels: { ...labels },
        annotations: { summary: `${service.name}: more than ${errorRate * 100}% of requests fail with 5xx` },
      },
      {
        alert: `${name}HighLatencyP99`,
        expr: `${q.latencyQuantile(service, 0.99, WINDOW)} > ${latencyMs}`,
        for: alertFor,
        labels: { ...labels },
        annotations: { summary: `${service.name}: p99 latency above ${latencyMs} ms` },
      },
    ];
  }
}

function podSelector(service: MeshService): string {
  const pods = `(${deploymentRegex(service)})-[a-z0-9]+-[a-z0-9]+`;
  return `namespace="${service.namespace.name}",pod=~"${pods}",container="${service.name}"`;
}

/**
 * The workloads whose pods serve the service: each version's Deployment, and the service's own name when a controller
 * runs its pods (a Rollout named like the service; the mesh names its pods' workload after it). Names are DNS labels
 * (letters, digits, '-'), none of which PromQL regexes treat specially.
 */
export function deploymentRegex(service: MeshService): string {
  const names = service.versions.map(v => v.deployment.name);
  return (service.delivery.controller ? [...names, service.name] : names).join('|');
}

interface Target { expr: string; legendFormat: string }

function dashboardOf(service: MeshService, queries: IGoldenSignalQueries): object {
  const pods = podSelector(service);
  const direction = service.ports.length > 0 ? 'inbound' : 'outbound';
  const requests = queries.requestRate(service, WINDOW);
  const quantile = (q: number) => queries.latencyQuantile(service, q, WINDOW);
  const limit = (resource: string) => `sum(kube_pod_container_resource_limits{${pods},resource="${resource}"})`;
  const panels: Array<{ title: string; unit: string; targets: Target[] }> = [
    { title: `Request rate (${direction})`, unit: 'reqps', targets: [{ expr: requests, legendFormat: 'requests/s' }] },
    { title: `Error rate (${direction}, 5xx share)`, unit: 'percentunit', targets: [{ expr: `${queries.serverErrorRate(service, WINDOW)} / ${requests}`, legendFormat: '5xx share' }] },
    { title: `Latency (${direction}) p50 / p90 / p99`, unit: 'ms', targets: [0.5, 0.9, 0.99].map(q => ({ expr: quantile(q), legendFormat: `p${Math.round(q * 100)}` })) },
    {
      title: 'Saturation: CPU and memory against their limits',
      unit: 'percentunit',
      targets: [
        { expr: `sum(rate(container_cpu_usage_seconds_total{${pods}}[${WINDOW}])) / ${limit('cpu')}`, legendFormat: 'CPU / limit' },
        { expr: `sum(container_memory_working_set_bytes{${pods}}) / ${limit('memory')}`, legendFormat: 'memory / limit' },
      ],
    },
  ];
  const key = `${service.namespace.name}-${service.name}`;
  const uid = key.length <= 40 ? key : `${key.slice(0, 31)}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return {
    uid,
    title: `${service.name} (${service.namespace.name}): golden signals`,
    tags: ['soma-mesh', queries.tag, 'golden-signals'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    annotations: { list: [] },
    templating: { list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', hide: 0 }] },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      datasource: { type: 'prometheus', uid: '${datasource}' },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } },
      targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: { type: 'prometheus', uid: '${datasource}' }, expr: t.expr, legendFormat: t.legendFormat })),
    })),
  };
}
