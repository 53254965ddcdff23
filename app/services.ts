/**
 * SomaAgentHub's application services (../shared/reference/call-graph.json, "services").
 * All run in namespace soma-agent-hub; container port = Service port; every protocol is HTTP/1.1 (FastAPI).
 */

/** One application service, as data. `liveness`/`readiness` are HTTP paths; absent means a TCP check. */
export interface SomaService {
  readonly name: string;
  readonly port?: number;
  readonly liveness?: string;
  readonly readiness?: string;
  /** Image repository when it is not `somaagent/soma-<name>`. */
  readonly repository?: string;
  readonly command?: string[];
}

export const SOMA_NAMESPACE = 'soma-agent-hub';

/**
 * Choice: images are pinned to the tag of the source commit the reference was read at (2a21923);
 * the repository's own manifests use `:latest` or an unset tag, which this library refuses.
 */
export const SOMA_IMAGE_TAG = '2a21923';

export const SOMA_SERVICES: readonly SomaService[] = [
  { name: 'gateway-api', port: 10000, liveness: '/healthz', readiness: '/ready' },
  { name: 'orchestrator', port: 10001, liveness: '/health', readiness: '/ready' },
  // Choice: the Temporal worker serves no port; it runs the orchestrator image's app/worker.py entrypoint
  // (the manifest's temporal_worker_production.py is not in the repository).
  { name: 'orchestrator-worker', repository: 'somaagent/soma-orchestrator', command: ['python', 'app/worker.py'] },
  { name: 'identity-service', port: 10002, liveness: '/health', readiness: '/ready' },
  // Choice: policy-engine serves no /ready; its liveness path doubles as readiness.
  { name: 'policy-engine', port: 10020, liveness: '/health' },
  { name: 'memory-gateway', port: 10021, liveness: '/health', readiness: '/health' },
  { name: 'slm-service', port: 10022, liveness: '/health', readiness: '/health' },
  { name: 'analytics-service', port: 10023, liveness: '/health', readiness: '/health' },
  { name: 'constitution-service', port: 10024, liveness: '/health', readiness: '/health' },
  { name: 'billing-service', port: 10025, liveness: '/health', readiness: '/health' },
  { name: 'notification-service', port: 10026, liveness: '/health', readiness: '/health' },
  { name: 'tool-service', port: 8080, liveness: '/health', readiness: '/health' },
  { name: 'settings-service', port: 8000, liveness: '/health', readiness: '/health' },
  { name: 'task-capsule-repo', port: 8000, liveness: '/health', readiness: '/health' },
  { name: 'jobs', port: 1000, liveness: '/health', readiness: '/health' },
  { name: 'token-estimator', port: 8007, liveness: '/health', readiness: '/health' },
  { name: 'mao-service', port: 10007, liveness: '/health', readiness: '/health' },
  { name: 'marketplace-service', port: 10015, liveness: '/health', readiness: '/health' },
  { name: 'self-provisioning', port: 10013, liveness: '/health', readiness: '/health' },
  { name: 'evolution-engine', port: 10014, liveness: '/health', readiness: '/health' },
  { name: 'voice-interface', port: 10016, liveness: '/health', readiness: '/health' },
  // Choice: recall-service and flink-service declare no health endpoint: a TCP check on their port.
  { name: 'recall-service', port: 10017 },
  { name: 'flink-service', port: 8081, repository: 'somatechlat/soma-flink-service' },
  // Choice: the Airflow webserver's own /health endpoint.
  { name: 'airflow-service', port: 8080, liveness: '/health', readiness: '/health', repository: 'somagent/airflow-service' },
];
