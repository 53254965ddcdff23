import { K8sObject } from './manifests';

/**
 * A test oracle of the Argo Rollouts v1.9.1 controller, reading rendered objects only (it imports nothing from src/).
 * It applies the controller's rules that decide whether a canary is judged, promoted, paused or aborted:
 *
 * - initial deploy: a Rollout without a stable ReplicaSet promotes its first template at once, no steps, no analysis
 *   (`rollout/sync.go`, shouldFullPromote);
 * - a change of the pod template or of the steps resets the step index to 0, unless the new template is the stable
 *   one, which skips to the end (`rollout/canary.go`, PodTemplateOrStepsChanged);
 * - background analysis from `startingStep`, a measurement every `interval`; a metric is Failed when failures exceed
 *   `failureLimit`, Inconclusive when inconclusive measurements exceed `inconclusiveLimit`, Error when consecutive
 *   errors exceed `consecutiveErrorLimit` (default 4); Failed or Error aborts, Inconclusive pauses
 *   (`analysis/analysis.go`, `rollout/analysis.go`);
 * - a measurement is Successful when the success condition holds, Failed when the failure condition holds, else
 *   Inconclusive (`utils/evaluate`); Prometheus' empty vector is `result = []` (`metricproviders/prometheus`);
 * - `rate(x[w])` needs two samples in its window, so it is empty when the window holds fewer than two scrapes;
 * - pods that never become ready time out after `progressDeadlineSeconds` (default 600), and only
 *   `progressDeadlineAbort` turns that into an abort;
 * - `workloadRef.scaleDown: progressively` scales the referenced Deployment to the Rollout's replicas minus its ready
 *   pods, at its first revision (`rollout/replicaset.go`).
 */

/** What the simulated cluster serves, and how the canary behaves. */
export interface SimulatedTraffic {
  /** Requests a second to the service, all versions. */
  readonly requestsPerSecond: number;
  /** Prometheus' scrape interval, in seconds. */
  readonly scrapeIntervalSeconds: number;
  /** The canary's 5xx share. */
  readonly canaryErrorRatio: number;
  /** The canary's p99 latency in milliseconds. */
  readonly canaryP99Ms: number;
  /** Whether the canary's pods become ready. @default true */
  readonly canaryReady?: boolean;
  /** Whether the controller's queries reach Prometheus. @default true */
  readonly prometheusReachable?: boolean;
}

export type Verdict = 'promoted' | 'aborted' | 'paused' | 'stuck';

export interface CanaryOutcome {
  readonly verdict: Verdict;
  /** Seconds from the canary's start to the verdict. */
  readonly atSeconds: number;
  /** Why, in the controller's words. */
  readonly reason: string;
  /** The weight in force at the verdict. */
  readonly weight: number;
  /** Weights held by a pause during which at least one measurement judged the canary on enough requests. */
  readonly judgedWeights: number[];
  /** Every measurement: time, metric, phase. */
  readonly measurements: Array<{ at: number; metric: string; phase: string; value?: number }>;
}

const named = (objects: K8sObject[], kind: string, name: string) => objects.find(o => o.kind === kind && o.metadata.name === name);

/** `360s`, `5m`, `1h` or a number of seconds, as Argo Rollouts reads a duration. */
export function durationSeconds(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)(s|m|h)?$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2] ?? 's'];
}

/** Evaluates a success or failure condition of the form Argo Rollouts' Prometheus examples use. */
export function evaluateCondition(condition: string, result: number[]): boolean {
  return condition.split('&&').map(c => c.trim()).every(clause => {
    if (/^len\(result\) > 0$/.test(clause)) return result.length > 0;
    const m = /^result\[0\] (<=|<|>=|>|==) ([0-9.e+-]+)$/.exec(clause);
    if (!m) throw new Error(`condition clause not understood by the oracle: ${clause}`);
    // expr indexes an empty array as an error; the conditions guard it with len(result) > 0.
    if (result.length === 0) throw new Error(`condition indexes an empty result: ${condition}`);
    const [v, x] = [result[0], Number(m[2])];
    return m[1] === '<=' ? v <= x : m[1] === '<' ? v < x : m[1] === '>=' ? v >= x : m[1] === '>' ? v > x : v === x;
  });
}

/** A metric's query as the oracle reads it: its window, the request floor it judges from, and its pass-through. */
export interface ReadQuery {
  readonly windowSeconds: number;
  readonly minRequests: number;
  /** `... or on() vector(0)` outermost: too few requests answer 0 instead of nothing. */
  readonly passThrough: boolean;
}

export function readQuery(query: string): ReadQuery {
  const windows = [...query.matchAll(/\[(\d+)s\]/g)].map(m => Number(m[1]));
  if (windows.length === 0 || windows.some(w => w !== windows[0])) throw new Error(`query has no single window: ` +
    `${query}`);
  const floor = /\* \d+ >= (\d+)\)/.exec(query);
  return { windowSeconds: windows[0], minRequests: floor ? Number(floor[1]) : 0, passThrough: /\) or on\(\) vector\(0\)$/.test(query.trim()) };
}

/** The canary's steps as a timeline: each weight and how long it is held before the next step. */
export function timeline(rollout: K8sObject): Array<{ weight: number; holdSeconds: number }> {
  const result: Array<{ weight: number; holdSeconds: number }> = [];
  for (const step of rollout.spec.strategy.canary.steps as any[]) {
    if ('setWeight' in step) result.push({ weight: step.setWeight, holdSeconds: 0 });
    else if ('pause' in step) {
      if (step.pause.duration === undefined) throw new Error('an indefinite pause waits for a person');
      result[result.length - 1].holdSeconds += durationSeconds(step.pause.duration);
    } else throw new Error(`step not simulated: ${JSON.stringify(step)}`);
  }
  return result;
}

/** The Argo Rollouts controller over one rendered Rollout and its AnalysisTemplate. */
export class ArgoController {
  public readonly rollout: K8sObject;
  public readonly template: K8sObject;

  public constructor(private readonly objects: K8sObject[], name: string) {
    const rollout = named(objects, 'Rollout', name);
    if (!rollout) throw new Error(`no Rollout ${name}`);
    this.rollout = rollout;
    const templateName = rollout.spec.strategy.canary.analysis.templates[0].templateName;
    const template = named(objects, 'AnalysisTemplate', templateName);
    if (!template) throw new Error(`no AnalysisTemplate ${templateName}`);
    this.template = template;
  }

  /** The pod template the Rollout runs: its own, or that of the Deployment its workloadRef names. */
  public podTemplate(): any {
    const ref = this.rollout.spec.workloadRef;
    return ref ? named(this.objects, 'Deployment', ref.name)?.spec.template : this.rollout.spec.template;
  }

  /**
   * The step index after this render replaces `before` (the Rollout as the cluster held it, at `index`), with the
   * stable ReplicaSet's template `stable`: Argo restarts at step 0 when the template or the steps change.
   */
  public stepIndexAfterUpdate(before: ArgoController, index: number, stable: any): number {
    const steps = this.rollout.spec.strategy.canary.steps;
    const templateChanged = JSON.stringify(this.podTemplate()) !== JSON.stringify(before.podTemplate());
    const stepsChanged = JSON.stringify(steps) !== JSON.stringify(before.rollout.spec.strategy.canary.steps);
    if (!templateChanged && !stepsChanged) return index;
    return JSON.stringify(this.podTemplate()) === JSON.stringify(stable) ? steps.length : 0;
  }

  /** Runs a canary of the current template from step 0 to its verdict. */
  public run(traffic: SimulatedTraffic): CanaryOutcome {
    const plan = timeline(this.rollout);
    const metrics = this.template.spec.metrics as any[];
    const counts = new Map(metrics.map(m => [m.name, { failed: 0, inconclusive: 0, consecutiveError: 0 }]));
    const measurements: Array<{ at: number; metric: string; phase: string; value?: number }> = [];
    const judged = new Set<number>();
    const startingStep = this.rollout.spec.strategy.canary.analysis?.startingStep ?? 0;
    const deadline = this.rollout.spec.progressDeadlineSeconds ?? 600;
    const interval = durationSeconds(metrics[0]?.interval ?? '60s');
    if (metrics.some(m => durationSeconds(m.interval) !== interval)) throw new Error('metrics at different intervals are not simulated');
    // Start time of each setWeight step (the analysis starts at the step index `startingStep` of the full step list).
    const starts: number[] = [];
    plan.reduce((t, s) => { starts.push(t); return t + s.holdSeconds; }, 0);
    const end = starts[starts.length - 1] + plan[plan.length - 1].holdSeconds;
    const weightAt = (t: number) => plan[Math.max(0, starts.filter(s => s <= t).length - 1)].weight;
    // Canary requests in (from, to]: the weight is a step function of time.
    const canaryRequests = (from: number, to: number) => {
      let total = 0;
      for (let i = 0; i < plan.length; i++) {
        const a = Math.max(from, starts[i]);
        const b = Math.min(to, i + 1 < plan.length ? starts[i + 1] : Infinity);
        if (b > a) total += (b - a) * traffic.requestsPerSecond * plan[i].weight / 100;
      }
      return total;
    };
    if (traffic.canaryReady === false) {
      return this.outcome(this.rollout.spec.progressDeadlineAbort ? 'aborted' : 'stuck', deadline,
        this.rollout.spec.progressDeadlineAbort ? 'ProgressDeadlineExceeded, progressDeadlineAbort' : 'ProgressDeadlineExceeded: Degraded, the canary keeps its weight',
        weightAt(deadline), [], measurements);
    }
    // The analysis starts once the step index reaches startingStep: with setWeight/pause pairs, in the (k/2)th weight.
    const analysisStart = starts[Math.min(plan.length - 1, Math.floor(startingStep / 2))] ?? 0;
    for (let t = analysisStart; t < end; t += interval) {
      for (const metric of metrics) {
        const c = counts.get(metric.name)!;
        let phase: string;
        let value: number | undefined;
        if (traffic.prometheusReachable === false) {
          phase = 'Error';
          c.consecutiveError++;
        } else {
          const q = readQuery(metric.provider.prometheus.query);
          const samples = Math.floor(q.windowSeconds / traffic.scrapeIntervalSeconds);
          const served = canaryRequests(Math.max(0, t - q.windowSeconds), t);
          const enough = samples >= 2 && served >= q.minRequests && served > 0;
          let result: number[];
          if (enough) {
            result = [metric.name.includes('error') ? traffic.canaryErrorRatio : traffic.canaryP99Ms];
            if (served >= q.minRequests && q.minRequests > 0) judged.add(weightAt(t));
          } else result = q.passThrough ? [0] : [];
          value = result[0];
          const ok = evaluateCondition(metric.successCondition, result);
          const bad = evaluateCondition(metric.failureCondition, result);
          phase = bad ? 'Failed' : ok ? 'Successful' : 'Inconclusive';
          c.consecutiveError = 0;
          if (phase === 'Failed') c.failed++;
          if (phase === 'Inconclusive') c.inconclusive++;
        }
        measurements.push({ at: t, metric: metric.name, phase, value });
        if (c.failed > (metric.failureLimit ?? 0)) {
          return this.outcome('aborted', t, `${metric.name}: failed (${c.failed}) > ` +
            `failureLimit`, weightAt(t), [...judged], measurements);
        }
        if (c.consecutiveError > (metric.consecutiveErrorLimit ?? 4)) {
          return this.outcome('aborted', t, `${metric.name}: consecutiveErrors (${c.consecutiveError}) > ` +
            `consecutiveErrorLimit`, weightAt(t), [...judged], measurements);
        }
        if (c.inconclusive > (metric.inconclusiveLimit ?? 0)) {
          return this.outcome('paused', t, `${metric.name}: inconclusive (${c.inconclusive}) > inconclusiveLimit: ` +
            `InconclusiveAnalysis`, weightAt(t), [...judged], measurements);
        }
      }
    }
    return this.outcome('promoted', end, `completed all ${this.rollout.spec.strategy.canary.steps.length} canary ` +
      `steps`, 100, [...judged], measurements);
  }

  private outcome(verdict: Verdict, atSeconds: number, reason: string, weight: number, judgedWeights: number[], measurements: CanaryOutcome['measurements']): CanaryOutcome {
    return { verdict, atSeconds, reason, weight, judgedWeights: judgedWeights.sort((a, b) => a - b), measurements };
  }
}

/** Pods of a Deployment as the cluster runs it after a sync: its rendered count, or (omitted) the live one. */
function podsAfterSync(rendered: K8sObject | undefined, live: number): number {
  return rendered?.spec.replicas ?? live;
}

/** What the first sync of a render that creates a Rollout does to a service that ran as Deployments (`before`). */
export interface Adoption {
  /** The version label of the template the Rollout promotes at once (initial deploy: no steps, no analysis). */
  readonly promotedVersion: string;
  /** The version that carried most of the service's requests before. */
  readonly servingVersion: string;
  /** Pods serving before the sync. */
  readonly podsBefore: number;
  /** The fewest pods available while the Rollout's pods start, one by one. */
  readonly fewestPodsDuring: number;
  /** Pods once the Rollout is healthy. */
  readonly podsAfter: number;
  /** The autoscalers after the sync, as `Kind/name` of their targets. */
  readonly autoscaled: string[];
  /** The disruption budget's minAvailable over the service's pods, if a number. */
  readonly minAvailable?: number;
}

/** Applies `after` over `before` for the service `name`, by the controller's rules, with Rollout pods ready one by one. */
export function adopt(before: K8sObject[], after: K8sObject[], name: string): Adoption {
  const controller = new ArgoController(after, name);
  const rollout = controller.rollout;
  const ofService = (list: K8sObject[], kind: string) => list.filter(o => o.kind === kind && o.metadata.labels?.app === name);
  const hpaFloor = (list: K8sObject[], kind: string, target: string) =>
    list.find(o => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.kind === kind && o.spec.scaleTargetRef.name === target)?.spec.minReplicas;
  const live = new Map(ofService(before, 'Deployment').map(d => [d.metadata.name, d.spec.replicas ?? hpaFloor(before, 'Deployment', d.metadata.name) ?? 1]));
  const podsBefore = [...live.values()].reduce((s, n) => s + n, 0);
  // The version that carried most requests: the heaviest destination of the service's routes, read from its subsets.
  const vs = before.find(o => o.kind === 'VirtualService' && o.metadata.name === name);
  const dr = before.find(o => o.kind === 'DestinationRule' && o.metadata.name === name);
  const weights = new Map<string, number>();
  for (const route of vs?.spec.http ?? []) {
    for (const d of route.route ?? []) weights.set(d.destination.subset, (weights.get(d.destination.subset) ?? 0) + (d.weight ?? 100));
  }
  const heaviest = [...weights.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const servingVersion = (dr?.spec.subsets as any[] ?? []).find(s => s.name === heaviest)?.labels.version;
  const promotedVersion = controller.podTemplate().metadata.labels.version;
  // The sync: every Deployment takes its rendered count (an omitted count keeps the live one).
  const afterSync = new Map([...live.keys()].map(d => [d, podsAfterSync(named(after, 'Deployment', d), live.get(d)!)]));
  const replicas = rollout.spec.replicas ?? 1;
  const ref = rollout.spec.workloadRef;
  let fewest = Infinity;
  for (let ready = 0; ready <= replicas; ready++) {
    let pods = ready;
    for (const [deployment, count] of afterSync) {
      const progressive = ref?.name === deployment && ref.scaleDown === 'progressively' && rollout.spec.replicas !== undefined;
      pods += progressive ? Math.min(count, Math.max(0, replicas - ready)) : count;
    }
    fewest = Math.min(fewest, pods);
  }
  const autoscaled = after.filter(o => o.kind === 'HorizontalPodAutoscaler')
    .filter(o => o.spec.scaleTargetRef.name === name || ofService(after, 'Deployment').some(d => d.metadata.name === o.spec.scaleTargetRef.name))
    .map(o => `${o.spec.scaleTargetRef.kind}/${o.spec.scaleTargetRef.name}`);
  const budget = after.find(o => o.kind === 'PodDisruptionBudget' && o.spec.selector.matchLabels?.app === name);
  // Once healthy, the controller scales the referenced Deployment to 0 (progressively, or onsuccess).
  const podsAfter = replicas + [...afterSync.entries()].reduce((s, [d, n]) => s + (ref?.name === d && ref.scaleDown && ref.scaleDown !== 'never' ? 0 : n), 0);
  return {
    promotedVersion, servingVersion, podsBefore, fewestPodsDuring: fewest, podsAfter, autoscaled,
    minAvailable: typeof budget?.spec.minAvailable === 'number' ? budget.spec.minAvailable : undefined,
  };
}
