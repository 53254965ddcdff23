import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: loading the generated Argo Rollouts module (2.6 MB) would slow every synth.
import type { AnalysisTemplateSpec } from '../../../imports/argo-rollouts-argoproj.io';
import { Mesh } from '../../model/mesh';
import type { MeshService } from '../../model/mesh-service';
import { MeshTelemetry } from '../../model/mesh-telemetry';
import type { IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/** One judged signal of the canary: its query and the largest value that passes. */
interface CanarySignal {
  /** The metric's name in the AnalysisTemplate. */
  readonly name: string;
  /** PromQL: the signal once the canary served `minRequests` in the window; 0 (a pass) before. */
  readonly query: string;
  /** The largest passing value. */
  readonly max: number;
}

/** The thresholds a canary is judged by, and what is wrong with them against the service's alerts. */
export interface CanaryThresholds {
  readonly maxServerErrorRatio: number;
  readonly maxLatencyP99Ms: number;
  readonly errors: string[];
}

/** When no MeshTelemetry alerts: the same figures as its defaults. */
const DEFAULT_MAX_SERVER_ERROR_RATIO = 0.01;
const DEFAULT_MAX_LATENCY_P99_MS = 1000;

/** `60s`: Argo Rollouts and PromQL both read whole seconds this way. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** The mesh's golden-signal alerts, when it has them. */
function alerts(service: MeshService) {
  const mesh = Mesh.of(service);
  return mesh.node.children.find((c): c is MeshTelemetry => c instanceof MeshTelemetry)?.goldenSignals;
}

/**
 * The canary's thresholds, from the same numbers as the service's alerts: a canary that passes must not be one that
 * pages once promoted, so a threshold looser than its alert is refused.
 */
export function canaryThresholds(service: MeshService): CanaryThresholds {
  const analysis = service.delivery.analysis!;
  const alert = alerts(service);
  const errors: string[] = [];
  const maxServerErrorRatio = analysis.maxServerErrorRatio
    ?? Math.min(DEFAULT_MAX_SERVER_ERROR_RATIO, alert?.errorRateThreshold ?? 1);
  const maxLatencyP99Ms = analysis.maxLatencyP99?.toMilliseconds() ?? alert?.latencyP99Ms ?? DEFAULT_MAX_LATENCY_P99_MS;
  if (alert && maxServerErrorRatio > alert.errorRateThreshold) {
    errors.push(`maxServerErrorRatio ${maxServerErrorRatio} passes a canary whose 5xx share would fire ` +
      `${service.name}'s error alert (above ${alert.errorRateThreshold}): use ${alert.errorRateThreshold} or less, ` +
      `or leave it unset`);
  }
  if (alert && maxLatencyP99Ms > alert.latencyP99Ms) {
    errors.push(`maxLatencyP99 ${maxLatencyP99Ms} ms passes a canary whose p99 would fire ${service.name}'s latency ` +
      `alert (above ${alert.latencyP99Ms} ms): use Duration.millis(${alert.latencyP99Ms}) or less, or leave it ` +
      `unset to take the alert's`);
  }
  return { maxServerErrorRatio, maxLatencyP99Ms, errors };
}

/**
 * The canary's golden signals as judged at each interval: its 5xx share and its p99 latency, from the same queries as
 * the service's dashboard and alerts (`queries`), narrowed to the canary version's pods, over a window that holds
 * `minRequests` of the first step's requests at the declared traffic. With fewer requests in the window the query
 * answers 0, a pass that consumes no limit: a quiet minute neither pauses nor aborts the canary.
 */
function canarySignals(service: MeshService, version: string, queries: IGoldenSignalQueries): CanarySignal[] {
  const analysis = service.delivery.analysis!;
  const windowSeconds = service.delivery.judgement()!.windowSeconds;
  const window = `${windowSeconds}s`;
  const requests = queries.requestRate(service, window, version);
  // Requests in the window: rate per second times the window's seconds.
  const enough = `(${requests} * ${windowSeconds} >= ${analysis.minRequests})`;
  // No 5xx series at all means no errors: count it as 0, not as "no data".
  const errors = `(${queries.serverErrorRate(service, window, version)} or on() vector(0))`;
  const thresholds = canaryThresholds(service);
  const judged = (signal: string) => `((${signal}) and on() ${enough}) or on() vector(0)`;
  return [
    { name: 'server-error-ratio', query: judged(`${errors} / ${requests}`), max: thresholds.maxServerErrorRatio },
    {
      name: 'latency-p99-ms',
      query: judged(queries.latencyQuantile(service, 0.99, window, version)),
      max: thresholds.maxLatencyP99Ms,
    },
  ];
}

/** The AnalysisTemplate's name for a service. */
export function analysisTemplateName(service: MeshService): string {
  return `${service.name}-canary`;
}

/**
 * An Argo Rollouts `AnalysisTemplate` per controller-delivered service: at every interval of every step, Prometheus is
 * asked for the canary's 5xx share and p99 latency; a value above its threshold fails the measurement (the controller
 * aborts to 100% stable past `failureLimit`). An empty answer (a series that should exist does not) is inconclusive:
 * past `inconclusiveLimit` the rollout pauses for a person. Reads the version being delivered at synth.
 * Built by the Istio renderer: TypeScript only.
 * @jsii ignore
 */
export class CanaryAnalysisTemplate extends Construct {
  public readonly template: ApiObject;

  public constructor(scope: Construct, id: string, service: MeshService, version: () => string, queries: IGoldenSignalQueries) {
    super(scope, id);
    const analysis = service.delivery.analysis!;
    const mesh = Mesh.of(service);
    const address = () => analysis.prometheusAddress ?? defaultPrometheus(mesh);
    const spec: AnalysisTemplateSpec = {
      metrics: Lazy.any({
        produce: () => canarySignals(service, version(), queries).map(signal => ({
          name: signal.name,
          interval: seconds(analysis.interval.toMilliseconds()),
          failureLimit: analysis.failureLimit,
          inconclusiveLimit: analysis.inconclusiveLimit,
          successCondition: `len(result) > 0 && result[0] <= ${signal.max}`,
          failureCondition: `len(result) > 0 && result[0] > ${signal.max}`,
          provider: { prometheus: { address: address(), query: signal.query } },
        })),
      }),
    } as AnalysisTemplateSpec;
    this.template = new ApiObject(this, 'Template', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: analysisTemplateName(service), namespace: service.namespace.name, labels: { app: service.name } },
      spec,
    });
  }
}

/** The Prometheus beside the golden-signal dashboards: `prometheus.<their namespace>`, port 9090. */
function defaultPrometheus(mesh: Mesh): string {
  const telemetry = mesh.node.children.find((c): c is MeshTelemetry => c instanceof MeshTelemetry);
  const namespace = telemetry?.goldenSignals?.namespace ?? 'observability';
  return `http://prometheus.${namespace}.svc.${mesh.clusterDomain}:9090`;
}
