import { Duration } from 'cdk8s';
import { PropsCheck } from './props-check';
import type { TrafficRouting } from './routing';

/**
 * How a canary is judged at each step by a progressive-delivery controller: from the service's golden signals
 * (5xx share and p99 latency of the canary's own requests), measured every `interval` once the canary has served
 * `minRequests` requests in that interval.
 */
export interface CanaryAnalysisOptions {
  /**
   * The share of the canary's requests answered with a 5xx status above which a measurement fails, from 0 to 1 (exclusive).
   * @default 0.01 - 1%
   */
  readonly maxServerErrorRatio?: number;
  /**
   * The p99 latency of the canary's requests above which a measurement fails.
   * @default Duration.seconds(1) - the mesh's default p99 alert threshold
   */
  readonly maxLatencyP99?: Duration;
  /**
   * Requests the canary must serve in one interval before a measurement judges it; with fewer, the measurement is
   * inconclusive, so 1% of a quiet service's traffic is never promoted, nor rolled back, on a handful of requests.
   * @default 50
   */
  readonly minRequests?: number;
  /**
   * How often the signals are measured, and the window each measurement covers.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * How long each step's weight is held (and measured) before the next step.
   * @default Duration.minutes(5)
   */
  readonly stepPause?: Duration;
  /**
   * Failed measurements tolerated before the controller aborts to 100% stable. 0: the first failed measurement aborts.
   * @default 0
   */
  readonly failureLimit?: number;
  /**
   * Inconclusive measurements (too few requests) tolerated before the controller pauses the rollout for a person
   * to promote or abort.
   * @default 5
   */
  readonly inconclusiveLimit?: number;
  /**
   * The Prometheus that holds the mesh's metrics, as the controller reaches it.
   * @default - `http://prometheus.<golden-signal namespace>.svc.<cluster domain>:9090` (`observability` unless the
   * MeshTelemetry names another)
   */
  readonly prometheusAddress?: string;
}

/** The analysis with every default applied. */
export interface ResolvedCanaryAnalysis {
  readonly maxServerErrorRatio: number;
  readonly maxLatencyP99: Duration;
  readonly minRequests: number;
  readonly interval: Duration;
  readonly stepPause: Duration;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly prometheusAddress?: string;
}

/** The progressive-delivery controllers soma-mesh renders for. */
export enum DeliveryController {
  /** Argo Rollouts: a `Rollout` and an `AnalysisTemplate` per service. */
  ARGO_ROLLOUTS = 'argo-rollouts',
}

/**
 * How a service's new versions reach their traffic: by the release file (a person moves each step with
 * `npm run release`, and the render carries the weights), or by a progressive-delivery controller that steps the
 * weights at run time and promotes or aborts from the golden signals.
 */
export class Delivery {
  /** The release file's weights are rendered as they are; a person moves each step. No controller needed. */
  public static releaseFile(): Delivery {
    return new Delivery(undefined, undefined);
  }

  /**
   * Argo Rollouts steps the canary through the release's steps, pausing `stepPause` at each, and aborts to 100% stable
   * when a measurement of the canary's 5xx share or p99 latency crosses its threshold.
   */
  public static argoRollouts(analysis: CanaryAnalysisOptions = {}): Delivery {
    const at = new PropsCheck('Delivery.argoRollouts');
    const given = at.object('analysis', analysis, '{ maxServerErrorRatio: 0.01 }', true);
    at.knownKeys('analysis', given, 'CanaryAnalysisOptions');
    at.declaredTypes('analysis', analysis, 'CanaryAnalysisOptions');
    return new Delivery(DeliveryController.ARGO_ROLLOUTS, {
      maxServerErrorRatio: analysis.maxServerErrorRatio ?? 0.01,
      maxLatencyP99: analysis.maxLatencyP99 ?? Duration.seconds(1),
      minRequests: analysis.minRequests ?? 50,
      interval: analysis.interval ?? Duration.minutes(1),
      stepPause: analysis.stepPause ?? Duration.minutes(5),
      failureLimit: analysis.failureLimit ?? 0,
      inconclusiveLimit: analysis.inconclusiveLimit ?? 5,
      prometheusAddress: analysis.prometheusAddress,
    });
  }

  private constructor(
    /** The controller that delivers the service; undefined: the release file. */
    public readonly controller: DeliveryController | undefined,
    /** How the controller judges the canary; undefined for the release file. */
    public readonly analysis: ResolvedCanaryAnalysis | undefined,
  ) {}

  /** For messages: `the release file`, `Argo Rollouts`. */
  public get description(): string {
    return this.controller === DeliveryController.ARGO_ROLLOUTS ? 'Argo Rollouts' : 'the release file';
  }

  /** What is wrong with the analysis settings, each with its fix. */
  public check(): string[] {
    const a = this.analysis;
    if (!a) return [];
    const errors: string[] = [];
    if (!(typeof a.maxServerErrorRatio === 'number' && a.maxServerErrorRatio > 0 && a.maxServerErrorRatio < 1)) {
      errors.push(`maxServerErrorRatio ${a.maxServerErrorRatio} is not a share: use a number above 0 and below 1, such as 0.01 for 1%`);
    }
    if (a.maxLatencyP99.toMilliseconds() <= 0) errors.push('maxLatencyP99 is 0: give the p99 latency the canary must stay under, such as Duration.millis(500)');
    if (!Number.isInteger(a.minRequests) || a.minRequests < 1) errors.push(`minRequests ${a.minRequests} is not a count: use an integer of 1 or more`);
    const ms = a.interval.toMilliseconds();
    if (ms < 10_000 || ms % 1000 !== 0) errors.push(`interval ${ms / 1000}s is not a whole number of seconds from 10 up (Prometheus scrapes every 15s or so): use Duration.minutes(1) or similar`);
    if (a.stepPause.toMilliseconds() % 1000 !== 0 || a.stepPause.toMilliseconds() < 0) errors.push('stepPause is not a whole number of seconds: use Duration.minutes(5) or similar');
    for (const [name, value] of [['failureLimit', a.failureLimit], ['inconclusiveLimit', a.inconclusiveLimit]] as const) {
      if (!Number.isInteger(value) || value < 0) errors.push(`${name} ${value} is not a count: use an integer of 0 or more`);
    }
    if (a.prometheusAddress !== undefined && !/^https?:\/\/[^\s/]+/.test(a.prometheusAddress)) {
      errors.push(`prometheusAddress "${a.prometheusAddress}" is not an http(s) URL: write it as http://prometheus.observability.svc.cluster.local:9090`);
    }
    return errors;
  }
}

/**
 * What a controller-delivered routing may declare: a controller splits between a stable and a canary version only,
 * so splits over more versions, A/B rules and mirroring are the release file's.
 */
export function checkControllerRouting(routing: TrafficRouting, delivery: Delivery): string[] {
  if (!delivery.controller) return [];
  const errors: string[] = [];
  const by = delivery.description;
  if (routing.weights) errors.push(`a weighted split over versions is declared, but ${by} moves traffic between a stable and a canary version only: declare a canary, or deliver this service by the release file`);
  if ((routing.match ?? []).length > 0) errors.push(`A/B rules are declared, but with ${by} the canary's share is the controller's: remove match, or deliver this service by the release file`);
  if (routing.mirror) errors.push(`mirroring is declared, but with ${by} the canary's share is the controller's: remove mirror, or deliver this service by the release file`);
  return errors;
}

/**
 * The version a controller's pod template is: the canary's while it receives traffic, the stable version's otherwise
 * (no canary, or one rolled back to 0%). Pointing the template back at the stable version mid-canary is what Argo
 * Rollouts treats as a rollback: it returns 100% to stable at once, skipping the steps and the analysis.
 */
export function deliveredVersion(routing: TrafficRouting, firstVersion: string): string {
  const canary = routing.canary;
  return canary && canary.weight > 0 ? canary.version : routing.stable ?? firstVersion;
}
