import type { Duration } from 'cdk8s';
import { Protocol } from './protocol';
import type { FaultInjection, RetryOptions } from './resilience';
import type { IMeshWorkload } from './workload';

/** The environment variable through which a caller finds its callee, with the form of the URL. */
export interface DiscoveryEnv {
  /** The variable's name, such as `ORDERS_URL`. */
  readonly name: string;
  /**
   * The URL scheme, without `://`; `''` gives `host:port`.
   * @default - `http` on HTTP and HTTP/2 ports; none (`host:port`) on gRPC and TCP ports
   */
  readonly scheme?: string;
  /**
   * What follows the port, starting with `/` (a database number, a base path).
   * @default - nothing
   */
  readonly path?: string;
}

/** What a caller may do on a callee, as declared with `allowFrom`. */
export interface CallOptions {
  /**
   * The callee's Service port (the number the caller dials).
   * @default - the callee's only port; an error when it serves several
   */
  readonly port?: number;
  /**
   * HTTP methods the caller may use, upper case. Only on HTTP and gRPC ports. On a gRPC port, the gRPC methods:
   * `package.Service/Method`, or `package.Service/*` for all of a service's (gRPC always sends POST).
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
  /**
   * The environment variable of the caller's container that holds the callee's in-mesh URL, so that the
   * application's configuration and its authorization come from the same declaration. A name gives
   * `http://<callee FQDN>:<port>` on HTTP ports and `<callee FQDN>:<port>` on gRPC and TCP ports.
   * Only for a caller deployed by this library.
   * @default - none: the caller finds the callee by its own configuration
   */
  readonly env?: string | DiscoveryEnv;
}

/** The caller's environment variable that holds its callee's in-mesh URL. */
export interface CallEnv {
  /** The variable's name, such as `ORDERS_URL`. */
  readonly name: string;
  /** The URL, such as `http://orders.shop:9000`. */
  readonly value: string;
}

/** One edge of the call graph: `caller` may reach `callee` on `port`, with these methods and paths. */
export interface Call {
  readonly caller: IMeshWorkload;
  readonly callee: IMeshWorkload;
  /** The callee's Service port. */
  readonly port: number;
  /** The callee's container port behind `port`: what pod-level rules (authorization, NetworkPolicy) name. */
  readonly targetPort: number;
  readonly protocol: Protocol;
  /** Empty means any method. A gRPC call's methods are POST, the methods it names being its paths. */
  readonly methods: string[];
  /** Empty means any path. On a gRPC port, `/package.Service/Method` or `/package.Service/*`. */
  readonly paths: string[];
  /** This call's own request timeout, when it has one. */
  readonly timeout?: Duration;
  /** This call's own retries, when it has them. */
  readonly retries?: RetryOptions;
  /** Faults injected into this call's requests, when a drill declares them. */
  readonly fault?: FaultInjection;
  /** The caller's environment variable that holds the callee's in-mesh URL, when the call names one. */
  readonly env?: CallEnv;
}
