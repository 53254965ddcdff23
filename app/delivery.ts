import { Duration } from 'cdk8s';
import { CanaryAnalysisOptions, Delivery } from '../src';

/** How SomaAgentHub's canaries are delivered: `npm run synth -- --delivery argo-rollouts`. */
export enum SomaDelivery {
  /** releases.json's weights are rendered as they are; `npm run release` moves each step. The committed dist/. */
  RELEASE_FILE = 'release-file',
  /** Argo Rollouts steps the canaries of the services in SOMA_CANARY_ANALYSIS and judges them from their golden signals. */
  ARGO_ROLLOUTS = 'argo-rollouts',
}

/** Reads a delivery name, as given to `--delivery`. */
export function parseSomaDelivery(name: string): SomaDelivery {
  const delivery = Object.values(SomaDelivery).find(d => d === name);
  if (!delivery) throw new Error(`unknown delivery "${name}": use one of ${Object.values(SomaDelivery).join(', ')}`);
  return delivery;
}

/**
 * The services whose canaries a controller may deliver, with the thresholds that judge them. Choice: slm-service is
 * small-model inference whose callers wait 5 s (gateway) to 60 s (workers); a canary whose p99 passes 2 s, or that
 * fails more than 1% of requests, is rolled back. 20 requests a minute is what its 1% step sees at modest load.
 */
export const SOMA_CANARY_ANALYSIS: Readonly<Record<string, CanaryAnalysisOptions>> = {
  'slm-service': { maxServerErrorRatio: 0.01, maxLatencyP99: Duration.seconds(2), minRequests: 20, stepPause: Duration.minutes(5) },
};

/** A service's delivery under a choice: the release file, unless the choice is a controller and the service is listed. */
export function somaDeliveryOf(service: string, choice: SomaDelivery): Delivery {
  const analysis = SOMA_CANARY_ANALYSIS[service];
  return choice === SomaDelivery.ARGO_ROLLOUTS && analysis ? Delivery.argoRollouts(analysis) : Delivery.releaseFile();
}
