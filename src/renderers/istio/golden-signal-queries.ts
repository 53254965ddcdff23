import type { MeshService } from '../../model/mesh-service';
import { deploymentRegex, IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/**
 * Istio's label selector of a service's traffic: inbound as reported by itself, or outbound for a worker; with
 * `version`, only the requests of that version's pods (Istio's `*_version` label is the pods' `version` label).
 */
function selector(service: MeshService, version?: string): string {
  const side = service.ports.length > 0 ? 'destination' : 'source';
  const own = version === undefined ? '' : `,${side}_version="${version}"`;
  return `reporter="${side}",${side}_workload_namespace="${service.namespace.name}",${side}_workload=~"${deploymentRegex(service)}"${own}`;
}

/** The golden signals from Istio's standard metrics (`istio_requests_total`, `istio_request_duration_milliseconds`). */
export const ISTIO_GOLDEN_SIGNALS: IGoldenSignalQueries = {
  tag: 'istio',
  requestRate: (service, window, version) => `sum(rate(istio_requests_total{${selector(service, version)}}[${window}]))`,
  serverErrorRate: (service, window, version) => `sum(rate(istio_requests_total{${selector(service, version)},response_code=~"5.."}[${window}]))`,
  latencyQuantile: (service, q, window, version) => `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector(service, version)}}[${window}])))`,
};
