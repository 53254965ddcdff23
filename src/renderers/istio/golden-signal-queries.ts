import type { MeshService } from '../../model/mesh-service';
import { deploymentRegex, GoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/** Istio's label selector of a service's traffic: inbound as reported by itself, or outbound for a worker. */
function selector(service: MeshService): string {
  const side = service.ports.length > 0 ? 'destination' : 'source';
  return `reporter="${side}",${side}_workload_namespace="${service.namespace.name}",${side}_workload=~"${deploymentRegex(service)}"`;
}

/** The golden signals from Istio's standard metrics (`istio_requests_total`, `istio_request_duration_milliseconds`). */
export const ISTIO_GOLDEN_SIGNALS: GoldenSignalQueries = {
  tag: 'istio',
  requestRate: (service, window) => `sum(rate(istio_requests_total{${selector(service)}}[${window}]))`,
  serverErrorRate: (service, window) => `sum(rate(istio_requests_total{${selector(service)},response_code=~"5.."}[${window}]))`,
  latencyQuantile: (service, q, window) => `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector(service)}}[${window}])))`,
};
