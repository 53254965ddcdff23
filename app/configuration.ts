/**
 * Each SomaAgentHub service's configuration, read from its repository (somatechlat/SomaAgentHub at 2a21923):
 * the Helm chart k8s/helm/soma-agent (values.yaml and templates/deployment.yaml) first, then the manifests
 * infra/k8s/*.yaml and k8s/*-deployment.yaml for what the chart does not set.
 *
 * Addresses are never literals here: a variable that holds a callee's address names the call of the call graph
 * it belongs to (`discovery`), and its value is derived from that call (scheme, Service FQDN, Service port). Where
 * the repository's URL disagrees with the graph, the graph wins and the comment says what the repository had.
 * A variable whose address is a call the graph does not allow is left out, so configuration and authorization agree.
 */

/** The Secret the chart names (`secrets.name`). It is the operator's: referenced here, never rendered. */
export const SOMA_SECRET = 'soma-secrets';

/** A variable that holds a callee's in-mesh address, from the call `from -> to` of the graph. */
export interface SomaDiscovery {
  readonly env: string;
  readonly to: string;
  /** URL scheme; `''` for `host:port`. Default: `http` on HTTP ports, `host:port` on gRPC and TCP. */
  readonly scheme?: string;
  /** What follows the port. */
  readonly path?: string;
}

/** One service's configuration beyond its image, port and probes. */
export interface SomaServiceConfig {
  /** Literal variables (never addresses). */
  readonly env?: Record<string, string>;
  /** Variables from keys of SOMA_SECRET, by variable name. */
  readonly secretEnv?: Record<string, string>;
  /** Every key of SOMA_SECRET as variables (the chart's `envFromSecret`). */
  readonly envFromSecret?: boolean;
  /** Variables from the pod's own fields (`fieldRef`), by variable name. */
  readonly fieldEnv?: Record<string, string>;
  /** Variables that hold callees' addresses, derived from the call graph. */
  readonly discovery?: readonly SomaDiscovery[];
  /** Requests and limits: CPU in millicores, memory in MiB. */
  readonly resources?: { readonly cpu: readonly [number, number]; readonly memoryMi: readonly [number, number] };
  /** Writable emptyDir volumes by mount path (the root filesystem is read-only). */
  readonly scratch?: readonly string[];
  /** PersistentVolumeClaims of the operator, by mount path, mounted read-only. */
  readonly claims?: Readonly<Record<string, string>>;
  /** Autoscaling and disruption budget. */
  readonly scaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuUtilization: number; readonly minAvailable: number };
}

/** Variables templates/deployment.yaml gives every service the chart deploys (values.yaml `global`). */
const CHART_ENV: Record<string, string> = {
  ENABLE_OTLP: 'true',
  ENVIRONMENT: 'production',
  ENABLE_VOLCANO_SCHEDULER: 'false',
  KUBECTL_BINARY: 'kubectl',
  // Choice: the chart enables SPIFFE through SPIRE's agent socket (a hostPath volume). The mesh's own mTLS
  // identities replace it, and a hardened pod mounts no host path, so it is off.
  ENABLE_SPIFFE: 'false',
};

/**
 * The chart's OTLP endpoint (`global.observability.otlpEndpoint`, http://otel-collector.observability:4317). The
 * raw manifests name http://prometheus-prometheus.observability:10010, which is not an OTLP receiver; the graph
 * has the call to otel-collector on 4317.
 */
const OTLP: SomaDiscovery = { env: 'OTEL_EXPORTER_OTLP_ENDPOINT', to: 'otel-collector', scheme: 'http' };

/**
 * Choice: the chart's templates/hpa.yaml and pdb.yaml defaults (CPU 70%, at most 3 replicas, at least 1 available),
 * for the services the repository's manifests run with more than one replica; the minimum is the mesh's two
 * replicas, so that a drain always leaves one serving.
 */
const CHART_SCALING = { minReplicas: 2, maxReplicas: 3, cpuUtilization: 70, minAvailable: 1 };

export const SOMA_CONFIGURATION: Readonly<Record<string, SomaServiceConfig>> = {
  'gateway-api': {
    env: { ...CHART_ENV, OTEL_SERVICE_NAME: 'gateway-api' },
    envFromSecret: true,
    discovery: [
      { env: 'SOMAGENT_GATEWAY_ORCHESTRATOR_URL', to: 'orchestrator' },
      { env: 'IDENTITY_SERVICE_URL', to: 'identity-service' },
      // The repository has http://slm-service:1001; slm-service serves 10022 (call-graph.json).
      { env: 'SOMALLM_PROVIDER_URL', to: 'slm-service' },
      OTLP,
    ],
    resources: { cpu: [1000, 4000], memoryMi: [1024, 4096] },
    // The manifests run 3 replicas.
    scaling: { ...CHART_SCALING, minReplicas: 3, maxReplicas: 6 },
  },
  'orchestrator': {
    // Choice: the chart's values.yaml sets TEMPORAL_ENABLED "false" to save resources, yet deploys the Temporal
    // worker, and the graph has the orchestrator's call to Temporal: enabled, as infra/k8s/orchestrator.yaml runs it.
    env: {
      ...CHART_ENV, TEMPORAL_ENABLED: 'true', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'somagent.session.workflows',
      OTEL_SERVICE_NAME: 'orchestrator', LOG_LEVEL: 'INFO', LOG_FORMAT: 'json',
    },
    fieldEnv: { VOLCANO_NAMESPACE: 'metadata.namespace' },
    discovery: [
      // The repository has temporal-frontend.somaagent:7233; Temporal's frontend runs in namespace temporal.
      { env: 'TEMPORAL_HOST', to: 'temporal-frontend' },
      { env: 'IDENTITY_SERVICE_URL', to: 'identity-service' },
      OTLP,
      // Left out: POLICY_ENGINE_URL, SOMALLM_PROVIDER_URL, SOMALLM_PROVIDER_HEALTH_URL and GATEWAY_API_URL of
      // infra/k8s/orchestrator.yaml name calls the graph does not have (the worker makes them, not the orchestrator).
    ],
    resources: { cpu: [500, 2000], memoryMi: [512, 2048] },
    scratch: ['/app/cache'],
    scaling: CHART_SCALING,
  },
  'orchestrator-worker': {
    env: { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'somagent.session.workflows' },
    discovery: [
      { env: 'TEMPORAL_HOST', to: 'temporal-frontend' },
      { env: 'POLICY_ENGINE_URL', to: 'policy-engine' },
      { env: 'IDENTITY_SERVICE_URL', to: 'identity-service' },
      // The repository has http://slm-service:1001; slm-service serves 10022. Its SOMALLM_PROVIDER_HEALTH_URL is
      // left out: the worker may only POST /v1/infer/sync there, so a health check through it would be denied.
      { env: 'SOMALLM_PROVIDER_URL', to: 'slm-service' },
    ],
    resources: { cpu: [250, 1000], memoryMi: [256, 1024] },
  },
  'identity-service': {
    env: { ...CHART_ENV, JWT_ALGORITHM: 'HS256', JWT_EXPIRATION_MINUTES: '60', OTEL_SERVICE_NAME: 'identity-service' },
    // The chart passes every key of its Secret; infra/k8s/identity-service.yaml names two more keys (of
    // "somaagent-secrets" there; the chart's Secret here).
    envFromSecret: true,
    secretEnv: { DATABASE_URL: 'identity-db-url', JWT_SECRET_KEY: 'jwt-secret' },
    // The chart sets REDIS_URL to ""; the graph has identity-service's call to redis.
    discovery: [{ env: 'REDIS_URL', to: 'redis', scheme: 'redis', path: '/0' }, OTLP],
    resources: { cpu: [250, 1000], memoryMi: [256, 1024] },
    scaling: CHART_SCALING,
  },
  'policy-engine': {
    env: { ...CHART_ENV, OTEL_SERVICE_NAME: 'policy-engine' },
    // The repository has redis://redis.somaagent:10003/0; Redis serves 6379 in namespace soma-infra.
    discovery: [{ env: 'REDIS_URL', to: 'redis', scheme: 'redis', path: '/0' }, OTLP],
    resources: { cpu: [500, 2000], memoryMi: [512, 2048] },
    scaling: CHART_SCALING,
  },
  'slm-service': {
    env: {
      ...CHART_ENV, MODEL_PATH: '/models', DEFAULT_MODEL: 'llama-3.2-1b', MAX_CONCURRENT_REQUESTS: '10', CUDA_VISIBLE_DEVICES: '0',
      OTEL_SERVICE_NAME: 'slm-service',
      // Its OTEL_EXPORTER_OTLP_ENDPOINT is left out: the graph has no call from slm-service to otel-collector.
      ENABLE_OTLP: 'false',
    },
    resources: { cpu: [2000, 8000], memoryMi: [4096, 16384] },
    scratch: ['/app/cache'],
    // The models volume (ReadOnlyMany, 50Gi in infra/k8s/slm-service.yaml) is provisioned with the models by the operator.
    claims: { '/models': 'slm-service-models' },
    scaling: CHART_SCALING,
  },
  'analytics-service': {
    env: { CLICKHOUSE_DATABASE: 'somaagent', OTEL_SERVICE_NAME: 'analytics-service', ENVIRONMENT: 'production', BATCH_SIZE: '1000', FLUSH_INTERVAL_SECONDS: '60' },
    secretEnv: { CLICKHOUSE_USER: 'clickhouse-user', CLICKHOUSE_PASSWORD: 'clickhouse-password' },
    // Left out: CLICKHOUSE_HOST/CLICKHOUSE_PORT (clickhouse.somaagent:9000) and the OTLP endpoint name calls the
    // graph does not have (only identity-service calls ClickHouse).
    resources: { cpu: [500, 2000], memoryMi: [512, 2048] },
    scaling: CHART_SCALING,
  },
  'airflow-service': {
    discovery: [
      { env: 'LOKI_URL', to: 'loki' },
      // The repository has http://gateway-api.soma:8000; gateway-api serves 10000 in namespace soma-agent-hub.
      { env: 'GATEWAY_URL', to: 'gateway-api' },
    ],
    resources: { cpu: [100, 500], memoryMi: [256, 512] },
  },
  'flink-service': {
    discovery: [
      // The repository has kafka:9092 (a name of its own namespace); Kafka runs in soma-infra.
      { env: 'KAFKA_BOOTSTRAP_SERVERS', to: 'kafka' },
      { env: 'PROMETHEUS_PUSHGATEWAY_URL', to: 'prometheus-pushgateway' },
    ],
  },
};
