/**
 * SomaAgentHub's call graph (call-graph.json, "edges"): every call allowed, and nothing else.
 * `port` is the callee's container port; no methods or paths means any (only on HTTP/gRPC ports).
 * FastAPI `{param}` segments are written as Istio path templates `{*}`.
 */
export interface SomaCall {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly methods?: string[];
  readonly paths?: string[];
}

const call = (from: string, to: string, port: number, methods?: string[], paths?: string[]): SomaCall =>
  ({ from, to, port, methods, paths });

export const SOMA_CALLS: readonly SomaCall[] = [
  call('gateway-api', 'orchestrator', 10001, ['POST'], ['/v1/sessions/start', '/v1/mao/start']),
  call('gateway-api', 'identity-service', 10002, ['GET'], ['/health']),
  call('gateway-api', 'redis', 6379),
  call('gateway-api', 'kafka', 9092),
  call('gateway-api', 'slm-service', 10022, ['GET'], ['/health']),
  call('gateway-api', 'otel-collector', 4317),
  call('orchestrator', 'temporal-frontend', 7233),
  call('orchestrator', 'redis', 6379),
  call('orchestrator', 'identity-service', 10002, ['GET'], ['/v1/users/{*}/capabilities/{*}']),
  call('orchestrator', 'otel-collector', 4317),
  call('orchestrator-worker', 'temporal-frontend', 7233),
  call('orchestrator-worker', 'policy-engine', 10020, ['POST'], ['/v1/evaluate']),
  call('orchestrator-worker', 'identity-service', 10002, ['POST'], ['/v1/tokens/issue']),
  call('orchestrator-worker', 'notification-service', 10026, ['POST'], ['/v1/notifications']),
  call('orchestrator-worker', 'slm-service', 10022, ['POST'], ['/v1/infer/sync']),
  call('orchestrator-worker', 'tool-service', 8080, ['POST'], ['/v1/adapters/{*}/execute']),
  call('orchestrator-worker', 'memory-gateway', 10021, ['POST'], ['/v1/remember', '/v1/recall']),
  call('identity-service', 'redis', 6379),
  call('identity-service', 'clickhouse', 9000),
  call('identity-service', 'otel-collector', 4317),
  call('policy-engine', 'redis', 6379),
  call('policy-engine', 'otel-collector', 4317),
  call('constitution-service', 'memory-gateway', 10021, ['GET'], ['/v1/constitution']),
  call('constitution-service', 'redis', 6379),
  call('memory-gateway', 'qdrant', 6333, ['GET', 'PUT', 'POST'], ['/collections/memory', '/collections/memory/points', '/collections/memory/points/search']),
  call('memory-gateway', 'slm-service', 10022, ['POST'], ['/v1/embeddings']),
  call('tool-service', 'analytics-service', 10023, ['POST'], ['/v1/billing/events']),
  call('token-estimator', 'analytics-service', 10023, ['GET'], ['/v1/metrics/query']),
  call('mao-service', 'temporal-frontend', 7233),
  call('mao-service', 'task-capsule-repo', 8000, ['POST'], ['/v1/capsules/execute']),
  call('mao-service', 'redis', 6379),
  call('marketplace-service', 'app-postgres', 5432),
  call('jobs', 'redis', 6379),
  call('flink-service', 'kafka', 9092),
  call('flink-service', 'prometheus-pushgateway', 9091, ['PUT'], ['/metrics/job/{*}']),
  call('airflow-service', 'gateway-api', 10000, ['POST'], ['/v1/sessions', '/api/memory/refresh']),
  call('airflow-service', 'loki', 3100, ['POST'], ['/loki/api/v1/push']),
  // The public API: every route of gateway-api, through Istio's ingress gateway.
  call('istio-ingressgateway', 'gateway-api', 10000),
];
