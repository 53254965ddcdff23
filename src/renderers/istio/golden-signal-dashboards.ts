import { createHash } from 'crypto';
import { describeValue, PropsCheck } from '../../model/props-check';
import { isConstruct, isMesh, pathOf } from '../../model/declaration-checks';
import { Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { Mesh } from '../../model/mesh';
import { MeshService } from '../../model/mesh-service';
import { fail } from '../../model/validation';

/** Where the dashboards and alert rules go, and when the alerts fire. */
export interface GoldenSignalDashboardsProps {
  /**
   * The namespace of Grafana's dashboard sidecar and of Prometheus.
   * @default 'observability'
   */
  readonly namespace?: string;
  /**
   * The share of 5xx responses above which a service alerts, from 0 to 1.
   * @default 0.05
   */
  readonly errorRateThreshold?: number;
  /**
   * The p99 latency, in milliseconds, above which a service alerts.
   * @default 1000
   */
  readonly latencyP99Ms?: number;
  /**
   * How long a condition must hold before its alert fires.
   * @default '10m'
   */
  readonly alertFor?: string;
}

/** Label of the ConfigMaps Grafana's dashboard sidecar loads. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
const WINDOW = '5m';

/**
 * The four golden signals of every service the mesh deploys, from Istio's standard metrics (no application
 * code): one Grafana dashboard per service as a ConfigMap labelled `grafana_dashboard: "1"` (request rate,
 * error rate, p50/p90/p99 latency, CPU and memory against their limits), and a Prometheus rules file with an
 * error-rate and a latency alert per service that serves a port. Create it after declaring the services.
 * CPU and memory limits come from kube-state-metrics (`kube_pod_container_resource_limits`).
 */
export class GoldenSignalDashboards extends Construct {
  public readonly dashboards: k8s.KubeConfigMap[] = [];
  public readonly alertRules: k8s.KubeConfigMap;

  public constructor(scope: Construct, id: string, mesh: Mesh, props: GoldenSignalDashboardsProps = {}) {
    const at = new PropsCheck(pathOf(scope, id));
    if (!isConstruct(mesh) || !isMesh(mesh)) at.fail('mesh', `${describeValue(mesh)} is not a Mesh`, 'pass the Mesh whose services get dashboards');
    const p = at.object<GoldenSignalDashboardsProps>('props', props, '{ errorRateThreshold: 0.05, latencyP99Ms: 1000 }', true);
    at.string('namespace', p.namespace, '"observability"', true);
    at.string('alertFor', p.alertFor, '"5m"', true);
    at.number('errorRateThreshold', p.errorRateThreshold, 0, 1);
    at.number('latencyP99Ms', p.latencyP99Ms, 0, Number.MAX_SAFE_INTEGER);
    super(scope, id);
    const namespace = props.namespace ?? 'observability';
    const errorRate = props.errorRateThreshold ?? 0.05;
    const latency = props.latencyP99Ms ?? 1000;
    if (!(errorRate > 0 && errorRate < 1)) fail(this.node.path, `errorRateThreshold ${errorRate} is not a share: use a number between 0 and 1, such as 0.05`);
    if (!(latency > 0)) fail(this.node.path, `latencyP99Ms ${latency} is not a duration: use a positive number of milliseconds`);
    const services = mesh.workloads.filter((w): w is MeshService => w instanceof MeshService);
    for (const service of services) {
      const key = `${service.namespace.name}-${service.name}`;
      this.dashboards.push(new k8s.KubeConfigMap(this, `Dashboard-${key}`, {
        metadata: { name: `dashboard-${key}`, namespace, labels: { [GRAFANA_DASHBOARD_LABEL]: '1', app: service.name } },
        data: { [`${key}.json`]: Lazy.any({ produce: () => JSON.stringify(dashboardOf(service), null, 2) }) },
      }));
    }
    this.alertRules = new k8s.KubeConfigMap(this, 'AlertRules', {
      metadata: { name: 'mesh-alert-rules', namespace, labels: { 'soma-mesh.io/prometheus-rules': 'true' } },
      data: {
        'mesh-golden-signals.rules.yaml': Lazy.any({ produce: () => Yaml.stringify({
          groups: [{ name: 'mesh-golden-signals', rules: services.filter(s => s.ports.length > 0).flatMap(s => alertsOf(s, errorRate, latency, props.alertFor ?? '10m')) }],
        }) }),
      },
    });
  }
}

/** The Istio label selector of a service's traffic: inbound as reported by itself, or outbound for a worker. */
function istioSelector(service: MeshService): string {
  const workloads = regexOf(service.versions.map(v => v.deployment.name));
  const side = service.ports.length > 0 ? 'destination' : 'source';
  return `reporter="${side}",${side}_workload_namespace="${service.namespace.name}",${side}_workload=~"${workloads}"`;
}

function podSelector(service: MeshService): string {
  const pods = `(${regexOf(service.versions.map(v => v.deployment.name))})-[a-z0-9]+-[a-z0-9]+`;
  return `namespace="${service.namespace.name}",pod=~"${pods}",container="${service.name}"`;
}

/** Deployment names are DNS labels (letters, digits, '-'), none of which PromQL regexes treat specially. */
function regexOf(names: string[]): string {
  return names.join('|');
}

function alertsOf(service: MeshService, errorRate: number, latencyMs: number, forDuration: string): object[] {
  const sel = istioSelector(service);
  const name = service.name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
  const labels = { severity: 'warning', namespace: service.namespace.name, service: service.name };
  return [
    {
      alert: `${name}HighErrorRate`,
      expr: `(sum(rate(istio_requests_total{${sel},response_code=~"5.."}[${WINDOW}])) / sum(rate(istio_requests_total{${sel}}[${WINDOW}]))) > ${errorRate}`,
      for: forDuration,
      labels: { ...labels },
      annotations: { summary: `${service.name}: more than ${errorRate * 100}% of requests fail with 5xx` },
    },
    {
      alert: `${name}HighLatencyP99`,
      expr: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[${WINDOW}]))) > ${latencyMs}`,
      for: forDuration,
      labels: { ...labels },
      annotations: { summary: `${service.name}: p99 latency above ${latencyMs} ms` },
    },
  ];
}

interface Target { expr: string; legendFormat: string }

function dashboardOf(service: MeshService): object {
  const sel = istioSelector(service);
  const pods = podSelector(service);
  const direction = service.ports.length > 0 ? 'inbound' : 'outbound';
  const requests = `sum(rate(istio_requests_total{${sel}}[${WINDOW}]))`;
  const quantile = (q: number) => `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[${WINDOW}])))`;
  const limit = (resource: string) => `sum(kube_pod_container_resource_limits{${pods},resource="${resource}"})`;
  const panels: Array<{ title: string; unit: string; targets: Target[] }> = [
    { title: `Request rate (${direction})`, unit: 'reqps', targets: [{ expr: requests, legendFormat: 'requests/s' }] },
    { title: `Error rate (${direction}, 5xx share)`, unit: 'percentunit', targets: [{ expr: `sum(rate(istio_requests_total{${sel},response_code=~"5.."}[${WINDOW}])) / ${requests}`, legendFormat: '5xx share' }] },
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
    tags: ['soma-mesh', 'istio', 'golden-signals'],
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
