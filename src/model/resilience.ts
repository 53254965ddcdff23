import { Duration } from 'cdk8s';

/**
 * Resilience of a service, mesh-neutral: how long a request may take, which failures are retried,
 * how much load one caller may put on it (circuit breaking) and when a failing pod is ejected.
 * The mesh renderer turns it into its own resources (Istio: VirtualService and DestinationRule).
 */

/** A failure after which a request may be retried. */
export enum RetryCondition {
  /** The connection could not be opened: the request never reached the server. */
  CONNECT_FAILURE = 'CONNECT_FAILURE',
  /** The server refused the HTTP/2 stream: the request was not processed. */
  REFUSED_STREAM = 'REFUSED_STREAM',
  /** The connection was reset, or the server did not answer. */
  RESET = 'RESET',
  /** The server answered 503 (or gRPC UNAVAILABLE). */
  UNAVAILABLE = 'UNAVAILABLE',
  /** The server answered 502, 503 or 504. */
  GATEWAY_ERROR = 'GATEWAY_ERROR',
}

/** How requests are retried. Retries only ever apply to idempotent requests. */
export interface RetryOptions {
  /**
   * Retries after the first try (Istio and Linkerd count the same way); 0 turns retries off.
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Time limit of each try, the first included. (attempts + 1) x perTryTimeout must fit in the request timeout.
   * @default - the request timeout divided by (attempts + 1), rounded down to 100ms, so that every try fits
   */
  readonly perTryTimeout?: Duration;
  /**
   * The failures that are retried.
   * @default [CONNECT_FAILURE, RESET, UNAVAILABLE]
   */
  readonly on?: RetryCondition[];
}

/** Limits on the connections and requests every caller's proxy opens to the service (circuit breaking). */
export interface ConnectionPoolOptions {
  /**
   * TCP connections to the service from one caller's proxy.
   * @default 100
   */
  readonly maxConnections?: number;
  /**
   * Requests waiting for a connection; beyond this the caller gets a fast 503 instead of queueing.
   * @default 100
   */
  readonly maxPendingRequests?: number;
  /**
   * Requests in flight to the service at once.
   * @default 1000
   */
  readonly maxRequests?: number;
  /**
   * Requests sent over one connection before it is closed.
   * @default - unlimited (connections are kept alive: no TLS handshake per request)
   */
  readonly maxRequestsPerConnection?: number;
  /**
   * Time allowed to open a connection.
   * @default - the mesh's default (Istio: 10s)
   */
  readonly connectTimeout?: Duration;
}

/** When a pod that keeps failing is taken out of the load balancing pool for a while. */
export interface OutlierDetectionOptions {
  /**
   * Consecutive server errors (5xx, or connect failures on TCP) that eject a pod.
   * @default 5
   */
  readonly consecutiveServerErrors?: number;
  /**
   * How often pods are scanned.
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * How long an ejected pod stays out (multiplied by the times it was ejected).
   * @default Duration.seconds(30)
   */
  readonly baseEjectionTime?: Duration;
  /**
   * At most this percentage of a version's pods is ejected at once.
   * @default 50
   */
  readonly maxEjectionPercent?: number;
}

/** How requests are spread over the pods of a version. */
export enum LoadBalancing {
  ROUND_ROBIN = 'ROUND_ROBIN',
  LEAST_REQUEST = 'LEAST_REQUEST',
  RANDOM = 'RANDOM',
}

/** Faults injected on purpose for a resilience drill. Istio applies no timeout or retry to a route with a fault. */
export interface FaultInjection {
  /** Delay a percentage of requests. @default - no delay */
  readonly delay?: FaultDelay;
  /** Fail a percentage of requests with an HTTP status. @default - no abort */
  readonly abort?: FaultAbort;
}

/** A delay injected into a percentage of requests. */
export interface FaultDelay {
  /** The share of requests delayed, 0 to 100. */
  readonly percent: number;
  /** How long each is delayed. */
  readonly duration: Duration;
}

/** A failure injected into a percentage of requests. */
export interface FaultAbort {
  /** The share of requests failed, 0 to 100. */
  readonly percent: number;
  /** The HTTP status they fail with. */
  readonly httpStatus: number;
}

/** The resilience of one service. */
export interface ResilienceOptions {
  /**
   * How long a caller waits for the whole request, retries included.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, TRACE, or a call declared idempotent).
   * Every other request is never retried.
   * @default - 2 retries on connect failure, reset and 503
   */
  readonly retries?: RetryOptions;
  /**
   * Circuit breaking: connection and request limits.
   * @default - see ConnectionPoolOptions
   */
  readonly connectionPool?: ConnectionPoolOptions;
  /**
   * Ejection of failing pods.
   * @default - see OutlierDetectionOptions
   */
  readonly outlierDetection?: OutlierDetectionOptions;
  /**
   * Load balancing over a version's pods.
   * @default - the mesh's default (Istio: LEAST_REQUEST)
   */
  readonly loadBalancing?: LoadBalancing;
  /**
   * Faults for a resilience drill.
   * @default - none
   */
  readonly fault?: FaultInjection;
}

/** Retries with every default filled in, for one route. */
export interface ResolvedRetries {
  readonly attempts: number;
  readonly perTryTimeout?: Duration;
  readonly on: RetryCondition[];
}

/** A connection pool with its defaults filled in (per-connection requests and connect timeout stay optional). */
export interface ResolvedConnectionPool {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  /** @default - the mesh's default */
  readonly maxRequestsPerConnection?: number;
  /** @default - the mesh's default */
  readonly connectTimeout?: Duration;
}

/** Outlier detection with every default filled in. */
export interface ResolvedOutlierDetection {
  readonly consecutiveServerErrors: number;
  readonly interval: Duration;
  readonly baseEjectionTime: Duration;
  readonly maxEjectionPercent: number;
}

/** Resilience with every default filled in. */
export interface Resilience {
  readonly timeout: Duration;
  readonly retries: ResolvedRetries;
  readonly connectionPool: ResolvedConnectionPool;
  readonly outlierDetection: ResolvedOutlierDetection;
  readonly loadBalancing?: LoadBalancing;
  readonly fault?: FaultInjection;
}

/** Choice: 30s bounds how long a slow service can hold its callers' threads, yet fits ordinary API calls. */
const DEFAULT_TIMEOUT = Duration.seconds(30);
/** Choice: Istio's own retry count, but only where replaying is harmless, and only on failures that are safe to retry. */
const DEFAULT_RETRY_CONDITIONS: readonly RetryCondition[] = [RetryCondition.CONNECT_FAILURE, RetryCondition.RESET, RetryCondition.UNAVAILABLE];

/** Fills in every default. */
export function resolveResilience(options: ResilienceOptions = {}): Resilience {
  const pool = options.connectionPool ?? {};
  const outlier = options.outlierDetection ?? {};
  return {
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    retries: resolveRetries(options.retries),
    connectionPool: {
      // Choice: Istio's defaults are effectively unlimited; these cap one caller's share of a small service.
      maxConnections: pool.maxConnections ?? 100,
      maxPendingRequests: pool.maxPendingRequests ?? 100,
      maxRequests: pool.maxRequests ?? 1000,
      maxRequestsPerConnection: pool.maxRequestsPerConnection,
      connectTimeout: pool.connectTimeout,
    },
    outlierDetection: {
      consecutiveServerErrors: outlier.consecutiveServerErrors ?? 5,
      interval: outlier.interval ?? Duration.seconds(10),
      baseEjectionTime: outlier.baseEjectionTime ?? Duration.seconds(30),
      // Choice: Istio's default (10%) never ejects a pod of a 2-pod version in practice; half keeps one serving.
      maxEjectionPercent: outlier.maxEjectionPercent ?? 50,
    },
    loadBalancing: options.loadBalancing,
    fault: options.fault,
  };
}

export function resolveRetries(options: RetryOptions | undefined): ResolvedRetries {
  return {
    attempts: options?.attempts ?? 2,
    perTryTimeout: options?.perTryTimeout,
    on: [...(options?.on ?? DEFAULT_RETRY_CONDITIONS)],
  };
}

/** The per-try timeout of a route: declared, or the timeout shared out over every try. */
export function perTryTimeout(timeout: Duration, retries: ResolvedRetries): Duration {
  if (retries.perTryTimeout) return retries.perTryTimeout;
  const share = timeout.toMilliseconds() / (retries.attempts + 1);
  return Duration.millis(share >= 100 ? Math.floor(share / 100) * 100 : Math.max(1, Math.floor(share)));
}

/** (attempts + 1) tries of perTryTimeout must fit in the request timeout, or the last retries can never finish. */
export function checkRetryBudget(timeout: Duration, retries: ResolvedRetries): string | undefined {
  if (retries.attempts === 0) return undefined;
  const perTry = perTryTimeout(timeout, retries).toMilliseconds();
  const total = (retries.attempts + 1) * perTry;
  if (total > timeout.toMilliseconds()) {
    return `retries need ${retries.attempts + 1} tries x perTryTimeout ${formatDuration(perTryTimeout(timeout, retries))} = ${formatDuration(Duration.millis(total))}, more than the request timeout ${formatDuration(timeout)}: lower attempts or perTryTimeout, or raise the timeout`;
  }
  return undefined;
}

/** Checks on the options themselves; each message says how to fix it. */
export function checkResilience(options: ResilienceOptions): string[] {
  const errors: string[] = [];
  const resolved = resolveResilience(options);
  errors.push(...checkDurations({ timeout: options.timeout, perTryTimeout: options.retries?.perTryTimeout,
    connectTimeout: options.connectionPool?.connectTimeout, interval: options.outlierDetection?.interval,
    baseEjectionTime: options.outlierDetection?.baseEjectionTime }));
  errors.push(...checkRetries(options.retries));
  const budget = checkRetryBudget(resolved.timeout, resolved.retries);
  if (budget) errors.push(budget);
  const pool = resolved.connectionPool;
  for (const [name, value] of Object.entries({ maxConnections: pool.maxConnections, maxPendingRequests: pool.maxPendingRequests,
    maxRequests: pool.maxRequests, maxRequestsPerConnection: pool.maxRequestsPerConnection, consecutiveServerErrors: resolved.outlierDetection.consecutiveServerErrors })) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) errors.push(`${name} ${value} is not a positive count: use an integer of 1 or more`);
  }
  const eject = resolved.outlierDetection.maxEjectionPercent;
  if (!Number.isInteger(eject) || eject < 0 || eject > 100) errors.push(`maxEjectionPercent ${eject} is not a percentage: use an integer from 0 to 100`);
  errors.push(...checkFault(options.fault));
  return errors;
}

/** Checks a fault drill given for a service or a call. */
export function checkFault(fault: FaultInjection | undefined): string[] {
  if (!fault) return [];
  const errors: string[] = [];
  if (!fault.delay && !fault.abort) errors.push('fault has neither delay nor abort: give one, or remove fault');
  for (const [what, percent] of [['delay', fault.delay?.percent], ['abort', fault.abort?.percent]] as const) {
    if (percent !== undefined && !(percent >= 0 && percent <= 100)) errors.push(`fault ${what} percent ${percent} is not a percentage: use a number from 0 to 100`);
  }
  const status = fault.abort?.httpStatus;
  if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
    errors.push(`fault abort httpStatus ${status} is not an HTTP status: use 200 to 599, for example 503`);
  }
  errors.push(...checkDurations({ 'fault delay': fault.delay?.duration }));
  return errors;
}

/** Checks retry options given for a service or a call. */
export function checkRetries(retries: RetryOptions | undefined): string[] {
  const attempts = retries?.attempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 0 || attempts > 10)) {
    return [`retries attempts ${attempts} is not a retry count: use an integer from 0 to 10`];
  }
  return [];
}

/** Durations must be at least 1ms (the Istio CRDs reject less). */
export function checkDurations(durations: Record<string, Duration | undefined>): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(durations)) {
    if (value !== undefined && !(value.toMilliseconds() >= 1)) errors.push(`${name} is ${value.toMilliseconds()}ms: use at least 1ms`);
  }
  return errors;
}

/** A duration as seconds, the form both Istio (protobuf JSON) and the CRD validation accept: "30s", "1.5s". */
export function formatDuration(duration: Duration): string {
  const ms = Math.round(duration.toMilliseconds());
  return `${ms / 1000}s`;
}
