import { k8s } from 'cdk8s-plus-28';
import { PropsCheck } from './props-check';

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
    const at = checkOptions('HealthCheck.http', options, true);
    at.string('path', path, '"/healthz"');
    if (!path.startsWith('/')) at.fail('path', `"${path}" does not start with "/"`, `write "/${path}"`);
    return new HealthCheck(options, port => ({ httpGet: { path, port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), !options.port);
  }

  /** Open a TCP connection to a port of the container. */
  public static tcp(options: HealthCheckOptions & { port?: number } = {}): HealthCheck {
    checkOptions('HealthCheck.tcp', options, true);
    return new HealthCheck(options, port => ({ tcpSocket: { port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), !options.port);
  }

  /** Run a command in the container; for workloads that serve no port. */
  public static command(command: string[], options: HealthCheckOptions = {}): HealthCheck {
    const at = checkOptions('HealthCheck.command', options, false);
    at.array('command', command, '["cat", "/tmp/healthy"]', (c, item) => at.string(item, c, '"cat"'), false);
    if (command.length === 0) at.fail('command', 'is empty', 'write the command and its arguments, such as ["cat", "/tmp/healthy"]');
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

/** Whole seconds and counts, as the kubelet takes them. */
function checkOptions(where: string, options: unknown, withPort: boolean): PropsCheck {
  const at: PropsCheck = new PropsCheck(where);
  const o = at.object<HealthCheckOptions & { port?: number }>('options', options as HealthCheckOptions, '{ periodSeconds: 10 }', true);
  at.integer('options.initialDelaySeconds', o.initialDelaySeconds, 0, 3600);
  at.integer('options.periodSeconds', o.periodSeconds, 1, 3600);
  at.integer('options.timeoutSeconds', o.timeoutSeconds, 1, 3600);
  at.integer('options.failureThreshold', o.failureThreshold, 1, 100);
  if (withPort) at.integer('options.port', o.port, 1, 65535);
  return at;
}
