import { Delivery, Release, ServiceRelease } from '../src';
import { SomaDelivery, somaDeliveryOf } from './delivery';
import { SOMA_NAMESPACE } from './services';

/**
 * What the release commands say and refuse when a controller delivers a service: the release file still records the
 * release (versions, stable, canary), and the render turns it into the Rollout's fields; the weights are the controller's.
 */
export class ReleaseDelivery {
  public readonly delivery: Delivery;

  public constructor(private readonly service: string, choice: SomaDelivery) {
    this.delivery = somaDeliveryOf(service, choice);
  }

  /** The status line saying who moves the weights. */
  public describe(release: ServiceRelease): string {
    if (!this.delivery.controller) return 'delivered by: the release file (the weights above are rendered as they are; move them with canary, next, promote, rollback)';
    const analysis = this.delivery.analysis!;
    const judgement = this.delivery.judgement()!;
    const errors = analysis.maxServerErrorRatio === undefined
      ? 'its error alert\'s threshold' : `${analysis.maxServerErrorRatio * 100}%`;
    const p99 = analysis.maxLatencyP99 === undefined
      ? 'its p99 alert\'s threshold' : `${analysis.maxLatencyP99.toMilliseconds()} ms`;
    return `delivered by: Argo Rollouts (Rollout ${this.rollout}, template ${this.template(release)}; the ` +
      `controller steps the weights ` +
      `${analysis.steps.join('/')}, holding each ${judgement.pauseSeconds}s, and aborts when the canary's 5xx share ` +
        `passes ${errors} or its p99 passes ${p99}, ` +
      `measured every ${judgement.intervalSeconds}s over ${judgement.windowSeconds}s once the canary served ` +
        `${analysis.minRequests} requests ` +
      `(sized for ${analysis.minRequestsPerMinute} requests a minute); the weights above are the release file's, ` +
        `the live ones are: ` +
      `kubectl argo rollouts get rollout ${this.service} -n ${SOMA_NAMESPACE})${this.unjudged(release)}`;
  }

  /** Said while the release has a canary in flight that the controller did not start: the render refuses it. */
  private unjudged(release: ServiceRelease): string {
    const canary = release.canary;
    if (!canary || canary.weight === 0 || canary.controller === this.delivery.controller) return '';
    return `\nnot yet rendered with the controller: the canary ${canary.version} was not started under it, and a ` +
      `new Rollout ` +
      `would promote it unjudged. Switch with: npm run release -- ${this.service} rollback; apply the render; ` +
      `then npm run release -- ${this.service} start ${canary.version} --delivery argo-rollouts --out DIR`;
  }

  /** Refuses, before anything changes, a command whose job is the controller's. */
  public refuse(command: string): void {
    if (!this.delivery.controller) return;
    const get = `kubectl argo rollouts get rollout ${this.service} -n ${SOMA_NAMESPACE}`;
    const reasons: Record<string, string> = {
      canary: `the controller sets the canary's weight from its steps: to move past the current pause now, kubectl ` +
        `argo rollouts promote ${this.service} -n ${SOMA_NAMESPACE}; to watch it, ${get}`,
      next: `the controller walks the steps, pausing and judging each: to skip the current pause, kubectl argo ` +
        `rollouts promote ${this.service} -n ${SOMA_NAMESPACE}`,
      split: 'the controller splits between a stable and a canary version only: start a canary, or deliver this service by the release file',
    };
    const reason = reasons[command];
    if (reason) throw new Error(`${this.service} is delivered by Argo Rollouts, so "${command}" is not the release ` +
      `file's to do: ${reason}. Nothing changed.`);
  }

  /** After a command: the Rollout fields the render now carries (for a GitOps sync), and the imperative equivalent. */
  public note(command: string, release: ServiceRelease): string | undefined {
    if (!this.delivery.controller) return undefined;
    const rendered = `Rendered for GitOps (Rollout ${this.rollout}): spec.workloadRef.name: ${this.template(release)}`;
    const kubectl = (verb: string) => `kubectl argo rollouts ${verb} ${this.service} -n ${SOMA_NAMESPACE}`;
    switch (command) {
      case 'promote':
        return `${rendered} (unchanged, and so are the steps and replicas: the Rollout is not restarted). Once ` +
          `synced, the controller ` +
          `finishes the remaining steps as the analysis passes. To skip them now: ${kubectl('promote --full')} ` +
            `(sets status.promoteFull: true).`;
      case 'abort':
      case 'rollback':
        return `${rendered}, the stable version's template. Once synced, Argo Rollouts returns 100% to stable at ` +
          `once, skipping the steps and the analysis. ` +
          `To stop the canary before the sync reaches the cluster: ${kubectl('abort')} (sets status.abort: true).`;
      case 'start':
        return `${rendered}. Once synced, the controller starts the canary at its first step and judges each step ` +
          `from the golden signals ` +
          '(the release records "controller": "argo-rollouts": the Rollout already runs the stable version, ' +
          'so the canary is not its first template).';
      case 'stable':
        return `${rendered}. Once synced, the controller starts a canary of it at its first step and judges each ` +
          `step from the golden signals.`;
      default:
        return rendered;
    }
  }

  /** A release as a command under the controller leaves it: a canary it starts is marked as the controller's. */
  public record(command: string, release: ServiceRelease): ServiceRelease {
    if (!this.delivery.controller || command !== 'start' || !release.canary) return release;
    return { ...release, canary: { ...release.canary, controller: this.delivery.controller } };
  }

  private get rollout(): string {
    return `${SOMA_NAMESPACE}/${this.service}`;
  }

  /** The Deployment whose template the Rollout runs: each version's Deployment is `<service>-<version>`. */
  private template(release: ServiceRelease): string {
    return `${this.service}-${Release.deliveredVersion(release, release.stable ?? 'v1')}`;
  }
}
