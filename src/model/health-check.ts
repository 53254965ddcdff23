import { k8s } from 'cdk8s-plus-28';

/** Options shared by every health check. */
export interface HealthCheckOptions {
  /**
   * Seconds to wait after the container starts before the first check.
   * @default 5
   */
  readonly initialDelaySeconds?: number;
  /**
   * Seconds between checks.
   * @default 10
   */
  readonly periodSeconds?: number;
  /**
   * Seconds after which one check counts as failed.
   * @default 2
   */
  readonly timeoutSeconds?: number;
  /**
   * Failed checks in a row before the kubelet acts.
   * @default 3
   */
  readonly failureThreshold?: number;
}

/**
 * A liveness or readiness check. Istio rewrites HTTP and TCP checks through its agent (port 15020),
 * so they work under STRICT mTLS without any authorization rule for the kubelet.
 */
export class HealthCheck {
  /** GET `path` on a port of the container. */
  public static http(path: string, options: HealthCheckOptions & { port?: number } = {}): HealthCheck {
    return new HealthCheck(options, port => ({ httpGet: { path, port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), !options.port);
  }

  /** Open a TCP connection to a port of the container. */
  public static tcp(options: HealthCheckOptions & { port?: number } = {}): HealthCheck {
    return new HealthCheck(options, port => ({ tcpSocket: { port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), !options.port);
  }

  /** Run a command in the container; for workloads that serve no port. */
  public static command(command: string[], options: HealthCheckOptions = {}): HealthCheck {
    return new HealthCheck(options, () => ({ exec: { command } }), false);
  }

  private constructor(
    private readonly options: HealthCheckOptions,
    private readonly handler: (port: number | undefined) => Partial<k8s.Probe>,
    /** Whether the check needs the workload's first port because none was given. */
    public readonly needsPort: boolean,
  ) {}

  /** @internal */
  public _toKube(defaultPort: number | undefined): k8s.Probe {
    return {
      ...this.handler(defaultPort),
      initialDelaySeconds: this.options.initialDelaySeconds ?? 5,
      periodSeconds: this.options.periodSeconds ?? 10,
      timeoutSeconds: this.options.timeoutSeconds ?? 2,
      failureThreshold: this.options.failureThreshold ?? 3,
    };
  }
}
