import { IstioMeshConfig, resolveMeshConfig, ResolvedMeshConfig } from './istio/mesh-config';
import { LabelSelector } from './label-selector';

/**
 * A read-only index of Kubernetes objects (plain JSON, as read from YAML or from `ApiObject.toJson()`):
 * workloads with their pod labels, identity and ports, Services, and the Istio resources the checks read.
 * Built once per analysis with Maps, so every check stays linear in the number of objects.
 */

/**
 * A Kubernetes object as plain JSON. TypeScript only: other languages pass `any`.
 * @jsii ignore
 */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [key: string]: any };
  readonly spec?: any;
  readonly [key: string]: any;
}

/** A port a peer workload serves. */
export interface PeerPort {
  readonly port: number;
  /** `http`, `http2`, `grpc`, `tcp`, ... @default - unknown (Istio sniffs) */
  readonly protocol?: string;
}

/** A workload that other charts deploy but policies select: declared so that it can be found (see `--peers`). */
export interface PeerWorkload {
  readonly name: string;
  readonly namespace: string;
  /** Labels of its pods. */
  readonly selector: Record<string, string>;
  readonly serviceAccount: string;
  /** Ports it serves, with protocol HTTP, HTTP2, GRPC or TCP. */
  readonly ports?: PeerPort[];
}

/** A port a workload serves, with the protocol Istio would give it (from the Service port name or appProtocol). */
export interface ServedPort {
  readonly port: number;
  /** Container port name, when named. */
  readonly name?: string;
  /** `http`, `http2`, `grpc`, `tcp`, ...; undefined when no Service names it (Istio sniffs). */
  readonly protocol?: string;
}

/** One workload: the pods of a Deployment/StatefulSet/DaemonSet/Pod (versions of one app merged), or a peer. */
export interface Workload {
  readonly name: string;
  readonly namespace: string;
  /** Label sets of its pods (one per version). */
  readonly podLabels: Array<Record<string, string>>;
  readonly serviceAccount: string;
  readonly ports: ServedPort[];
  /** The objects that deploy it (`KubeObject`s: plain JSON); empty for a peer. */
  readonly objects: any[];
  readonly peer: boolean;
}

export const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'http2', 'grpc', 'grpc-web', 'https']);
// An Argo Rollout carries its own template, or takes a Deployment's (`workloadRef`), which is read as a Deployment.
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Rollout']);

export class Inventory {
  /** Reads workloads, Services and mesh resources from objects (and optional peers), under a mesh's settings. */
  public static of(objects: readonly KubeObject[], peers: readonly PeerWorkload[] = [],
    config: IstioMeshConfig = {}): Inventory {
    return new Inventory(objects, peers, resolveMeshConfig(config));
  }

  public readonly objects: readonly KubeObject[];
  /** The mesh's settings (root namespace, trust domain, cluster domain) every check reads. */
  public readonly config: ResolvedMeshConfig;
  public readonly workloads: Workload[] = [];
  public readonly services: KubeObject[] = [];
  public readonly namespaces = new Set<string>();
  private readonly byKind = new Map<string, KubeObject[]>();
  private readonly workloadsByNamespace = new Map<string, Workload[]>();
  private readonly workloadsByLabel = new Map<string, Workload[]>();
  private readonly backendsOf = new Map<KubeObject, Workload[]>();
  private peerAuthentications?: Map<string, KubeObject[]>;
  private readonly workloadByPrincipal = new Map<string, Workload>();
  private readonly serviceByHost = new Map<string, KubeObject>();

  private constructor(objects: readonly KubeObject[], peers: readonly PeerWorkload[], config: ResolvedMeshConfig) {
    this.objects = objects;
    this.config = config;
    const byKey = new Map<string, Workload>();
    for (const o of objects) {
      if (!o || typeof o !== 'object' || !o.kind) continue;
      push(this.byKind, o.kind, o);
      if (o.kind === 'Namespace' && o.metadata?.name) this.namespaces.add(o.metadata.name);
      if (o.metadata?.namespace) this.namespaces.add(o.metadata.namespace);
      const pod = podOf(o);
      if (!pod) continue;
      const namespace = o.metadata?.namespace ?? 'default';
      const labels: Record<string, string> = { ...(pod.labels ?? {}) };
      const name = labels['app.kubernetes.io/name'] ?? labels.app ?? o.metadata?.name ?? '?';
      const key = `${namespace}/${name}`;
      const ports: ServedPort[] = (pod.spec?.containers ?? []).flatMap((c: any) => (c.ports ?? [])
        .map((p: any) => ({ port: Number(p.containerPort), name: p.name })));
      const existing = byKey.get(key);
      if (existing) {
        existing.podLabels.push(labels);
        existing.objects.push(o);
        for (const p of ports) if (!existing.ports.some(e => e.port === p.port)) existing.ports.push(p);
        continue;
      }
      const workload: Workload = {
        name, namespace, podLabels: [labels], ports, objects: [o], peer: false,
        serviceAccount: pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default',
      };
      byKey.set(key, workload);
    }
    for (const p of peers) {
      const key = `${p.namespace}/${p.name}`;
      if (byKey.has(key)) continue; // the YAML deploys it: the YAML wins
      byKey.set(key, {
        name: p.name, namespace: p.namespace, podLabels: [{ ...p.selector }], serviceAccount: p.serviceAccount,
        ports: (p.ports ?? []).map(x => ({ port: x.port, protocol: x.protocol?.toLowerCase() })), objects: [], peer: true,
      });
      this.namespaces.add(p.namespace);
    }
    this.workloads.push(...byKey.values());
    for (const w of this.workloads) {
      push(this.workloadsByNamespace, w.namespace, w);
      const labels = new Set(w.podLabels.flatMap(l => Object.entries(l).map(([k, v]) => `${w.namespace}\u0000${k}=${v}`)));
      for (const label of labels) push(this.workloadsByLabel, label, w);
      this.workloadByPrincipal.set(`ns/${w.namespace}/sa/${w.serviceAccount}`, w);
    }
    for (const s of this.ofKind('Service')) {
      this.services.push(s);
      const ns = s.metadata?.namespace ?? 'default';
      this.serviceByHost.set(`${s.metadata?.name}.${ns}.svc.${config.clusterDomain}`, s);
      this.applyServiceProtocols(s);
    }
  }

  public ofKind(kind: string): KubeObject[] {
    return this.byKind.get(kind) ?? [];
  }

  /** The PeerAuthentications of a namespace. */
  public peerAuthenticationsIn(namespace: string): KubeObject[] {
    if (!this.peerAuthentications) {
      this.peerAuthentications = new Map();
      for (const pa of this.ofKind('PeerAuthentication')) push(this.peerAuthentications, pa.metadata?.namespace ?? 'default', pa);
    }
    return this.peerAuthentications.get(namespace) ?? [];
  }

  public workloadsIn(namespace: string): Workload[] {
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /** The workloads whose pods a `matchLabels` selector picks in a namespace (every workload for no selector). */
  public selected(namespace: string, matchLabels: Record<string, string> | undefined): Workload[] {
    const first = matchLabels && Object.entries(matchLabels)[0];
    if (!first) return this.workloadsIn(namespace);
    // Candidates carry the selector's first label: the index keeps selection linear in the matches, not the namespace.
    const candidates = this.workloadsByLabel.get(`${namespace}\u0000${first[0]}=${first[1]}`) ?? [];
    return candidates.filter(w => selects(matchLabels, w));
  }

  /** The workload running as this principal (in any trust domain), if any. */
  public workloadOfPrincipal(principal: string): Workload | undefined {
    return this.workloadByPrincipal.get(principal.replace(/^[^/]+\/ns\//, 'ns/'));
  }

  /** The Service a host names, resolved from `namespace` as Istio does for short names. */
  public service(host: string, namespace: string): KubeObject | undefined {
    return this.serviceByHost.get(this.fqdn(host, namespace));
  }

  /** A host as Istio resolves it in this cluster: a short name (no dot) is a Service of `namespace`. */
  public fqdn(host: string, namespace: string): string {
    return fqdn(host, namespace, this.config.clusterDomain);
  }

  /** Whether a host names something inside the cluster (a short name or `*.svc.<cluster domain>`). */
  public isClusterHost(host: string): boolean {
    return !host.includes('.') || host.endsWith(`.svc.${this.config.clusterDomain}`);
  }

  /** The workloads behind a Service (those whose pods its selector picks). */
  public backends(service: KubeObject): Workload[] {
    const cached = this.backendsOf.get(service);
    if (cached) return cached;
    const selector = service.spec?.selector;
    const result = !selector || Object.keys(selector).length === 0 ? [] : this.selected(service.metadata?.namespace ?? 'default', selector);
    this.backendsOf.set(service, result);
    return result;
  }

  private applyServiceProtocols(service: KubeObject): void {
    for (const w of this.backends(service)) {
      for (const sp of service.spec?.ports ?? []) {
        const protocol = protocolOfServicePort(sp);
        const target = sp.targetPort ?? sp.port;
        const port = w.ports.find(p => (typeof target === 'number' || /^\d+$/.test(String(target))) ? p.port === Number(target) : p.name === target);
        if (port && protocol && !port.protocol) (port as { protocol?: string }).protocol = protocol; // filled while reading
      }
    }
  }
}

/** Whether a label map picks any pod of a workload. An absent map picks every pod. */
export function selects(matchLabels: Record<string, string> | undefined, workload: Workload): boolean {
  return workload.podLabels.some(labels => LabelSelector.matchesLabels(matchLabels, labels));
}

/** The protocol Istio reads from a Service port: `appProtocol`, else the name's prefix before `-`. */
export function protocolOfServicePort(port: any): string | undefined {
  if (port?.appProtocol) return String(port.appProtocol).toLowerCase();
  const name: string | undefined = port?.name;
  if (!name) return undefined;
  const prefix = name.split('-')[0].toLowerCase();
  return KNOWN_PROTOCOLS.has(prefix) ? prefix : undefined;
}

/** Protocol prefixes Istio recognizes in port names (https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/). */
export const KNOWN_PROTOCOLS: ReadonlySet<string> = new Set([
  'http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'mongo', 'mysql', 'redis', 'udp',
]);

/** A host as Istio resolves it: a short name (no dot) is a Service of the resource's namespace; anything else is literal. */
export function fqdn(host: string, namespace: string, clusterDomain = 'cluster.local'): string {
  return host.includes('.') ? host : `${host}.${namespace}.svc.${clusterDomain}`;
}

/** Where an object is: `Kind namespace/name`. */
export function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
}

function podOf(o: KubeObject): { labels?: Record<string, string>; spec?: any } | undefined {
  if (o.kind === 'Pod') return { labels: o.metadata?.labels, spec: o.spec };
  if (POD_TEMPLATE_KINDS.has(o.kind!)) return o.spec?.template && { labels: o.spec.template.metadata?.labels, spec: o.spec.template.spec };
  if (o.kind === 'CronJob') {
    const t = o.spec?.jobTemplate?.spec?.template;
    return t && { labels: t.metadata?.labels, spec: t.spec };
  }
  return undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
