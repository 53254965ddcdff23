import { K8sObject } from './manifests';

/**
 * A small, independent reading of Kubernetes NetworkPolicy semantics, used by the tests to read back which
 * pod may open a TCP connection to which pod and port from the emitted YAML (never from the library's model).
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */

/** A pod as NetworkPolicies see it: its namespace, labels and address. */
export interface NetPod {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
}

/** Namespaces carry the label `kubernetes.io/metadata.name` set by the API server, and no other here. */
function namespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}

function matchesSelector(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const ok = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const exprs: any[] = selector.matchExpressions ?? [];
  return ok && exprs.every(e => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': return has && e.values.includes(labels[e.key]);
      case 'NotIn': return !has || !e.values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  });
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base) / size) * size;
  const value = ipToInt(ip);
  return value >= start && value < start + size;
}

/** Whether one NetworkPolicyPeer admits `other`, seen from a policy in namespace `policyNamespace`. */
function peerMatches(peer: any, policyNamespace: string, other: NetPod): boolean {
  if (peer.ipBlock) {
    return cidrContains(peer.ipBlock.cidr, other.ip) && !(peer.ipBlock.except ?? []).some((c: string) => cidrContains(c, other.ip));
  }
  const nsOk = peer.namespaceSelector ? matchesSelector(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? matchesSelector(peer.podSelector, other.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(p => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || (p.endPort !== undefined ? port >= p.port && port <= p.endPort : p.port === port)));
}

function policyTypes(policy: K8sObject): string[] {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

function selecting(policies: K8sObject[], pod: NetPod, type: string): K8sObject[] {
  return policies.filter(p => p.metadata.namespace === pod.namespace && matchesSelector(p.spec.podSelector, pod.labels) && policyTypes(p).includes(type));
}

/** Whether `from` may open a connection to `to` on `port`: allowed by the egress side and by the ingress side. */
export function connectionAllowed(policies: K8sObject[], from: NetPod, to: NetPod, port: number, protocol = 'TCP'): boolean {
  const egress = selecting(policies, from, 'Egress');
  const egressOk = egress.length === 0 || egress.some(p => (p.spec.egress ?? []).some((r: any) =>
    portMatches(r.ports, port, protocol) && (!r.to || r.to.length === 0 || r.to.some((peer: any) => peerMatches(peer, p.metadata.namespace!, to)))));
  if (!egressOk) return false;
  const ingress = selecting(policies, to, 'Ingress');
  return ingress.length === 0 || ingress.some(p => (p.spec.ingress ?? []).some((r: any) =>
    portMatches(r.ports, port, protocol) && (!r.from || r.from.length === 0 || r.from.some((peer: any) => peerMatches(peer, p.metadata.namespace!, from)))));
}
