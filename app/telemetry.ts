/**
 * SomaAgentHub's telemetry: where each service serves Prometheus metrics (call-graph.json, "metrics"),
 * and how much the mesh traces. Services absent here serve no metrics of their own (flink-service pushes
 * to the Pushgateway instead); their proxies' metrics are scraped all the same.
 */
export const SOMA_METRICS_PATHS: Readonly<Record<string, string>> = {
  'gateway-api': '/metrics',
  'orchestrator': '/metrics',
  'identity-service': '/metrics',
  'policy-engine': '/metrics',
  'memory-gateway': '/metrics',
  'slm-service': '/metrics',
  'analytics-service': '/metrics',
  'constitution-service': '/metrics',
  'billing-service': '/metrics',
  'notification-service': '/metrics',
  'tool-service': '/metrics',
  'settings-service': '/metrics',
  'task-capsule-repo': '/metrics',
  'jobs': '/metrics',
  'token-estimator': '/metrics',
};

/**
 * The tracing provider the Istio install declares in meshConfig.extensionProviders (an opentelemetry
 * provider for otel-collector.observability.svc.cluster.local:4317), and the share of requests traced.
 * Choice: 1%, a production rate; raise it while debugging.
 */
export const SOMA_TRACING = { provider: 'otel-tracing', samplingPercentage: 1 };
