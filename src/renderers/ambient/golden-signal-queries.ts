import type { MeshService } from '../../model/mesh-service';
import { deploymentRegex, IGoldenSignalQueries } from '../kubernetes/golden-signal-dashboards';

/**
 * The golden signals from what ambient's proxies emit. A service behind a waypoint: the waypoint's request metrics
 * (`istio_requests_total`, `istio_request_duration_milliseconds`, `reporter="waypoint"`), inbound, or outbound for a
 * worker. A service reached at L4 only: ztunnel's connection metrics (`istio_tcp_connections_opened_total`,
 * `reporter="destination"`); ztunnel sees connections, not responses, so such a service has no error rate or latency
 * (the queries answer 0, and its alerts never fire: give it a waypoint where they matter).
 */
export function ambientGoldenSignals(usesWaypoint: (service: MeshService) => boolean): IGoldenSignalQueries {
  const requests = (service: MeshService) => {
    const side = service.ports.length > 0 ? 'destination' : 'source';
    return `reporter="waypoint",${side}_workload_namespace="${service.namespace.name}",${side}_workload=~"${deploymentRegex(service)}"`;
  };
  const connections = (service: MeshService) => `reporter="destination",destination_workload_namespace="${service.namespace.name}",destination_workload=~"${deploymentRegex(service)}"`;
  const l7 = (service: MeshService) => usesWaypoint(service) || service.ports.length === 0;
  return {
    tag: 'istio-ambient',
    requestRate: (service, window) => (l7(service)
      ? `sum(rate(istio_requests_total{${requests(service)}}[${window}]))`
      : `sum(rate(istio_tcp_connections_opened_total{${connections(service)}}[${window}]))`),
    serverErrorRate: (service, window) => (l7(service)
      ? `sum(rate(istio_requests_total{${requests(service)},response_code=~"5.."}[${window}]))`
      : 'vector(0)'),
    latencyQuantile: (service, q, window) => (l7(service)
      ? `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${requests(service)}}[${window}])))`
      : 'vector(0)'),
  };
}
