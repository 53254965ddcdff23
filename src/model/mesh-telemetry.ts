import { Construct } from 'constructs';
import type { Mesh } from './mesh';
import { checkDnsLabel, fail } from './validation';
import { checkScopeAndName, isMesh } from './declaration-checks';

/** Grafana dashboards and Prometheus alert rules of the four golden signals, per service. */
export interface GoldenSignalOptions {
  /**
   * The namespace of Grafana's dashboard sidecar and of Prometheus.
   * @default 'observability'
   */
  readonly namespace?: string;
  /**
   * The share of 5xx responses above which a service alerts, from 0 to 1 (exclusive).
   * @default 0.05
   */
  readonly errorRateThreshold?: number;
  /**
   * The p99 latency, in milliseconds, above which a service alerts.
   * @default 1000
   */
  readonly latencyP99Ms?: number;
  /**
   * How long a condition must hold before its alert fires, as Prometheus writes durations (`10m`, `1h`).
   * @default '10m'
   */
  readonly alertFor?: string;
}

/** What the mesh's proxies report, and where. */
export interface MeshTelemetryProps {
  /**
   * The tracing backend, as the mesh's installation names it (for Istio, an `extensionProviders` entry such as an
   * `opentelemetry` provider pointing at the collector).
   * @default 'otel-tracing'
   */
  readonly tracingProvider?: string;
  /**
   * Percent of requests traced, from 0 to 100.
   * @default 1
   */
  readonly samplingPercentage?: number;
  /**
   * Whether every proxy writes an access log line per request.
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * The golden-signal dashboards and alert rules of every deployed service, from the mesh's own metrics (no
   * application code). `false` renders none.
   * @default - dashboards in `observability`, alerts above 5% errors or 1 s p99 for 10 minutes
   */
  readonly goldenSignals?: GoldenSignalOptions | false;
}

/** The resolved golden-signal settings. */
export interface ResolvedGoldenSignals {
  readonly namespace: string;
  readonly errorRateThreshold: number;
  readonly latencyP99Ms: number;
  readonly alertFor: string;
}

/**
 * The mesh's observability, mesh-neutral: metrics for every proxy, access logs, sampled tracing, and golden-signal
 * dashboards and alerts for every deployed service (also those declared after it: they are read at synth).
 * Declared once per mesh; the mesh's renderer turns it into that mesh's objects.
 */
export class MeshTelemetry extends Construct {
  public readonly tracingProvider: string;
  public readonly samplingPercentage: number;
  public readonly accessLogs: boolean;
  /** The dashboards and alerts, or undefined when turned off. */
  public readonly goldenSignals?: ResolvedGoldenSignals;

  public constructor(mesh: Mesh, id: string, props: MeshTelemetryProps = {}) {
    const at = checkScopeAndName(mesh, 'Mesh', isMesh, id, 'id', 'new MeshTelemetry(mesh, "Telemetry", { samplingPercentage: 1 })');
    const p = at.object<MeshTelemetryProps>('props', props, '{ tracingProvider: "otel-tracing", samplingPercentage: 1 }', true);
    at.knownKeys('', p, 'MeshTelemetryProps');
    at.string('tracingProvider', p.tracingProvider, '"otel-tracing"', true);
    at.number('samplingPercentage', p.samplingPercentage, 0, 100);
    if (p.goldenSignals !== undefined && p.goldenSignals !== false) {
      const g = at.object<GoldenSignalOptions>('goldenSignals', p.goldenSignals, '{ errorRateThreshold: 0.05 }, or false');
      at.string('goldenSignals.namespace', g.namespace, '"observability"', true);
      at.number('goldenSignals.errorRateThreshold', g.errorRateThreshold, 0, 1);
      at.number('goldenSignals.latencyP99Ms', g.latencyP99Ms, 0, Number.MAX_SAFE_INTEGER);
      at.string('goldenSignals.alertFor', g.alertFor, '"10m"', true);
    }
    mesh._checkOpen(`${mesh.node.path}/${id}`);
    at.declaredTypes('', p, 'MeshTelemetryProps');
    super(mesh, id);
    const where = this.node.path;
    if (mesh.node.children.some(c => c !== this && c instanceof MeshTelemetry)) {
      fail(where, 'the mesh already has a MeshTelemetry: declare it once');
    }
    this.samplingPercentage = props.samplingPercentage ?? 1;
    if (!(typeof this.samplingPercentage === 'number' && this.samplingPercentage >= 0 && this.samplingPercentage <= 100)) {
      fail(where, `samplingPercentage ${this.samplingPercentage} is not a percentage: use a number from 0 to 100`);
    }
    this.tracingProvider = props.tracingProvider ?? 'otel-tracing';
    const nameError = checkDnsLabel('tracing provider', this.tracingProvider);
    if (nameError) fail(where, nameError);
    this.accessLogs = props.accessLogs ?? true;
    if (props.goldenSignals !== false) this.goldenSignals = resolveGoldenSignals(where, props.goldenSignals ?? {});
    mesh._registerTelemetry(this);
  }
}

function resolveGoldenSignals(where: string, options: GoldenSignalOptions): ResolvedGoldenSignals {
  const resolved = {
    namespace: options.namespace ?? 'observability',
    errorRateThreshold: options.errorRateThreshold ?? 0.05,
    latencyP99Ms: options.latencyP99Ms ?? 1000,
    alertFor: options.alertFor ?? '10m',
  };
  const namespaceError = checkDnsLabel('goldenSignals.namespace', resolved.namespace);
  if (namespaceError) fail(where, namespaceError);
  if (!(resolved.errorRateThreshold > 0 && resolved.errorRateThreshold < 1)) {
    fail(where, `errorRateThreshold ${resolved.errorRateThreshold} is not a share: use a number between 0 and 1, such as 0.05`);
  }
  if (!(resolved.latencyP99Ms > 0)) fail(where, `latencyP99Ms ${resolved.latencyP99Ms} is not a duration: use a positive number of milliseconds`);
  if (!/^[1-9][0-9]*(ms|s|m|h|d)$/.test(resolved.alertFor)) fail(where, `alertFor "${resolved.alertFor}" is not a Prometheus duration: write it like "10m" or "1h"`);
  return resolved;
}
