import { Duration } from 'cdk8s';
import { LoadBalancing, ResilienceOptions, RetryOptions } from '../src';

/**
 * SomaAgentHub's resilience values. The repository's hand-written VirtualServices and DestinationRules
 * (somaagenthub-topology.md, "Istio / mesh manifests") set these four services; their intent is carried over:
 * - same timeouts, retry counts and per-try timeouts, but retries only on idempotent requests (theirs retried POSTs);
 * - same connection limits and outlier detection, minus `minRequestVolume`, which is no Istio field;
 * - routes to subsets derived from the versions that run (their subset v1 selected pods with no version label).
 * Every other service takes the library defaults (30s, 2 retries of idempotent requests, 100/100/1000, 5 errors).
 */
const seconds = Duration.seconds;

export const SOMA_RESILIENCE: Readonly<Record<string, ResilienceOptions>> = {
  'gateway-api': {
    timeout: seconds(30),
    retries: { attempts: 3, perTryTimeout: seconds(5) }, // 4 tries x 5s = 20s within 30s
    connectionPool: { maxConnections: 100, maxPendingRequests: 100, maxRequests: 1000, maxRequestsPerConnection: 10 },
    outlierDetection: { consecutiveServerErrors: 5, interval: seconds(30), baseEjectionTime: seconds(30), maxEjectionPercent: 50 },
    loadBalancing: LoadBalancing.ROUND_ROBIN,
  },
  'orchestrator': {
    timeout: seconds(60), // session starts wait on Temporal
    retries: { attempts: 2, perTryTimeout: seconds(10) },
    connectionPool: { maxConnections: 50, maxPendingRequests: 50, maxRequests: 500, maxRequestsPerConnection: 5 },
    outlierDetection: { consecutiveServerErrors: 3, interval: seconds(30), baseEjectionTime: seconds(60), maxEjectionPercent: 50 },
    loadBalancing: LoadBalancing.ROUND_ROBIN,
  },
  'identity-service': {
    timeout: seconds(10),
    retries: { attempts: 3, perTryTimeout: seconds(2) },
    connectionPool: { maxConnections: 200, maxPendingRequests: 200, maxRequests: 2000, maxRequestsPerConnection: 20 },
    outlierDetection: { consecutiveServerErrors: 5, interval: seconds(30), baseEjectionTime: seconds(30), maxEjectionPercent: 30 },
    loadBalancing: LoadBalancing.ROUND_ROBIN,
  },
  'policy-engine': {
    timeout: seconds(5), // every agent step waits on a policy decision: fail fast
    retries: { attempts: 2, perTryTimeout: seconds(1) },
    connectionPool: { maxConnections: 150, maxPendingRequests: 150, maxRequests: 1500, maxRequestsPerConnection: 15 },
    outlierDetection: { consecutiveServerErrors: 3, interval: seconds(20), baseEjectionTime: seconds(30), maxEjectionPercent: 30 },
    loadBalancing: LoadBalancing.LEAST_REQUEST,
  },
  // Choice: slm-service is CPU-bound inference on small pods: few connections and a short queue shed load
  // early instead of stacking requests; 3 errors eject a bad pod (a failing canary pod leaves quickly).
  'slm-service': {
    timeout: seconds(30),
    connectionPool: { maxConnections: 50, maxPendingRequests: 50, maxRequests: 200 },
    outlierDetection: { consecutiveServerErrors: 3, interval: seconds(10), baseEjectionTime: seconds(30), maxEjectionPercent: 50 },
  },
};

/** One call's own timeout (and retries), keyed by caller and callee. */
export interface SomaCallTraffic {
  readonly from: string;
  readonly to: string;
  readonly timeout: Duration;
  readonly retries?: RetryOptions;
}

export const SOMA_CALL_TRAFFIC: readonly SomaCallTraffic[] = [
  // The repository gave health routes 5s: a health check that takes longer is a failure anyway.
  { from: 'gateway-api', to: 'identity-service', timeout: seconds(5), retries: { attempts: 2, perTryTimeout: seconds(1.5) } },
  { from: 'gateway-api', to: 'slm-service', timeout: seconds(5), retries: { attempts: 2, perTryTimeout: seconds(1.5) } },
  // Synchronous inference for a workflow step may take longer than the service's 30s; never retried (POST).
  { from: 'orchestrator-worker', to: 'slm-service', timeout: seconds(60) },
  // Embeddings sit on memory-gateway's request path: fail fast rather than hold its callers.
  { from: 'memory-gateway', to: 'slm-service', timeout: seconds(10) },
];
