import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { PropsCheck } from './props-check';
import { fail } from './validation';

/** Options shared by every health check. */
export interface HealthCheckOptions {
  /**
   * How long to wait after the container starts before the first check.
   * @default Duration.seconds(5)
   */
  readonly initialDelay?: Duration;
  /**
   * How often to check.
   * @default Duration.seconds(10)
   */
  readonly period?: Duration;
  /**
   * How long one check may take before it counts as failed.
   * @default Duration.seconds(2)
   */
  readonly timeout?: Duration;
  /**
   * Failed checks in a row before the kubelet acts.
   * @default 3
   */
  readonly failureThreshold?: number;
}

/** Options of a check on a port of the container. */
export interface PortHealthCheckOptions extends HealthCheckOptions {
  /**
   * The container port to check.
   * @default - the container port of the workload's first port
   */
  readonly port?: number;
}

/** Options of a gRPC health check. */
export interface GrpcHealthCheckOptions extends HealthCheckOptions {
  /**
   * The service name the check asks about (`HealthCheckRequest.service` of the gRPC health protocol).
   * @default - the server's overall health
   */
  readonly service?: string;
}

/**
 * A liveness or readiness check. Meshes that enforce mutual TLS rewrite HTTP and TCP checks through their
 * proxy's agent, so they work without any authorization rule for the kubelet.
 */
export class HealthCheck {
  /** GET `path` on a port of the container. */
  public static http(path: string, options: PortHealthCheckOptions = {}): HealthCheck {
    const at = checkOptions('HealthCheck.http', options, true);
    at.string('path', path, '"/healthz"');
    if (!path.startsWith('/')) at.fail('path', `"${path}" does not start with "/"`, `write "/${path}"`);
    return new HealthCheck(options, port => ({ httpGet: { path, port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), options.port === undefined);
  }

  /** Open a TCP connection to a port of the container. */
  public static tcp(options: PortHealthCheckOptions = {}): HealthCheck {
    checkOptions('HealthCheck.tcp', options, true);
    return new HealthCheck(options, port => ({ tcpSocket: { port: k8s.IntOrString.fromNumber(options.port ?? port!) } }), options.port === undefined);
  }

  /**
   * Call the gRPC health protocol (`grpc.health.v1.Health/Check`) on a port of the container: Kubernetes' native
   * `grpc` probe. The kubelet sends it as plain HTTP/2; each mesh admits it (under Linkerd, by a route for that method
   * from the probe networks).
   */
  public static grpc(port: number, options: GrpcHealthCheckOptions = {}): HealthCheck {
    const at = checkOptions('HealthCheck.grpc', options, false, 'GrpcHealthCheckOptions');
    at.integer('port', port, 1, 65535, false);
    at.string('options.service', (options as GrpcHealthCheckOptions).service, '"shop.CartService"', true, true);
    const service = options.service;
    return new HealthCheck(options, () => ({ grpc: { port, ...(service ? { service } : {}) } }), false);
  }

  /** Run a command in the container; for workloads that serve no port. */
  public static command(command: string[], options: HealthCheckOptions = {}): HealthCheck {
    const at = checkOptions('HealthCheck.command', options, false);
    at.array('command', command, '["cat", "/tmp/healthy"]', (c, item) => at.string(item, c, '"cat"'), false);
    if (command.length === 0) at.fail('command', 'is empty', 'write the command and its arguments, such as ["cat", "/tmp/healthy"]');
    return new HealthCheck(options, () => ({ exec: { command: [...command] } }), false);
  }

  private constructor(
    private readonly options: HealthCheckOptions,
    private readonly handler: (port: number | undefined) => Partial<k8s.Probe>,
    /** Whether the check needs the workload's first port because none was given. */
    public readonly needsPort: boolean,
  ) {}

  /**
   * The probe, checking on `defaultPort` when the check names no port.
   * @internal
   */
  public _toKube(defaultPort: number | undefined, where: string): k8s.Probe {
    const { initialDelay, period, timeout, failureThreshold } = this.options;
    return {
      ...this.handler(defaultPort),
      initialDelaySeconds: seconds(where, 'initialDelay', initialDelay, 5, 0),
      periodSeconds: seconds(where, 'period', period, 10, 1),
      timeoutSeconds: seconds(where, 'timeout', timeout, 2, 1),
      failureThreshold: count(where, failureThreshold ?? 3),
    };
  }
}

/** Whole seconds of a probe field: the kubelet takes nothing finer. */
function seconds(where: string, field: string, value: Duration | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const ms = value.toMilliseconds();
  if (!Number.isFinite(ms) || ms % 1000 !== 0 || ms / 1000 < min) {
    fail(where, `health check ${field} of ${ms} ms is not a whole number of seconds${min > 0 ? ` of at least ${min}` : ''}: probes count in seconds, for example Duration.seconds(${Math.max(min, Math.round(ms / 1000))})`);
  }
  return ms / 1000;
}

function count(where: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) fail(where, `health check failureThreshold ${value} is not a count: use 1 or more`);
  return value;
}

/** Each option's type, before anything is made (durations are cdk8s Durations, counts integers). */
function checkOptions(where: string, options: unknown, withPort: boolean,
  shape = withPort ? 'PortHealthCheckOptions' : 'HealthCheckOptions'): PropsCheck {
  const at: PropsCheck = new PropsCheck(where);
  const o = at.object<PortHealthCheckOptions>('options', options as PortHealthCheckOptions, '{ period: Duration.seconds(10) }', true);
  at.knownKeys('options', o, shape);
  at.duration('options.initialDelay', o.initialDelay);
  at.duration('options.period', o.period);
  at.duration('options.timeout', o.timeout);
  at.integer('options.failureThreshold', o.failureThreshold, 1, 100);
  if (withPort) at.integer('options.port', o.port, 1, 65535);
  at.declaredTypes('options', o, shape);
  return at;
}
