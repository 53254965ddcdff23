import { KubeObject, PeerWorkload } from '../inventory';
import { LabelSelector } from '../label-selector';
import { appName, NamedPods, podTemplateOf } from '../workload-names';
import { PortTraffic, servicePortProtocol, trafficOf, UNKNOWN_PROTOCOL } from './protocol';

/**
 * Pods as Istio sees them: one entry per object that deploys pods (Deployment, StatefulSet, ..., Pod) with the pods'
 * own labels, ServiceAccount and injection, so two Deployments sharing `app` with different `version` labels or
 * ServiceAccounts are two sources and two destinations. Peers (`--peers`) are meshed pods deployed elsewhere.
 */

/** A port of a pod: container port number (what AuthorizationPolicy `ports` name), protocol and traffic kind. */
export interface PodPort {
  readonly port: number;
  readonly protocol: string;
  readonly traffic: PortTraffic;
}

export interface MeshPod extends NamedPods {
  /** `namespace/name`: the app name when one pod group has it in its namespace, else the deploying object's name. */
  id: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
  /** Whether the pods run a sidecar (injected): without one they enforce nothing and present no identity. */
  readonly sidecar: boolean;
  /** Why the pods run no sidecar, when they do not. */
  readonly sidecarReason?: string;
  readonly ports: PodPort[];
  readonly peer: boolean;
  /** The objects that deploy these pods (several when pods alike for Istio are merged); empty for a peer. */
  readonly objects: KubeObject[];
}

interface PodTemplate {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: any;
}

/** Injection as the default sidecar injector decides it: the pod's label (or annotation), then its namespace's labels. */
function injection(t: PodTemplate, namespace: KubeObject | undefined): { sidecar: boolean; reason?: string } {
  const pod = t.labels['sidecar.istio.io/inject'] ?? t.annotations['sidecar.istio.io/inject'];
  const nsLabels: Record<string, string> = namespace?.metadata?.labels ?? {};
  if (pod === 'false') return { sidecar: false, reason: 'sidecar.istio.io/inject: "false"' };
  if (nsLabels['istio-injection'] === 'disabled') return { sidecar: false, reason: `namespace ${namespace!.metadata!.name} has istio-injection: disabled` };
  if (pod === 'true') return { sidecar: true };
  // Ambient: ztunnel captures the pods of an ambient namespace (unless the pod opts out); they enforce and present identities.
  const podMode = t.labels['istio.io/dataplane-mode'];
  if (podMode === 'ambient' || (podMode !== 'none' && nsLabels['istio.io/dataplane-mode'] === 'ambient')) return { sidecar: true };
  // A namespace the YAML does not declare is taken as injected (the YAML says nothing against it).
  if (!namespace || nsLabels['istio-injection'] === 'enabled' || nsLabels['istio.io/rev'] !== undefined) return { sidecar: true };
  return { sidecar: false, reason: `namespace ${namespace.metadata!.name} is not labelled for injection` };
}

/** Reads the pods of a set of objects (plus peers), their ports and the protocols their Services give them. */
export function meshPods(objects: readonly KubeObject[], peers: readonly PeerWorkload[]): MeshPod[] {
  const namespaces = new Map<string, KubeObject>();
  const services: KubeObject[] = [];
  for (const o of objects) {
    if (o?.kind === 'Namespace' && typeof o.metadata?.name === 'string') namespaces.set(o.metadata.name, o);
    if (o?.kind === 'Service') services.push(o);
  }
  const servicesByNamespace = new Map<string, KubeObject[]>();
  for (const s of services) {
    const ns = s.metadata?.namespace ?? 'default';
    const list = servicesByNamespace.get(ns);
    if (list) list.push(s);
    else servicesByNamespace.set(ns, [s]);
  }
  const pods: MeshPod[] = [];
  for (const o of objects) {
    if (!o || typeof o !== 'object') continue;
    const t = podTemplateOf(o);
    if (!t) continue;
    const namespace = o.metadata?.namespace ?? 'default';
    const { sidecar, reason } = injection(t, namespaces.get(namespace));
    const containerPorts: Array<{ port: number; name?: string }> = [];
    for (const c of [...(t.spec.containers ?? [])]) {
      for (const p of c?.ports ?? []) {
        if (String(p.protocol ?? 'TCP').toUpperCase() !== 'TCP') continue;
        if (!containerPorts.some(x => x.port === p.containerPort)) containerPorts.push({ port: Number(p.containerPort), name: p.name });
      }
    }
    const protocols = new Map<number, string>();
    for (const s of servicesByNamespace.get(namespace) ?? []) {
      const selector = s.spec?.selector;
      if (!selector || Object.keys(selector).length === 0 || !LabelSelector.matchesLabels(selector, t.labels)) continue;
      for (const sp of s.spec?.ports ?? []) {
        const target = sp.targetPort ?? sp.port;
        let port: number | undefined;
        if (typeof target === 'number') port = target;
        else port = containerPorts.find(c => c.name === target)?.port; // a name no container declares routes nowhere
        if (port === undefined) continue;
        if (!protocols.has(port)) protocols.set(port, servicePortProtocol(sp));
      }
    }
    const ports: PodPort[] = [];
    const numbers = [...new Set([...containerPorts.map(c => c.port), ...protocols.keys()])].sort((a, b) => a - b);
    for (const port of numbers) {
      const protocol = protocols.get(port) ?? UNKNOWN_PROTOCOL;
      ports.push({ port, protocol, traffic: trafficOf(protocol) });
    }
    pods.push({
      id: '', namespace, labels: t.labels, sidecar, sidecarReason: reason, ports, peer: false, objects: [o],
      serviceAccount: t.spec.serviceAccountName ?? t.spec.serviceAccount ?? 'default',
    });
  }
  const deployed = new Set(pods.map(p => `${p.namespace}/${appName(p)}`));
  for (const peer of peers) {
    if (deployed.has(`${peer.namespace}/${peer.name}`)) continue; // the YAML deploys it: the YAML wins
    const ports = (peer.ports ?? []).map(x => {
      const protocol = x.protocol ? servicePortProtocol({ name: x.protocol.toLowerCase(), port: x.port }) : UNKNOWN_PROTOCOL;
      return { port: x.port, protocol, traffic: trafficOf(protocol) };
    });
    pods.push({ id: `${peer.namespace}/${peer.name}`, namespace: peer.namespace, labels: { ...peer.selector }, serviceAccount: peer.serviceAccount, sidecar: true, ports, peer: true, objects: [] });
  }
  return pods;
}

