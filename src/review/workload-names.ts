import { KubeObject } from './inventory';

/** What names a group of pods in the matrix, whatever the mesh. */
export interface NamedPods {
  id: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly peer: boolean;
  readonly objects: KubeObject[];
}

export function appName(p: NamedPods): string {
  return p.labels['app.kubernetes.io/name'] ?? p.labels.app ?? p.objects[0]?.metadata?.name ?? '?';
}

/**
 * Pods the mesh cannot tell apart (same namespace, app, identity and what `traits` says decides their access) as one
 * workload each, named: Deployments of one app that differ in any of these stay apart. Peers are never merged.
 */
export function mergeAlike<P extends NamedPods & { readonly serviceAccount: string }>(pods: readonly P[], traits: (p: P) => string): P[] {
  const groups = new Map<string, P>();
  for (const p of pods) {
    if (p.peer) { groups.set(`peer ${p.id}`, p); continue; }
    const k = [p.namespace, appName(p), p.serviceAccount, traits(p)].join('|');
    const group = groups.get(k);
    if (group) group.objects.push(...p.objects);
    else groups.set(k, p);
  }
  const merged = [...groups.values()];
  nameAll(merged);
  return merged;
}

/** Names each pod group `namespace/app` when that is unique in its namespace, else by its object. */
export function nameAll(pods: NamedPods[]): void {
  const count = new Map<string, number>();
  for (const p of pods) if (!p.peer) count.set(`${p.namespace}/${appName(p)}`, (count.get(`${p.namespace}/${appName(p)}`) ?? 0) + 1);
  const used = new Set<string>();
  for (const p of pods) {
    if (p.peer) { used.add(p.id); continue; }
    const app = `${p.namespace}/${appName(p)}`;
    const object = p.objects[0]?.metadata?.name ?? appName(p);
    let id = count.get(app) === 1 ? app : `${p.namespace}/${object}`;
    if (used.has(id)) id = `${id} (${p.objects[0]?.kind})`;
    for (let i = 2; used.has(id); i++) id = `${p.namespace}/${object} #${i}`;
    used.add(id);
    p.id = id;
  }
}

/** The pod template of an object that deploys pods, if it is one. */
export function podTemplateOf(o: KubeObject): { labels: Record<string, string>; annotations: Record<string, string>; spec: any } | undefined {
  let t: any;
  if (o.kind === 'Pod') t = { metadata: o.metadata, spec: o.spec };
  else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'].includes(String(o.kind))) t = o.spec?.template;
  else if (o.kind === 'CronJob') t = o.spec?.jobTemplate?.spec?.template;
  if (!t || typeof t !== 'object') return undefined;
  return { labels: { ...(t.metadata?.labels ?? {}) }, annotations: { ...(t.metadata?.annotations ?? {}) }, spec: t.spec ?? {} };
}
