import type { AccessEntry, AccessMatrix } from '../matrix';
import type { ImportProposal, ProposedCall } from './proposal';

/**
 * The review before deny-by-default: the proposal against the access matrix of what runs. Calls with evidence that
 * the render denies would break when the mesh is switched on; rows of the render that no evidence supports are
 * access the mesh would remove (or calls the manifests do not state).
 */
export interface RenderComparison {
  /** Proposed calls no row of the render admits. */
  readonly denied: ProposedCall[];
  /** Rows of the render (caller, callee, container port) that no proposed call supports. */
  readonly unsupported: Array<{ from: string; to: string; port: number; protocol: string; policy: string }>;
  /** Proposed calls the render admits. */
  readonly admitted: number;
}

export function compareWithRender(proposal: ImportProposal, matrix: AccessMatrix): RenderComparison {
  // A proposed workload is the matrix workload deployed by the same object, or of the same namespace/name.
  const idOf = new Map<string, string>();
  for (const s of proposal.services) {
    const id = `${s.namespace}/${s.name}`;
    const same = matrix.workloads.find(w => w.id.startsWith(`${s.namespace}/`) && w.objects.includes(s.object));
    idOf.set(id, same?.id ?? id);
  }
  const mapped = (id: string) => idOf.get(id) ?? id;
  const admits = (e: AccessEntry, c: ProposedCall) => e.to === mapped(c.to) && e.port === c.targetPort
    && (e.from === mapped(c.from) || e.from === '*' || e.from === `ns:${c.from.split('/')[0]}`);
  const denied = proposal.calls.filter(c => !matrix.entries.some(e => admits(e, c)));
  const seen = new Set<string>();
  const unsupported: RenderComparison['unsupported'] = [];
  for (const e of matrix.entries) {
    const key = `${e.from}\u0000${e.to}\u0000${e.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (proposal.calls.some(c => mapped(c.from) === e.from && mapped(c.to) === e.to
      && c.targetPort === e.port)) continue;
    unsupported.push({ from: e.from, to: e.to, port: e.port, protocol: e.protocol, policy: e.policy });
  }
  return { denied, unsupported, admitted: proposal.calls.length - denied.length };
}
