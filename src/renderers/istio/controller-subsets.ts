import type { MeshService } from '../../model/mesh-service';
import type { WeightedVersion } from '../../model/routing';

/**
 * The DestinationRule subsets and route weights of a service whose canary a progressive-delivery controller steps:
 * two subsets named for their role, whose labels the controller narrows at run time (it adds each ReplicaSet's
 * `rollouts-pod-template-hash`), and a split rendered as 100% stable, 0% canary, whose weights the controller edits.
 */
export const STABLE_SUBSET = 'stable';
export const CANARY_SUBSET = 'canary';

/** The split as rendered when a controller owns the weights; undefined when the release file does. */
export function controllerSplit(service: MeshService): WeightedVersion[] | undefined {
  if (!service.delivery.controller) return undefined;
  return [{ version: STABLE_SUBSET, weight: 100 }, { version: CANARY_SUBSET, weight: 0 }];
}

/** The subsets as rendered when a controller relabels them; undefined when each version is its own subset. */
export function controllerSubsets(service: MeshService): Array<{ name: string; labels: Record<string, string> }> | undefined {
  if (!service.delivery.controller) return undefined;
  return [STABLE_SUBSET, CANARY_SUBSET].map(name => ({ name, labels: { ...service.selector } }));
}
