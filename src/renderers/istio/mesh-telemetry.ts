import { Construct } from 'constructs';
import { PropsCheck } from '../../model/props-check';
import { pathOf } from '../../model/declaration-checks';
import { Telemetry } from '../../../imports/istio-telemetry.istio.io';
import { checkDnsLabel, fail } from '../../model/validation';
import { ISTIO_SYSTEM } from './workload-sidecar';

/** What every proxy of the mesh reports, and where. */
export interface MeshTelemetryProps {
  /**
   * The tracing provider, as named in the mesh config's `extensionProviders` (an `opentelemetry` provider
   * pointing at the collector). The install declares it: a Telemetry resource can only name it.
   * @default 'otel-tracing'
   */
  readonly tracingProvider?: string;
  /**
   * Percent of requests traced, from 0 to 100.
   * @default 1
   */
  readonly samplingPercentage?: number;
  /**
   * The access log provider. `envoy` is built into Istio (JSON or text to the proxy's stdout).
   * @default 'envoy'
   */
  readonly accessLogProvider?: string;
  /**
   * The metrics provider. `prometheus` is built into Istio (the standard `istio_*` metrics).
   * @default 'prometheus'
   */
  readonly metricsProvider?: string;
  /**
   * Where the resource lives. In Istio's root namespace it applies to the whole mesh.
   * @default 'istio-system'
   */
  readonly namespace?: string;
}

/**
 * The mesh-wide `Telemetry`: Prometheus metrics, access logs and sampled tracing for every proxy.
 * Istio resolves provider names in the mesh config, so the install must declare the tracing provider, e.g.
 * `meshConfig.extensionProviders: [{ name: otel-tracing, opentelemetry: { service: otel-collector.observability.svc.cluster.local, port: 4317 } }]`.
 */
export class MeshTelemetry extends Construct {
  public readonly resource: Telemetry;

  public constructor(scope: Construct, id: string, props: MeshTelemetryProps = {}) {
    const at = new PropsCheck(pathOf(scope, id));
    const p = at.object<MeshTelemetryProps>('props', props, '{ tracingProvider: "otel-tracing", samplingPercentage: 1 }', true);
    for (const key of ['tracingProvider', 'accessLogProvider', 'metricsProvider', 'namespace'] as const) at.string(key, p[key], '"otel-tracing"', true);
    at.number('samplingPercentage', p.samplingPercentage, 0, 100);
    super(scope, id);
    const sampling = props.samplingPercentage ?? 1;
    if (!(sampling >= 0 && sampling <= 100)) fail(this.node.path, `samplingPercentage ${sampling} is not a percentage: use a number from 0 to 100`);
    const tracing = props.tracingProvider ?? 'otel-tracing';
    const nameError = checkDnsLabel('tracing provider', tracing);
    if (nameError) fail(this.node.path, nameError);
    this.resource = new Telemetry(this, 'Resource', {
      metadata: { name: 'mesh-default', namespace: props.namespace ?? ISTIO_SYSTEM },
      spec: {
        metrics: [{ providers: [{ name: props.metricsProvider ?? 'prometheus' }] }],
        accessLogging: [{ providers: [{ name: props.accessLogProvider ?? 'envoy' }] }],
        tracing: [{ providers: [{ name: tracing }], randomSamplingPercentage: sampling }],
      },
    });
  }
}
