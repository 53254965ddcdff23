import type { MeshService } from '../../model/mesh-service';
import { deploymentRegex, IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/**
 * Linkerd's label selector of a service's traffic, as its proxies label it: inbound at the service's own pods, or
 * outbound from a worker that serves no port; with `version`, only that version's Deployment.
 */
function selector(service: MeshService, version?: string): string {
  const direction = service.ports.length > 0 ? 'inbound' : 'outbound';
  const deployments = version === undefined ? deploymentRegex(service) : service.versions.filter(v => v.name === version).map(v => v.deployment.name).join('|');
  return `direction="${direction}",namespace="${service.namespace.name}",deployment=~"${deployments}"`;
}

/** The golden signals from the Linkerd proxy's metrics (`response_total`, `response_latency_ms`). */
export const LINKERD_GOLDEN_SIGNALS: IGoldenSignalQueries = {
  tag: 'linkerd',
  requestRate: (service, window, version) => `sum(rate(response_total{${selector(service, version)}}[${window}]))`,
  serverErrorRate: (service, window, version) => `sum(rate(response_total{${selector(service, version)},status_code=~"5.."}[${window}]))`,
  latencyQuantile: (service, q, window, version) => `histogram_quantile(${q}, sum by (le) (rate(response_latency_ms_bucket{${selector(service, version)}}[${window}])))`,
};
