import { checkAuthorizationPolicies } from './check-authorization';
import { checkDestinationRules } from './check-destination-rules';
import { checkVirtualServices } from './check-virtual-services';
import { checkPeerAuthentications, checkServices, checkWorkloads } from './check-workloads';
import { Check, Finding, makeFinding } from './finding';
import { Inventory, KubeObject, PeerWorkload } from './inventory';

/** Every check, in the order their findings are listed. */
export const CHECKS: readonly Check[] = [
  checkDestinationRules, checkAuthorizationPolicies, checkPeerAuthentications, checkServices, checkWorkloads, checkVirtualServices,
];

/** Options of an analysis. */
export interface AnalyzeOptions {
  /**
   * Workloads that other charts deploy, which policies may select or name.
   * @default - none
   */
  readonly peers?: readonly PeerWorkload[];
}

/** Runs every check over Kubernetes objects (plain JSON) and returns what they found, errors first. */
export function analyze(objects: readonly KubeObject[], options: AnalyzeOptions = {}): Finding[] {
  const inventory = Inventory.of(objects, options.peers ?? []);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const check of CHECKS) {
    check(inventory, (code, object, message, fix) => {
      const key = `${code.code}|${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      findings.push(makeFinding(code, object, message, fix));
    });
  }
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
