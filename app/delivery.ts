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
 * The services whose canaries a controller may deliver, with how they are judged. Choice: slm-service is small-model
 * inference whose callers wait 5 s (gateway) to 60 s (workers). It is judged by the mesh's own alert thresholds (a
 * canary that passes cannot page once promoted), on at least 20 requests, sized for 600 requests a minute, the
 * fewest it serves while releases run (a declared figure: the reference gives none). At that rate its 1% step serves
 * 6 a minute, so each measurement reads a 4-minute window and each step is held 6 minutes. The steps are the release
 * file's own (1, 5, 25, 50, 100), declared here because the controller, not the file, walks them.
 */
export const SOMA_CANARY_ANALYSIS: Readonly<Record<string, CanaryAnalysisOptions>> = {
  'slm-service': {
    minRequests: 20, minRequestsPerMinute: 600, stepPause: Duration.minutes(5), steps: [1, 5, 25, 50, 100],
  },
};

/** A service's delivery under a choice: the release file, unless the choice is a controller and the service is listed. */
export function somaDeliveryOf(service: string, choice: SomaDelivery): Delivery {
  const analysis = SOMA_CANARY_ANALYSIS[service];
  return choice === SomaDelivery.ARGO_ROLLOUTS && analysis ? Delivery.argoRollouts(analysis) : Delivery.releaseFile();
}
