import { IWarningSink } from '../src';

/** A warning SomaAgentHub knows about, and why it stands. */
interface KnownWarning {
  /** What the warning says (a part of its text that only it has). */
  readonly says: RegExp;
  readonly reason: string;
}

/**
 * The limitations SomaAgentHub already knows about, each with its reason (as the analyzer's acknowledgements have):
 * synth counts them in one line instead of printing them, so that a first synth shows news only. They stay
 * warnings for any other user of the library: this list is the hub's, not the library's.
 */
const KNOWN: readonly KnownWarning[] = [
  {
    says: /Linkerd: the TCP probe of (flink|recall)-service always succeeds/,
    reason: 'flink and recall serve no HTTP endpoint yet; their images gain one with the next release',
  },
  {
    says: /Linkerd: port \d+ of (qdrant|prometheus-pushgateway|loki) now has HTTPRoutes/,
    reason: 'the charts of qdrant, the pushgateway and loki authorize their own kubelet probes',
  },
  {
    says: /Linkerd: the JWT check of api\.somaagent\.example/,
    reason: 'the Linkerd edge (traefik) validates tokens with its own JWT middleware, configured outside this chart',
  },
  {
    says: /Linkerd: tracing to "otel-tracing"/,
    reason: 'Linkerd tracing is enabled by the linkerd-jaeger install, at the same rate',
  },
  {
    says: /Linkerd: (connection-pool limits|outlier detection interval|the load-balancing algorithm)/,
    reason: 'Linkerd\'s failure accrual and EWMA balancing are accepted in place of the Istio settings',
  },
  {
    says: /Linkerd: egress is allowed per namespace/,
    reason: 'the hub runs in one namespace; per-workload egress is enforced by the Istio render, the production mesh',
  },
  {
    says: /Istio ambient: the workloads of (observability|soma-infra|temporal), a namespace this chart does not create/,
    reason: 'those namespaces are labelled for ambient by their own charts when the hub runs in ambient mode',
  },
  {
    says: /Istio ambient: label the Service (loki|prometheus-pushgateway|qdrant) /,
    reason: 'their charts set the waypoint labels when the hub runs in ambient mode',
  },
  {
    says: /Istio ambient: egress to \*\.amazonaws\.com is not restricted/,
    reason: 'AWS endpoints vary by region and service; the NetworkPolicies still limit it to its callers',
  },
  {
    says: /Istio ambient: the declared retries are not rendered/,
    reason: 'the clusters run Gateway API standard; retries come from meshConfig there',
  },
  {
    says: /Istio ambient: requests that are not idempotent/,
    reason: 'the ambient install sets meshConfig.defaultHttpRetryPolicy to {attempts: 0}',
  },
];

/** Prints the warnings that are news, and counts the known ones. */
export class SomaWarnings implements IWarningSink {
  private acknowledged = 0;

  public warn(message: string): void {
    if (KNOWN.some(k => k.says.test(message))) this.acknowledged++;
    else console.warn(`warning: ${message}`);
  }

  /** How many known warnings were acknowledged: one line, or nothing. */
  public get summary(): string | undefined {
    return this.acknowledged === 0 ? undefined
      : `${this.acknowledged} known warning${this.acknowledged === 1 ? '' : 's'} acknowledged `
        + '(app/known-warnings.ts says why)';
  }
}
