import { Duration } from 'cdk8s';
import { DEFAULT_CANARY_STEPS, TrafficRouting } from './routing';
import { PropsCheck } from './props-check';

/**
 * How a canary is judged at each step by a progressive-delivery controller: from the service's golden signals
 * (5xx share and p99 latency of the canary's own requests), measured every `interval` once the canary has served
 * `minRequests` requests in that interval.
 */
export interface CanaryAnalysisOptions {
  /**
   * The share of the canary's requests answered with a 5xx status above which a measurement fails, from 0 to 1
   * (exclusive). Never looser than the service's error alert (`GoldenSignalOptions.errorRateThreshold`): synth refuses
   * a canary that could pass while its service alerts.
   * @default - 1%, or the error alert's threshold when that is lower
   */
  readonly maxServerErrorRatio?: number;
  /**
   * The p99 latency of the canary's requests above which a measurement fails. Never looser than the service's p99
   * alert (`GoldenSignalOptions.latencyP99Ms`): synth refuses a promoted canary that could page.
   * @default - the p99 alert's threshold (1 s unless the MeshTelemetry sets another)
   */
  readonly maxLatencyP99?: Duration;
  /**
   * Requests the canary must serve in a measurement's window before it is judged. A measurement over fewer passes
   * through as a success, consuming no limit (the window is sized so that, at `minRequestsPerMinute`, every step
   * holds judged measurements), so 1% of a quiet service is neither rolled back nor paused on a handful of requests.
   * @default 50
   */
  readonly minRequests?: number;
  /**
   * The fewest requests a minute the service serves (every version, every caller) while a canary runs: the traffic
   * the analysis is sized for. The measurement window is long enough for the canary's first step to serve
   * `minRequests` at this rate, and every step's pause holds at least one full window.
   * @default 600 - 10 requests a second
   */
  readonly minRequestsPerMinute?: number;
  /**
   * How often Prometheus scrapes the mesh's metrics. A measurement's window is at least 4 scrapes, so that `rate()`
   * has samples to work with.
   * @default Duration.minutes(1) - Prometheus' default `scrape_interval`
   */
  readonly scrapeInterval?: Duration;
  /**
   * How often the signals are measured.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * How long each step's weight is held (and measured) before the next step, at least; lengthened to the
   * measurement window plus a scrape and an interval when that is longer, so that each step is judged.
   * @default Duration.minutes(5)
   */
  readonly stepPause?: Duration;
  /**
   * The canary's weights, in percent, ascending and ending at 100. The controller's, not the release file's: a
   * change of steps sends a running Rollout back to its first step, so a release command never changes them.
   * @default [1, 5, 10, 25, 50, 100]
   */
  readonly steps?: number[];
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

/** The analysis with every default applied (the thresholds default to the alerts', known at synth). */
export interface ResolvedCanaryAnalysis {
  readonly maxServerErrorRatio?: number;
  readonly maxLatencyP99?: Duration;
  readonly minRequests: number;
  readonly minRequestsPerMinute: number;
  readonly scrapeInterval: Duration;
  readonly interval: Duration;
  readonly stepPause: Duration;
  readonly steps: number[];
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly prometheusAddress?: string;
}

/** How a canary is measured, in whole seconds, as rendered: from the analysis and the traffic it is sized for. */
export interface CanaryJudgement {
  /** The window each measurement covers (`rate(...[window])`). */
  readonly windowSeconds: number;
  /** How long each step is held. */
  readonly pauseSeconds: number;
  /** How often a measurement is taken. */
  readonly intervalSeconds: number;
  /** Requests the canary's first step serves in one window at the declared traffic. */
  readonly firstStepRequests: number;
}

/** Shortest window, in scrapes: `rate()` over fewer is empty or a single difference. */
const MIN_SCRAPES_PER_WINDOW = 4;

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
      maxServerErrorRatio: analysis.maxServerErrorRatio,
      maxLatencyP99: analysis.maxLatencyP99,
      minRequests: analysis.minRequests ?? 50,
      minRequestsPerMinute: analysis.minRequestsPerMinute ?? 600,
      scrapeInterval: analysis.scrapeInterval ?? Duration.minutes(1),
      interval: analysis.interval ?? Duration.minutes(1),
      stepPause: analysis.stepPause ?? Duration.minutes(5),
      steps: analysis.steps ? [...analysis.steps] : [...DEFAULT_CANARY_STEPS],
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

  /**
   * How the canary is measured at the declared traffic: the window holds `minRequests` of the first step's requests
   * and at least 4 scrapes; each step's pause holds a full window, a scrape and an interval, so that it is judged.
   */
  public judgement(): CanaryJudgement | undefined {
    const a = this.analysis;
    if (!a) return undefined;
    const scrape = a.scrapeInterval.toSeconds();
    const interval = a.interval.toSeconds();
    const firstStep = a.steps[0];
    // Seconds for the first step to serve minRequests; rounded up to whole scrapes, like the samples rate() reads.
    const needed = (a.minRequests * 60 * 100) / (a.minRequestsPerMinute * firstStep);
    const windowSeconds = Math.max(MIN_SCRAPES_PER_WINDOW, Math.ceil(needed / scrape)) * scrape;
    const pauseSeconds = Math.max(a.stepPause.toSeconds(), windowSeconds + scrape + interval);
    const firstStepRequests = Math.floor((a.minRequestsPerMinute / 60) * (firstStep / 100) * windowSeconds);
    return { windowSeconds, pauseSeconds, intervalSeconds: interval, firstStepRequests };
  }

  /** What is wrong with the analysis settings, each with its fix. */
  public check(): string[] {
    const a = this.analysis;
    if (!a) return [];
    const errors: string[] = [];
    const ratio = a.maxServerErrorRatio;
    if (ratio !== undefined && !(typeof ratio === 'number' && ratio > 0 && ratio < 1)) {
      errors.push(`maxServerErrorRatio ${a.maxServerErrorRatio} is not a share: use a number above 0 and below 1, ` +
        `such as 0.01 for 1%`);
    }
    if (a.maxLatencyP99 !== undefined && a.maxLatencyP99.toMilliseconds() <= 0) {
      errors.push('maxLatencyP99 is 0: give the p99 latency the canary must stay under, such as Duration.millis(500)');
    }
    if (!Number.isInteger(a.minRequests) || a.minRequests < 1) errors.push(`minRequests ${a.minRequests} is not a ` +
      `count: use an integer of 1 or more`);
    const rate = a.minRequestsPerMinute;
    if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
      errors.push(`minRequestsPerMinute ${a.minRequestsPerMinute} is not a rate: give the fewest requests a minute ` +
        `the service serves while a canary runs, such as 600`);
    }
    const scrapeMs = a.scrapeInterval.toMilliseconds();
    if (scrapeMs < 1000 || scrapeMs % 1000 !== 0) errors.push(`scrapeInterval ${scrapeMs / 1000}s is not a whole ` +
      `number of seconds: use Prometheus' scrape_interval, such as Duration.seconds(30)`);
    const steps = a.steps;
    const ascending = Array.isArray(steps) && steps.length > 0
      && steps.every((w, i) => Number.isInteger(w) && w >= 1 && w <= 100 && (i === 0 || w > steps[i - 1]));
    if (!ascending || steps[steps.length - 1] !== 100) errors.push(`steps ${JSON.stringify(steps)} are not ` +
      `ascending percentages ending at 100: write them like [1, 5, 25, 50, 100]`);
    const ms = a.interval.toMilliseconds();
    if (ms < 10_000 || ms % 1000 !== 0) errors.push(`interval ${ms / 1000}s is not a whole number of seconds from ` +
      `10 up (Prometheus scrapes every 15s or so): use Duration.minutes(1) or similar`);
    if (a.stepPause.toMilliseconds() % 1000 !== 0 || a.stepPause.toMilliseconds() < 0) errors.push('stepPause is not a whole number of seconds: use Duration.minutes(5) or similar');
    for (const [name, value] of [['failureLimit', a.failureLimit], ['inconclusiveLimit', a.inconclusiveLimit]] as const) {
      if (!Number.isInteger(value) || value < 0) errors.push(`${name} ${value} is not a count: use an integer of 0 ` +
        `or more`);
    }
    if (a.prometheusAddress !== undefined && !/^https?:\/\/[^\s/]+/.test(a.prometheusAddress)) {
      errors.push(`prometheusAddress "${a.prometheusAddress}" is not an http(s) URL: write it as ` +
        `http://prometheus.observability.svc.cluster.local:9090`);
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
  if (routing.weights) errors.push(`a weighted split over versions is declared, but ${by} moves traffic between a ` +
    `stable and a canary version only: declare a canary, or deliver this service by the release file`);
  if ((routing.match ?? []).length > 0) errors.push(`A/B rules are declared, but with ${by} the canary's share is ` +
    `the controller's: remove match, or deliver this service by the release file`);
  if (routing.mirror) errors.push(`mirroring is declared, but with ${by} the canary's share is the controller's: ` +
    `remove mirror, or deliver this service by the release file`);
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
