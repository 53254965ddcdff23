import type { KubeObject } from '../inventory';
import { LabelSelector } from '../label-selector';
import { IndexedWorkload, ManifestIndex } from './manifest-index';
import type { ProposedCall, ProposedService } from './proposal';

/**
 * Calls that the input's own policies state: NetworkPolicy ingress rules (`from` pods, `ports`), Istio ALLOW
 * AuthorizationPolicies (principals or service accounts, `to` ports) and Linkerd AuthorizationPolicies and
 * ServerAuthorizations (mesh TLS identities, a Server's port). A rule that admits a namespace, every caller or
 * addresses states no call of one workload, and is listed as unresolved.
 */

export type PolicyFinding = ProposedCall | { readonly from: string; readonly evidence: string; readonly reason: string };

/** Calls and unresolved rules, naming workloads by their own ids (`namespace/Deployment name`); `byId` gives their ports. */
export function policyCalls(index: ManifestIndex, byId: ReadonlyMap<string, ProposedService>): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const add = (from: IndexedWorkload, to: IndexedWorkload, containerPort: number | undefined, evidence: string) => {
    if (from === to) return;
    const ports = byId.get(to.id)?.ports ?? [];
    const chosen = containerPort === undefined ? ports : ports.filter(p => p.targetPort === containerPort);
    if (chosen.length === 0) {
      out.push({ from: from.id, evidence,
        reason: containerPort === undefined ? `${to.id} serves no port` : `port ${containerPort} is not a port of ${to.id}` });
    }
    for (const p of chosen) out.push({ from: from.id, to: to.id, port: p.port, targetPort: p.targetPort,
      protocol: p.protocol, evidence: [evidence] });
  };
  for (const o of index.objects) {
    const api = String(o.apiVersion ?? '');
    if (o.kind === 'NetworkPolicy' && api.startsWith('networking.k8s.io/')) networkPolicy(index, o, add, out);
    if (o.kind === 'AuthorizationPolicy' && api.startsWith('security.istio.io/')) istioPolicy(index, o, add, out);
    if (o.kind === 'AuthorizationPolicy' && api.startsWith('policy.linkerd.io/')) linkerdPolicy(index, o, add, out);
    if (o.kind === 'ServerAuthorization' && api.startsWith('policy.linkerd.io/')) serverAuthorization(index, o, add,
      out);
  }
  return out;
}

type Add = (from: IndexedWorkload, to: IndexedWorkload, containerPort: number | undefined, evidence: string) => void;

function id(index: ManifestIndex, o: KubeObject): string {
  return `${o.kind} ${index.namespaceOf(o)}/${o.metadata?.name}`;
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || '(every pod)';
}

function networkPolicy(index: ManifestIndex, o: KubeObject, add: Add, out: PolicyFinding[]): void {
  const ns = index.namespaceOf(o);
  const spec = o.spec ?? {};
  const targets = index.selected(ns, spec.podSelector ?? {});
  (spec.ingress ?? []).forEach((rule: any, i: number) => {
    const where = `${id(index, o)} ingress[${i}]`;
    const portsOf = (t: IndexedWorkload): Array<number | undefined> => {
      const list = (rule?.ports ?? []).filter((p: any) => (p?.protocol ?? 'TCP') === 'TCP' && p?.port !== undefined);
      if ((rule?.ports ?? []).length === 0) return [undefined];
      return list.map((p: any) => index.containerPort(t, p.port)).filter((n: number | undefined) => n !== undefined);
    };
    const froms: any[] = rule?.from ?? [];
    if (froms.length === 0) {
      for (const t of targets) out.push({ from: '*', evidence: `${where} to ${t.id}`,
        reason: 'the rule admits every source: it names no caller' });
      return;
    }
    froms.forEach((f: any, j: number) => {
      const at = `${where} from[${j}]`;
      if (f?.ipBlock) { out.push({ from: '*', evidence: `${at} ipBlock ${f.ipBlock.cidr}`,
        reason: 'addresses, not workloads: no call' }); return; }
      const namespaces = f?.namespaceSelector ? selectedNamespaces(index, f.namespaceSelector) : [ns];
      if (!f?.podSelector || LabelSelector.isEmpty(f.podSelector)) {
        out.push({ from: `ns:${namespaces.join(',') || '?'}`, evidence: at,
          reason: 'admits every pod of a namespace: it names no caller' });
        return;
      }
      const sources = namespaces.flatMap(n => index.selected(n, f.podSelector));
      if (sources.length === 0) out.push({ from: labelsText(f.podSelector.matchLabels), evidence: at,
        reason: 'selects no workload of the input' });
      for (const s of sources) {
        for (const t of targets) {
          for (const port of portsOf(t)) add(s, t, port,
            `${at} podSelector ${labelsText(f.podSelector.matchLabels)}${port ? ` port ${port}` : ''}`);
        }
      }
    });
  });
}

function selectedNamespaces(index: ManifestIndex, selector: any): string[] {
  const labels: Record<string, string> = selector?.matchLabels ?? {};
  const named = labels['kubernetes.io/metadata.name'];
  if (named) return [named];
  const objects = index.objects
    .filter(o => o.kind === 'Namespace' && LabelSelector.selects(selector, o.metadata?.labels ?? {}));
  const everyNamespace = !selector || LabelSelector.isEmpty(selector);
  return objects.length > 0 ? objects.map(o => o.metadata!.name!) : everyNamespace ? [...index.namespaces] : [];
}

/** Workloads running as a service account, from `cluster.local/ns/NS/sa/SA`, `NS/SA` or a Linkerd identity. */
function byServiceAccount(index: ManifestIndex, namespace: string, account: string): IndexedWorkload[] {
  return index.workloads.filter(w => w.namespace === namespace && w.serviceAccount === account);
}

/** The one workload an identity names; several workloads sharing it are listed, since no call of one is stated. */
function oneWorkload(found: Array<{ text: string; workloads: IndexedWorkload[] }>, where: string,
  out: PolicyFinding[]): Array<{ text: string; workloads: IndexedWorkload[] }> {
  return found.filter(f => {
    if (f.workloads.length <= 1) return true;
    out.push({ from: f.workloads.map(w => w.id).join(', '), evidence: `${where} from ${f.text}`,
      reason: `${f.workloads.length} workloads share this identity, so the rule names none of them: give each its own ServiceAccount` });
    return false;
  });
}

function istioPolicy(index: ManifestIndex, o: KubeObject, add: Add, out: PolicyFinding[]): void {
  const spec = o.spec ?? {};
  if ((spec.action ?? 'ALLOW') !== 'ALLOW' || spec.targetRef || spec.targetRefs) return;
  const ns = index.namespaceOf(o);
  const targets = index.selected(ns, spec.selector ?? {});
  (spec.rules ?? []).forEach((rule: any, i: number) => {
    const where = `${id(index, o)} rules[${i}]`;
    const ports: Array<number | undefined> = (rule?.to ?? []).flatMap((t: any) => (t?.operation?.ports
      ?? []).map(Number));
    const sources: Array<{ text: string; workloads: IndexedWorkload[] }> = [];
    for (const f of rule?.from ?? []) {
      const s = f?.source ?? {};
      for (const p of s.principals ?? []) {
        const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(String(p));
        if (m && !m[1].includes('*') && !m[2].includes('*')) sources.push({ text: String(p),
          workloads: byServiceAccount(index, m[1], m[2]) });
        else out.push({ from: String(p), evidence: `${where} from ${p}`,
          reason: 'a principal pattern, not one workload\'s identity' });
      }
      for (const a of s.serviceAccounts ?? []) {
        const [n, sa] = String(a).includes('/') ? String(a).split('/') : [ns, String(a)];
        sources.push({ text: `serviceAccount ${a}`, workloads: byServiceAccount(index, n, sa) });
      }
      for (const n of s.namespaces ?? []) out.push({ from: `ns:${n}`, evidence: `${where} from namespace ${n}`,
        reason: 'admits every workload of a namespace: it names no caller' });
    }
    if ((rule?.from ?? []).length === 0) {
      out.push({ from: '*', evidence: where, reason: 'admits any caller: it names none' });
      return;
    }
    for (const { text, workloads } of oneWorkload(sources, where, out)) {
      if (workloads.length === 0) out.push({ from: text, evidence: `${where} from ${text}`,
        reason: 'no workload of the input runs as this identity' });
      for (const s of workloads) {
        for (const t of targets) {
          for (const port of ports.length > 0 ? ports : [undefined]) add(s, t, port,
            `${where} from ${text}${port ? ` port ${port}` : ''}`);
        }
      }
    }
  });
}

/** Workloads a Linkerd identity names: `sa.ns.serviceaccount.identity.linkerd.cluster.local`. */
function linkerdIdentity(index: ManifestIndex, identity: string): IndexedWorkload[] | undefined {
  const m = /^([^.*]+)\.([^.*]+)\.serviceaccount\.identity\./.exec(identity);
  return m ? byServiceAccount(index, m[2], m[1]) : undefined;
}

/** The pods and port of a Linkerd Server. */
function server(index: ManifestIndex, ns: string,
  name: string): { targets: IndexedWorkload[]; port: (t: IndexedWorkload) => number | undefined } | undefined {
  const s = index.objects.find(o => o.kind === 'Server' && String(o.apiVersion).startsWith('policy.linkerd.io/')
    && index.namespaceOf(o) === ns && o.metadata?.name === name);
  if (!s) return undefined;
  const targets = index.selected(ns, s.spec?.podSelector ?? {});
  return { targets, port: t => index.containerPort(t, s.spec?.port) };
}

function callersOfAuthentication(index: ManifestIndex, ns: string, ref: any, where: string,
  out: PolicyFinding[]): Array<{ text: string; workloads: IndexedWorkload[] }> {
  const refNs = ref?.namespace ?? ns;
  if (ref?.kind === 'ServiceAccount') return [{ text: `ServiceAccount ${refNs}/${ref.name}`,
    workloads: byServiceAccount(index, refNs, ref.name) }];
  if (ref?.kind !== 'MeshTLSAuthentication') {
    out.push({ from: String(ref?.kind), evidence: `${where} ${ref?.kind} ${ref?.name}`,
      reason: 'admits addresses or any authenticated client, not one workload' });
    return [];
  }
  const auth = index.objects.find(o => o.kind === 'MeshTLSAuthentication' && index.namespaceOf(o) === refNs
    && o.metadata?.name === ref.name);
  if (!auth) { out.push({ from: '?', evidence: `${where} MeshTLSAuthentication ${refNs}/${ref.name}`,
    reason: 'not in the input' }); return []; }
  const found: Array<{ text: string; workloads: IndexedWorkload[] }> = [];
  for (const identity of auth.spec?.identities ?? []) {
    const workloads = linkerdIdentity(index, String(identity));
    if (workloads) found.push({ text: String(identity), workloads });
    else out.push({ from: String(identity), evidence: `${where} identity ${identity}`,
      reason: 'an identity pattern, not one workload\'s' });
  }
  for (const r of auth.spec?.identityRefs ?? []) {
    if (r?.kind === 'ServiceAccount') found.push({ text: `ServiceAccount ${r.namespace ?? refNs}/${r.name}`,
      workloads: byServiceAccount(index, r.namespace ?? refNs, r.name) });
    else out.push({ from: String(r?.kind), evidence: `${where} identityRef ${r?.kind} ${r?.name ?? ''}`,
      reason: 'admits a namespace or every identity, not one workload' });
  }
  return found;
}

function linkerdPolicy(index: ManifestIndex, o: KubeObject, add: Add, out: PolicyFinding[]): void {
  const ns = index.namespaceOf(o);
  const where = id(index, o);
  const ref = o.spec?.targetRef;
  const target = ref?.kind === 'Server' ? server(index, ns, ref.name) : undefined;
  if (!target) { out.push({ from: '?', evidence: `${where} targetRef ${ref?.kind} ${ref?.name}`,
    reason: 'targets no Server of the input (a namespace or a route): read its Server by hand' }); return; }
  for (const r of o.spec?.requiredAuthenticationRefs ?? []) {
    for (const { text, workloads } of oneWorkload(callersOfAuthentication(index, ns, r, where, out), where, out)) {
      for (const s of workloads) for (const t of target.targets) add(s, t, target.port(t),
        `${where} Server ${ref.name} from ${text}`);
    }
  }
}

function serverAuthorization(index: ManifestIndex, o: KubeObject, add: Add, out: PolicyFinding[]): void {
  const ns = index.namespaceOf(o);
  const where = id(index, o);
  const name = o.spec?.server?.name;
  const target = typeof name === 'string' ? server(index, ns, name) : undefined;
  if (!target) { out.push({ from: '?', evidence: where,
    reason: 'names its Servers by selector or a Server not in the input: read it by hand' }); return; }
  const tls = o.spec?.client?.meshTLS ?? {};
  for (const sa of tls.serviceAccounts ?? []) {
    for (const s of byServiceAccount(index, sa?.namespace ?? ns, sa?.name)) {
      for (const t of target.targets) add(s, t, target.port(t),
        `${where} Server ${name} from ServiceAccount ${sa?.namespace ?? ns}/${sa?.name}`);
    }
  }
  for (const identity of tls.identities ?? []) {
    const workloads = linkerdIdentity(index, String(identity));
    if (!workloads) { out.push({ from: String(identity), evidence: `${where} identity ${identity}`,
      reason: 'an identity pattern, not one workload\'s' }); continue; }
    for (const s of workloads) for (const t of target.targets) add(s, t, target.port(t),
      `${where} Server ${name} from ${identity}`);
  }
}
