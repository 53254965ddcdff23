import type { KubeObject } from '../inventory';
import { LabelSelector } from '../label-selector';

/**
 * The objects of an import, indexed: workloads (the pods they run), Services (the workloads each selects and how its
 * ports map to theirs), ConfigMaps and Secrets (what env and mounted files read), and the namespaces in the input.
 */

/** Kinds that run long-lived pods, each proposed as a service. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

export interface IndexedWorkload {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly kind: string;
  readonly object: KubeObject;
  readonly podLabels: Record<string, string>;
  readonly matchLabels: Record<string, string>;
  readonly serviceAccount: string;
  readonly podSpec: any;
  /** Containers, then init containers. */
  readonly containers: any[];
}

/** A Service port mapped to one selected workload's container port. */
export interface MappedPort {
  readonly service: KubeObject;
  readonly port: number;
  /** The container port, or undefined when a named targetPort names no port of the workload. */
  readonly targetPort?: number;
  readonly name?: string;
  readonly appProtocol?: string;
  readonly transport: string;
}

export class ManifestIndex {
  public readonly workloads: IndexedWorkload[] = [];
  public readonly namespaces = new Set<string>();
  private readonly services = new Map<string, KubeObject>();
  private readonly configMaps = new Map<string, Record<string, string>>();
  private readonly secrets = new Map<string, Record<string, string>>();
  private readonly byId = new Map<string, IndexedWorkload>();
  private readonly selection = new Map<KubeObject, IndexedWorkload[]>();
  private servicesByWorkload?: Map<IndexedWorkload, KubeObject[]>;
  /** Memo of the import's passes over the whole input (how many workloads mount each configuration). */
  public readonly memo = new Map<string, unknown>();

  public constructor(public readonly objects: readonly KubeObject[], public readonly defaultNamespace: string) {
    for (const o of objects) {
      const ns = this.namespaceOf(o);
      if (o.kind === 'Namespace' && o.metadata?.name) this.namespaces.add(o.metadata.name);
      else this.namespaces.add(ns);
      const key = `${ns}/${o.metadata?.name}`;
      if (o.kind === 'Service' && o.apiVersion === 'v1') this.services.set(key, o);
      if (o.kind === 'ConfigMap') this.configMaps.set(key, { ...stringValues(o.data) });
      if (o.kind === 'Secret') this.secrets.set(key, { ...decodeSecret(o.data), ...stringValues(o.stringData) });
      if (WORKLOAD_KINDS.includes(String(o.kind)) && o.spec?.template) {
        const template = o.spec.template;
        const spec = template.spec ?? {};
        const w: IndexedWorkload = {
          id: `${ns}/${o.metadata!.name}`, name: o.metadata!.name!, namespace: ns, kind: o.kind!, object: o,
          podLabels: { ...(template.metadata?.labels ?? {}) }, matchLabels: { ...(o.spec.selector?.matchLabels ?? {}) },
          serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default', podSpec: spec,
          containers: [...(spec.containers ?? []), ...(spec.initContainers ?? [])],
        };
        this.workloads.push(w);
        this.byId.set(w.id, w);
      }
    }
  }

  public namespaceOf(o: KubeObject): string {
    return o.metadata?.namespace ?? this.defaultNamespace;
  }

  public workload(id: string): IndexedWorkload | undefined {
    return this.byId.get(id);
  }

  public service(namespace: string, name: string): KubeObject | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  public get allServices(): KubeObject[] {
    return [...this.services.values()];
  }

  public configMap(namespace: string, name: string): Record<string, string> | undefined {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  public secret(namespace: string, name: string): Record<string, string> | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }

  /** The workloads a Service selects (none for a Service without a selector). */
  public selectedBy(service: KubeObject): IndexedWorkload[] {
    let found = this.selection.get(service);
    if (!found) {
      const selector: Record<string, string> | undefined = service.spec?.selector;
      const ns = this.namespaceOf(service);
      found = !selector || Object.keys(selector).length === 0 ? []
        : this.workloads.filter(w => w.namespace === ns && LabelSelector.matchesLabels(selector, w.podLabels));
      this.selection.set(service, found);
    }
    return found;
  }

  /** The workloads whose pods a label selector picks in a namespace. */
  public selected(namespace: string, selector: unknown): IndexedWorkload[] {
    return this.workloads.filter(w => w.namespace === namespace && LabelSelector.selects(selector, w.podLabels));
  }

  /** The Services that select a workload. */
  public servicesOf(w: IndexedWorkload): KubeObject[] {
    if (!this.servicesByWorkload) {
      // Built once: each Service's selection is computed once, whatever the number of workloads asking.
      this.servicesByWorkload = new Map();
      for (const s of this.services.values()) {
        for (const selected of this.selectedBy(s)) {
          this.servicesByWorkload.set(selected, [...(this.servicesByWorkload.get(selected) ?? []), s]);
        }
      }
    }
    return this.servicesByWorkload.get(w) ?? [];
  }

  /** A Service's ports, each mapped to this workload's container port. */
  public mappedPorts(service: KubeObject, w: IndexedWorkload): MappedPort[] {
    return (service.spec?.ports ?? []).map((p: any) => ({
      service, port: p.port, targetPort: containerPort(w, p.targetPort ?? p.port), name: p.name,
        appProtocol: p.appProtocol,
      transport: p.protocol ?? 'TCP',
    }));
  }

  /** The number of a container port named or numbered `target`. */
  public containerPort(w: IndexedWorkload, target: number | string): number | undefined {
    return containerPort(w, target);
  }

  public isHeadless(service: KubeObject): boolean {
    return service.spec?.clusterIP === 'None';
  }
}

function containerPort(w: IndexedWorkload, target: number | string): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of w.containers) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}


function stringValues(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function decodeSecret(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(stringValues(data))) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}
