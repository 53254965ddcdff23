import { k8s } from 'cdk8s-plus-28';
import { appProtocol, portName } from './protocol';
import type { WorkloadPort } from './workload';

/** A Service's ports for a workload's ports: named and `appProtocol`-tagged for their protocol, each to its container port. */
export function servicePorts(ports: readonly Required<WorkloadPort>[]): k8s.ServicePort[] {
  return ports.map(p => ({
    name: portName(p.protocol, p.port),
    appProtocol: appProtocol(p.protocol),
    port: p.port,
    targetPort: k8s.IntOrString.fromNumber(p.targetPort),
    protocol: 'TCP',
  }));
}
