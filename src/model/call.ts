import type { Duration } from 'cdk8s';
import { Protocol } from './protocol';
import type { FaultInjection, RetryOptions } from './resilience';
import type { IMeshWorkload } from './workload';

/** What a caller may do on a callee, as declared with `allowFrom`. */
export interface CallOptions {
  /**
   * The callee's port (its container port, which is also its Service port).
   * @default - the callee's only port; an error when it serves several
   */
  readonly port?: number;
  /**
   * HTTP methods the caller may use, upper case. Only on HTTP and gRPC ports.
   * @default - any method
   */
  readonly methods?: string[];
  /**
   * Paths the caller may request: exact, `*` prefix/suffix, or Istio templates with `{*}` and `{**}`.
   * Only on HTTP and gRPC ports.
   * @default - any path
   */
  readonly paths?: string[];
  /**
   * Whether repeating a request of this call is harmless. Decides whether retries are allowed on it.
   * @default - true when every method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE, TRACE); false for POST, PATCH or any method
   */
  readonly idempotent?: boolean;
  /**
   * How long this caller waits for a request of this call, retries included. Only on a deployed service's HTTP port.
   * @default - the callee's timeout
   */
  readonly timeout?: Duration;
  /**
   * Retries of this call's requests; attempts above 0 need an idempotent call.
   * @default - the callee's retries when the call is idempotent, none otherwise
   */
  readonly retries?: RetryOptions;
  /**
   * Faults injected into this caller's requests only, for a resilience drill. Only on a deployed service's HTTP port.
   * @default - the callee's fault, which is none unless declared
   */
  readonly fault?: FaultInjection;
}

/** One edge of the call graph: `caller` may reach `callee` on `port`, with these methods and paths. */
export interface Call {
  readonly caller: IMeshWorkload;
  readonly callee: IMeshWorkload;
  readonly port: number;
  readonly protocol: Protocol;
  /** Empty means any method. */
  readonly methods: readonly string[];
  /** Empty means any path. */
  readonly paths: readonly string[];
  /** This call's own request timeout, when it has one. */
  readonly timeout?: Duration;
  /** This call's own retries, when it has them. */
  readonly retries?: RetryOptions;
  /** Faults injected into this call's requests, when a drill declares them. */
  readonly fault?: FaultInjection;
}
