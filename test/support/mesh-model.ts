import { K8sObject, ofKind } from './manifests';
import { Pod } from './istio-authz';

/** A pod of the rendered mesh, named for the tests. */
export interface NamedPod extends Pod {
  name: string;
  principal: string;
}

const PROTOCOL_PREFIX: Record<string, string> = { HTTP: 'http', HTTP2: 'http2', GRPC: 'grpc', TCP: 'tcp' };

/** The pods the YAML deploys (one per Deployment's app), with protocols from their Service's port names. */
export function deployedPods(objects: K8sObject[]): NamedPod[] {
  const services = ofKind(objects, 'Service');
  const byApp = new Map<string, NamedPod>();
  for (const d of ofKind(objects, 'Deployment')) {
    const labels = d.spec.template.metadata.labels;
    const namespace = d.metadata.namespace!;
    const sa = d.spec.template.spec.serviceAccountName;
    const service = services.find(s => s.metadata.namespace === namespace && Object.entries(s.spec.selector ?? {}).every(([k, v]) => labels[k] === v));
    const portProtocols: Record<number, string> = {};
    for (const p of service?.spec.ports ?? []) portProtocols[p.targetPort ?? p.port] = (p.appProtocol ?? p.name.split('-')[0]);
    const name = labels.app;
    if (!byApp.has(`${namespace}/${name}`)) {
      byApp.set(`${namespace}/${name}`, { name, namespace, labels, serviceAccount: sa, portProtocols, principal: `cluster.local/ns/${namespace}/sa/${sa}` });
    }
  }
  return [...byApp.values()];
}

/** The infrastructure peers of the reference, which the YAML does not deploy. */
export function referencePeers(reference: any): NamedPod[] {
  return reference.infra.map((i: any) => ({
    name: i.name,
    namespace: i.namespace,
    labels: i.selector,
    serviceAccount: i.serviceAccount,
    principal: `cluster.local/ns/${i.namespace}/sa/${i.serviceAccount}`,
    portProtocols: Object.fromEntries(i.ports.map((p: any) => [p.port, PROTOCOL_PREFIX[p.protocol]])),
  }));
}

export const INGRESS_PRINCIPAL = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
