import { Inventory } from './inventory';

/**
 * What a progressive-delivery controller owns at run time in the Istio objects it steps. Argo Rollouts (subset-level
 * splitting) adds each ReplicaSet's pod-template hash to the labels of the DestinationRule subsets its Rollouts name,
 * and edits the weights of the VirtualService routes they name; its pods carry the hash too, so a subset is judged by
 * its other labels.
 */
export const ROLLOUT_HASH_LABEL = 'rollouts-pod-template-hash';

/** `namespace/destinationRule/subset` of every subset a Rollout relabels. */
export function rolloutRelabelledSubsets(inventory: Inventory): Set<string> {
  const subsets = new Set<string>();
  for (const rollout of inventory.ofKind('Rollout')) {
    const istio = rollout.spec?.strategy?.canary?.trafficRouting?.istio;
    const dr = istio?.destinationRule;
    if (!dr?.name) continue;
    // A name `rule.namespace` points into another namespace, as Argo Rollouts reads it.
    const [name, namespace] = String(dr.name).split('.');
    const ns = namespace ?? rollout.metadata?.namespace ?? 'default';
    for (const subset of [dr.stableSubsetName, dr.canarySubsetName]) if (subset) subsets.add(`${ns}/${name}/${subset}`);
  }
  return subsets;
}

/** A subset's labels as its pods' templates carry them: without the hash when a controller adds it at run time. */
export function templateLabels(labels: Record<string, string>, relabelled: boolean): Record<string, string> {
  if (!relabelled || !(ROLLOUT_HASH_LABEL in labels)) return labels;
  const { [ROLLOUT_HASH_LABEL]: _hash, ...rest } = labels;
  return rest;
}
