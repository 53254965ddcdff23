import type { MeshService } from '../../model/mesh-service';
import { deploymentRegex, GoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/**
 * Linkerd's label selector of a service's traffic, as its proxies label it: inbound at the service's own pods, or
 * outbound from a worker that serves no port.
 */
function selector(service: MeshService): string {
  const direction = service.ports.length > 0 ? 'inbound' : 'outbound';
  return `direction="${direction}",namespace="${service.namespace.name}",deployment=~"${deploymentRegex(service)}"`;
}

/** The golden signals from the Linkerd proxy's metrics (`response_total`, `response_latency_ms`). */
export const LINKERD_GOLDEN_SIGNALS: GoldenSignalQueries = {
  tag: 'linkerd',
  requestRate: (service, window) => `sum(rate(response_total{${selector(service)}}[${window}]))`,
  serverErrorRate: (service, window) => `sum(rate(response_total{${selector(service)},status_code=~"5.."}[${window}]))`,
  latencyQuantile: (service, q, window) => `histogram_quantile(${q}, sum by (le) (rate(response_latency_ms_bucket{${selector(service)}}[${window}])))`,
};
