import { waypointPeers } from './ambient';
import { checkAmbientPolicies } from './check-ambient';
import { checkAuthorizationPolicies } from './check-authorization';
import { checkDestinationRules } from './check-destination-rules';
import { checkVirtualServices } from './check-virtual-services';
import { checkRollouts } from './check-rollouts';
import { checkPeerAuthentications, checkServices, checkWorkloads } from './check-workloads';
import { Check, Finding, makeFinding } from './finding';
import { Inventory, KubeObject, PeerWorkload } from './inventory';
import { IstioMeshConfig } from './istio/mesh-config';

/** Every check, in the order their findings are listed. */
export const CHECKS: readonly Check[] = [
  checkDestinationRules, checkAuthorizationPolicies, checkAmbientPolicies, checkPeerAuthentications, checkServices, checkWorkloads, checkVirtualServices, checkRollouts,
];

/** Options of an analysis: the mesh's settings (root namespace, trust domain, cluster domain) and peers. */
export interface AnalyzeOptions extends IstioMeshConfig {
  /**
   * Workloads that other charts deploy, which policies may select or name.
   * @default - none
   */
  readonly peers?: PeerWorkload[];
}

/** Runs every check over Kubernetes objects (plain JSON) and returns what they found, errors first. */
export function analyze(objects: readonly KubeObject[], options: AnalyzeOptions = {}): Finding[] {
  // Ambient waypoints are deployed by Istio from their Gateways: they are callers that policies may name.
  const inventory = Inventory.of(objects, [...(options.peers ?? []), ...waypointPeers(objects)], options);
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
  return findings
    .map(f => {
      const reason = f.severity === 'warning' ? acknowledgements(f.object).get(f.code) : undefined;
      return reason === undefined ? f : { ...f, acknowledged: reason };
    })
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}

/** The annotation by which YAML not written with soma-mesh acknowledges warnings: `SM1201: reason` per line or `;`. */
export const ACKNOWLEDGE_ANNOTATION = 'soma-mesh.io/acknowledge';

function acknowledgements(object: KubeObject): Map<string, string> {
  const text: string | undefined = object.metadata?.annotations?.[ACKNOWLEDGE_ANNOTATION];
  const result = new Map<string, string>();
  for (const entry of (text ?? '').split(/[;\n]/)) {
    const m = /^\s*(SM\d{4})\s*:\s*(\S.*?)\s*$/.exec(entry);
    if (m) result.set(m[1], m[2]);
  }
  return result;
}
