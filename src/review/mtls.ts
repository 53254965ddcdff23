import { Inventory, ROOT_NAMESPACE, Workload, selects } from './inventory';

/**
 * The mTLS mode a workload's port accepts, by Istio's PeerAuthentication precedence:
 * the workload's own (port level, then its mode), then its namespace's, then the root namespace's; PERMISSIVE when none.
 */
export function mtlsMode(inventory: Inventory, workload: Workload, port: number): string {
  const inNamespace = inventory.peerAuthenticationsIn(workload.namespace);
  const own = inNamespace.find(p => p.spec?.selector?.matchLabels && selects(p.spec.selector.matchLabels, workload));
  const namespaceWide = inNamespace.find(p => !p.spec?.selector);
  const mesh = inventory.ofKind('PeerAuthentication').find(p => p.metadata?.namespace === ROOT_NAMESPACE && !p.spec?.selector);
  const portLevel = own?.spec?.portLevelMtls?.[String(port)]?.mode;
  if (portLevel && portLevel !== 'UNSET') return portLevel;
  for (const pa of [own, namespaceWide, mesh]) {
    const mode = pa?.spec?.mtls?.mode;
    if (mode && mode !== 'UNSET') return mode;
  }
  return 'PERMISSIVE';
}
