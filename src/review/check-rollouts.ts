import { CODES } from './codes';
import { Check } from './finding';
import { describe, Inventory, KubeObject } from './inventory';

/** The object of a kind named `name` (or `name.namespace`, as Argo Rollouts reads a cross-namespace reference). */
function find(inventory: Inventory, kind: string, reference: string, namespace: string): KubeObject | undefined {
  const [name, ns] = String(reference).split('.');
  return inventory.ofKind(kind)
    .find(o => o.metadata?.name === name && (o.metadata?.namespace ?? 'default') === (ns ?? namespace));
}

/** Every AnalysisTemplate a canary Rollout names: its background analysis and its analysis steps. */
function analysisTemplates(canary: any): Array<{ templateName?: string; clusterScope?: boolean }> {
  const steps = (canary?.steps ?? []).flatMap((s: any) => s?.analysis?.templates ?? []);
  return [...(canary?.analysis?.templates ?? []), ...steps];
}

/**
 * A Rollout is read as the Deployment it replaces (inventory.ts) and, like a VirtualService, by what it names: the
 * Deployment its `workloadRef` takes the template from, the VirtualService routes and DestinationRule subsets it
 * steps (each route must send to both subsets of the rule's host), and the AnalysisTemplates that judge it. The
 * controller refuses a Rollout whose references are missing, so such a Rollout never progresses.
 */
export const checkRollouts: Check = (inventory, report) => {
  for (const rollout of inventory.ofKind('Rollout')) {
    const namespace = rollout.metadata?.namespace ?? 'default';
    const missing = (what: string) => report(CODES.ROLLOUT_REFERENCE_UNKNOWN, rollout, `${describe(rollout)} names ` +
      `${what}`);
    const ref = rollout.spec?.workloadRef;
    if (ref?.name && ref.kind === 'Deployment' && !find(inventory, 'Deployment', ref.name, namespace)) {
      missing(`Deployment "${ref.name}" as its workloadRef, which is not among the objects`);
    }
    const canary = rollout.spec?.strategy?.canary;
    const istio = canary?.trafficRouting?.istio;
    const dr = istio?.destinationRule;
    const rule = dr?.name ? find(inventory, 'DestinationRule', dr.name, namespace) : undefined;
    if (dr?.name && !rule) missing(`DestinationRule "${dr.name}", which is not among the objects`);
    const subsets = new Set<string>((rule?.spec?.subsets ?? []).map((s: any) => s?.name));
    for (const subset of [dr?.stableSubsetName, dr?.canarySubsetName]) {
      if (rule && subset && !subsets.has(subset)) missing(`subset "${subset}" of ${describe(rule)}, which defines ` +
        `${[...subsets].join(', ') || 'none'}`);
    }
    const services = [...(istio?.virtualService ? [istio.virtualService] : []), ...(istio?.virtualServices ?? [])];
    for (const vsRef of services) {
      const vs = vsRef?.name ? find(inventory, 'VirtualService', vsRef.name, namespace) : undefined;
      if (!vs) {
        if (vsRef?.name) missing(`VirtualService "${vsRef.name}", which is not among the objects`);
        continue;
      }
      const http: any[] = vs.spec?.http ?? [];
      for (const name of vsRef.routes ?? []) {
        const route = http.find(r => r?.name === name);
        if (!route) {
          missing(`route "${name}" of ${describe(vs)}, which has ` +
            `${http.map(r => r?.name).filter(Boolean).join(', ') || 'no named route'}`);
          continue;
        }
        const sent = new Set((route.route ?? []).map((d: any) => d?.destination?.subset));
        for (const subset of [dr?.stableSubsetName, dr?.canarySubsetName]) {
          if (dr && subset && !sent.has(subset)) missing(`route "${name}" of ${describe(vs)} to step, which sends ` +
            `nothing to subset "${subset}": the controller cannot set its weight`);
        }
      }
    }
    for (const t of analysisTemplates(canary)) {
      const kind = t?.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
      const exists = t?.templateName && inventory.ofKind(kind).some(o => o.metadata?.name === t.templateName
        && (t.clusterScope || (o.metadata?.namespace ?? 'default') === namespace));
      if (t?.templateName && !exists) missing(`${kind} "${t.templateName}" for its analysis, which is not among the ` +
        `objects`);
    }
  }
};
