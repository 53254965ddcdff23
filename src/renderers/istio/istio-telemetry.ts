import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Telemetry } from '../../../imports/istio-telemetry.istio.io';
import type { MeshTelemetry } from '../../model/mesh-telemetry';

/** Istio's built-in providers: the standard `istio_*` metrics, and Envoy's access log to the proxy's stdout. */
const METRICS_PROVIDER = 'prometheus';
const ACCESS_LOG_PROVIDER = 'envoy';

/**
 * The mesh-wide `Telemetry` in Istio's root namespace: Prometheus metrics, access logs and sampled tracing for every
 * proxy. Istio resolves provider names in the mesh config, so the install must declare the tracing provider, e.g.
 * `meshConfig.extensionProviders: [{ name: otel-tracing, opentelemetry: { service: otel-collector.observability.svc.cluster.local, port: 4317 } }]`.
 */
export class IstioTelemetry extends Construct {
  public readonly resource: ApiObject;

  public constructor(telemetry: MeshTelemetry, id: string, rootNamespace: string) {
    super(telemetry, id);
    this.resource = new Telemetry(this, 'Resource', {
      metadata: { name: 'mesh-default', namespace: rootNamespace },
      spec: {
        metrics: [{ providers: [{ name: METRICS_PROVIDER }] }],
        accessLogging: telemetry.accessLogs ? [{ providers: [{ name: ACCESS_LOG_PROVIDER }] }] : undefined,
        tracing: [{ providers: [{ name: telemetry.tracingProvider }], randomSamplingPercentage: telemetry.samplingPercentage }],
      },
    });
  }
}
