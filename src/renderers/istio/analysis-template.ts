import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: loading the generated Argo Rollouts module (2.6 MB) would slow every synth.
import type { AnalysisTemplateSpec } from '../../../imports/argo-rollouts-argoproj.io';
import { ResolvedCanaryAnalysis } from '../../model/delivery';
import { Mesh } from '../../model/mesh';
import type { MeshService } from '../../model/mesh-service';
import { MeshTelemetry } from '../../model/mesh-telemetry';
import type { IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/** One judged signal of the canary: its query and the largest value that passes. */
interface CanarySignal {
  /** The metric's name in the AnalysisTemplate. */
  readonly name: string;
  /** PromQL: empty while the canary has served fewer than `minRequests` requests in the window, so that it is not judged yet. */
  readonly query: string;
  /** The largest passing value. */
  readonly max: number;
}

/** `60s`: Argo Rollouts and PromQL both read whole seconds this way. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The canary's golden signals as judged at each step: its 5xx share and its p99 latency, from the same queries as the
 * service's dashboard and alerts (`queries`), narrowed to the canary version's pods, each counted only once the canary
 * has served `minRequests` requests in the window.
 */
function canarySignals(service: MeshService, version: string, analysis: ResolvedCanaryAnalysis, queries: IGoldenSignalQueries): CanarySignal[] {
  const window = seconds(analysis.interval.toMilliseconds());
  const requests = queries.requestRate(service, window, version);
  // Requests in the window: rate per second times the window's seconds.
  const enough = `(${requests} * ${Math.round(analysis.interval.toMilliseconds() / 1000)} >= ${analysis.minRequests})`;
  // No 5xx series at all means no errors: count it as 0, not as "no data".
  const errors = `(${queries.serverErrorRate(service, window, version)} or on() vector(0))`;
  return [
    { name: 'server-error-ratio', query: `(${errors} / ${requests}) and on() ${enough}`, max: analysis.maxServerErrorRatio },
    { name: 'latency-p99-ms', query: `(${queries.latencyQuantile(service, 0.99, window, version)}) and on() ${enough}`, max: analysis.maxLatencyP99.toMilliseconds() },
  ];
}

/** The AnalysisTemplate's name for a service. */
export function analysisTemplateName(service: MeshService): string {
  return `${service.name}-canary`;
}

/**
 * An Argo Rollouts `AnalysisTemplate` per controller-delivered service: at every interval of every step, Prometheus is
 * asked for the canary's 5xx share and p99 latency; a value above its threshold fails the measurement (the controller
 * aborts to 100% stable past `failureLimit`), too few requests leave it inconclusive (past `inconclusiveLimit` the
 * rollout pauses for a person). Reads the version being delivered at synth.
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
        produce: () => canarySignals(service, version(), analysis, queries).map(signal => ({
          name: signal.name,
          interval: seconds(analysis.interval.toMilliseconds()),
          failureLimit: analysis.failureLimit,
          inconclusiveLimit: analysis.inconclusiveLimit,
          // Both conditions guard the empty result (too few requests), which is then neither: inconclusive.
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
