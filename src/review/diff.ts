import { Inventory, KubeObject, PeerWorkload } from './inventory';
import { AccessEntry, AccessMatrix, AccessMatrixOptions, accessMatrix, diffKey } from './matrix';

/** A weakening of transport security between two renders. */
export interface MtlsChange {
  /** What weakened: a workload port, or a DestinationRule's TLS setting. */
  readonly subject: string;
  readonly before: string;
  readonly after: string;
}

/** The access changes between two renders. */
export interface AccessDiff {
  readonly gained: AccessEntry[];
  readonly lost: AccessEntry[];
  readonly mtlsWeakened: MtlsChange[];
  /** Whether access widened: a call gained or mTLS weakened. */
  readonly widened: boolean;
}

const STRENGTH: Record<string, number> = { STRICT: 2, PERMISSIVE: 1, DISABLE: 0, none: 0 };

/** Compares two sets of objects (same peers and mesh settings for both). */
export function diffObjects(before: readonly KubeObject[], after: readonly KubeObject[], peersOrOptions: readonly PeerWorkload[] | AccessMatrixOptions = {}): AccessDiff {
  const options: AccessMatrixOptions = Array.isArray(peersOrOptions) ? { peers: peersOrOptions as PeerWorkload[] } : peersOrOptions as AccessMatrixOptions;
  const peers = options.peers ?? [];
  const oldInventory = Inventory.of(before, peers, options);
  const newInventory = Inventory.of(after, peers, options);
  const diff = diffMatrices(accessMatrix(before, options), accessMatrix(after, options));
  const weakened = [...diff.mtlsWeakened, ...destinationRuleTls(oldInventory, newInventory)];
  return { ...diff, mtlsWeakened: weakened, widened: diff.gained.length > 0 || weakened.length > 0 };
}

export function diffMatrices(before: AccessMatrix, after: AccessMatrix): AccessDiff {
  const oldKeys = new Set(before.entries.map(diffKey));
  const newKeys = new Set(after.entries.map(diffKey));
  const gained = after.entries.filter(e => !oldKeys.has(diffKey(e)));
  const lost = before.entries.filter(e => !newKeys.has(diffKey(e)));
  const oldModes = new Map<string, string>();
  for (const w of before.workloads) for (const p of w.ports) oldModes.set(`${w.id}:${p.port}`, p.mtls);
  const mtlsWeakened: MtlsChange[] = [];
  for (const w of after.workloads) {
    for (const p of w.ports) {
      const subject = `${w.id}:${p.port}`;
      const was = oldModes.get(subject);
      if (was !== undefined && (STRENGTH[p.mtls] ?? 1) < (STRENGTH[was] ?? 1)) mtlsWeakened.push({ subject, before: was, after: p.mtls });
    }
  }
  return { gained, lost, mtlsWeakened, widened: gained.length > 0 || mtlsWeakened.length > 0 };
}

/** DestinationRule TLS modes other than ISTIO_MUTUAL that the new render adds. */
function destinationRuleTls(before: Inventory, after: Inventory): MtlsChange[] {
  const modes = (inventory: Inventory) => {
    const result = new Map<string, string>();
    for (const dr of inventory.ofKind('DestinationRule')) {
      const id = `DestinationRule ${dr.metadata?.namespace ?? 'default'}/${dr.metadata?.name} host ${dr.spec?.host}`;
      const visit = (policy: any, where: string) => {
        if (policy?.tls) result.set(`${id} ${where}`, policy.tls.mode ?? 'DISABLE');
        for (const [i, p] of (policy?.portLevelSettings ?? []).entries()) if (p.tls) result.set(`${id} ${where}.portLevelSettings[${i}]`, p.tls.mode ?? 'DISABLE');
      };
      visit(dr.spec?.trafficPolicy, 'trafficPolicy');
      for (const s of dr.spec?.subsets ?? []) visit(s.trafficPolicy, `subset ${s.name}`);
    }
    return result;
  };
  const old = modes(before);
  const changes: MtlsChange[] = [];
  for (const [subject, mode] of modes(after)) {
    const was = old.get(subject) ?? 'ISTIO_MUTUAL';
    if (mode !== 'ISTIO_MUTUAL' && mode !== was) changes.push({ subject, before: was, after: mode });
  }
  return changes;
}
