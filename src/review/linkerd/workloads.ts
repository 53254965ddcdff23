import { KubeObject, PeerWorkload } from '../inventory';
import { appName, NamedPods, podTemplateOf } from '../workload-names';

/**
 * Pods as Linkerd's policy controller sees them: meshed (`linkerd.io/inject` on the pod or its namespace), their
 * ServiceAccount identity, their default inbound policy (`config.linkerd.io/default-inbound-policy` on the pod,
 * then its namespace, then the cluster's), and their container ports with names and HTTP probe paths.
 */

export const DEFAULT_POLICIES = ['all-unauthenticated', 'all-authenticated', 'cluster-unauthenticated', 'cluster-authenticated', 'deny', 'audit'];

export interface LinkerdPort {
  readonly port: number;
  readonly name?: string;
  /** Paths of the pod's HTTP liveness, readiness and startup probes on this port. */
  readonly probePaths: string[];
}

export interface LinkerdPod extends NamedPods {
  id: string;
  readonly serviceAccount: string;
  readonly meshed: boolean;
  readonly defaultPolicy: string;
  readonly ports: LinkerdPort[];
}

export function linkerdPods(objects: readonly KubeObject[], peers: readonly PeerWorkload[], clusterDefault: string): LinkerdPod[] {
  const namespaces = new Map<string, KubeObject>();
  for (const o of objects) if (o?.kind === 'Namespace' && typeof o.metadata?.name === 'string') namespaces.set(o.metadata.name, o);
  const pods: LinkerdPod[] = [];
  for (const o of objects) {
    const t = o && podTemplateOf(o);
    if (!t) continue;
    const namespace = o.metadata?.namespace ?? 'default';
    const ns = namespaces.get(namespace)?.metadata?.annotations ?? {};
    const inject = t.annotations['linkerd.io/inject'] ?? ns['linkerd.io/inject'];
    const ports: LinkerdPort[] = [];
    for (const c of t.spec.containers ?? []) {
      const probes = [c.livenessProbe, c.readinessProbe, c.startupProbe].filter(p => p?.httpGet);
      for (const p of c.ports ?? []) {
        if (String(p.protocol ?? 'TCP').toUpperCase() !== 'TCP' || ports.some(x => x.port === p.containerPort)) continue;
        const probePaths = probes.filter(pr => pr.httpGet.port === p.containerPort || (p.name && pr.httpGet.port === p.name)).map(pr => String(pr.httpGet.path ?? '/'));
        ports.push({ port: p.containerPort, name: p.name, probePaths: [...new Set(probePaths)] });
      }
    }
    pods.push({
      id: '', namespace, labels: t.labels, peer: false, objects: [o], ports,
      serviceAccount: t.spec.serviceAccountName ?? t.spec.serviceAccount ?? 'default',
      meshed: inject === 'enabled' || inject === 'ingress',
      defaultPolicy: t.annotations['config.linkerd.io/default-inbound-policy'] ?? ns['config.linkerd.io/default-inbound-policy'] ?? clusterDefault,
    });
  }
  const deployed = new Set(pods.map(p => `${p.namespace}/${appName(p)}`));
  for (const peer of peers) {
    const id = `${peer.namespace}/${peer.name}`;
    if (deployed.has(id)) continue;
    pods.push({
      id, namespace: peer.namespace, labels: { ...peer.selector }, peer: true, objects: [], serviceAccount: peer.serviceAccount, meshed: true,
      defaultPolicy: namespaces.get(peer.namespace)?.metadata?.annotations?.['config.linkerd.io/default-inbound-policy'] ?? clusterDefault,
      ports: (peer.ports ?? []).map(p => ({ port: p.port, probePaths: [] })),
    });
  }
  return pods;
}

/** A Linkerd identity: `<account>.<namespace>.serviceaccount.identity.linkerd.<trust domain>`. */
export function identityOf(pod: LinkerdPod, trustDomain: string): string {
  return `${pod.serviceAccount}.${pod.namespace}.serviceaccount.identity.linkerd.${trustDomain}`;
}
