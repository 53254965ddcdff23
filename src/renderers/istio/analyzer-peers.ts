import type { IMeshWorkload } from '../../model/workload';
import { PeerWorkload } from '../../review/inventory';

/** A workload of the mesh that is not deployed here, as the analyzer and the access matrix read peers. */
export function peerOf(workload: IMeshWorkload): PeerWorkload {
  return {
    name: workload.name,
    namespace: workload.namespace.name,
    selector: { ...workload.selector },
    serviceAccount: workload.serviceAccountName,
    ports: workload.ports.map(p => ({ port: p.targetPort, protocol: p.protocol })),
  };
}
