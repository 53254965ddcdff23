import { Inventory, Workload } from './inventory';
import { PeerAuthentications } from './istio/peer-authentication';

const byInventory = new WeakMap<Inventory, PeerAuthentications>();

/**
 * The mTLS mode a workload's port accepts, by Istio's PeerAuthentication precedence (the matrix's own reading,
 * `istio/peer-authentication.ts`); a workload whose pod templates differ accepts the weakest of their modes.
 */
export function mtlsMode(inventory: Inventory, workload: Workload, port: number): string {
  let modes = byInventory.get(inventory);
  if (!modes) {
    modes = new PeerAuthentications(inventory.ofKind('PeerAuthentication'), inventory.config);
    byInventory.set(inventory, modes);
  }
  const templates = workload.podLabels.length > 0 ? workload.podLabels : [{}];
  const found = templates.map(labels => modes!.mode({ namespace: workload.namespace, labels }, port));
  return found.find(m => m !== 'STRICT') ?? 'STRICT';
}
