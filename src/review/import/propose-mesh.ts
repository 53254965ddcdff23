import type { KubeObject } from '../inventory';
import { addressMentions, AddressMention, isOwnAddressKey, keyWords, portKeysFor,
  SCHEME_PORTS } from './address-mentions';
import { ConfigValue, configValues, connectionStringPairs } from './config-values';
import { IndexedWorkload, ManifestIndex } from './manifest-index';
import { policyCalls } from './policy-evidence';
import { guessProtocol, infrastructureWord } from './port-protocols';
import {
  ImportOptions, ImportProposal, ProposedCall, ProposedEnv, ProposedExternal, ProposedMount, ProposedPort,
    ProposedProbe,
  ProposedService, UnresolvedMention,
} from './proposal';

/**
 * Proposes a declared mesh from plain Kubernetes objects: each Deployment, StatefulSet and DaemonSet as a service
 * (infrastructure as an existing workload), each call a value or a policy of the input names, with its evidence.
 * A value that names nothing of the input is listed as unresolved, never guessed.
 */

/** The annotation that marks a workload as infrastructure another team runs (declared as an ExistingWorkload). */
export const EXISTING_ANNOTATION = 'soma-mesh.io/existing';

export function proposeMesh(objects: readonly KubeObject[], options: ImportOptions = {}): ImportProposal {
  const index = new ManifestIndex(objects, options.namespace ?? 'default');
  const names = proposedNames(index);
  const services = index.workloads.map(w => proposedService(index, w, names.get(w)!, options));
  // Keyed by the workload's own id (`namespace/Deployment name`) until the end, when calls take the proposed names.
  const byId = new Map(index.workloads.map((w, i) => [w.id, services[i]]));
  const idOf = (id: string) => { const s = byId.get(id); return s ? `${s.namespace}/${s.name}` : id; };
  const calls = new CallSet();
  const external = new Map<string, ProposedExternal>();
  const unresolved: UnresolvedMention[] = [];
  const unresolvedSeen = new Set<string>();
  const unresolve = (from: string, evidence: string, reason: string) => {
    const key = `${from}\u0000${evidence}\u0000${reason}`;
    if (unresolvedSeen.has(key)) return;
    unresolvedSeen.add(key);
    unresolved.push({ from, evidence, reason });
  };

  for (const w of index.workloads) {
    for (const value of configValues(index, w).flatMap(expandConnectionString)) {
      if (isOwnAddressKey(value.key)) continue;
      for (const mention of addressMentions(value.key, value.value)) {
        const evidence = `${names.get(w)} ${value.evidence}`;
        const target = resolveHost(index, mention.host, w.namespace);
        if (target.kind === 'ignore') continue;
        // An ExternalName Service is a DNS alias of a host outside the cluster.
        const alias = target.kind === 'service' && target.service.spec?.type === 'ExternalName'
          && typeof target.service.spec.externalName === 'string' ? target.service : undefined;
        if (target.kind === 'external' || alias) {
          const host = alias ? String(alias.spec.externalName).toLowerCase().replace(/\.$/, '') : mention.host;
          const only = alias?.spec?.ports?.length === 1 ? alias.spec.ports[0].port : undefined;
          const port = mention.port ?? (mention.scheme ? SCHEME_PORTS[mention.scheme] : undefined)
            ?? siblingPort(value, mention) ?? only;
          if (port === undefined) { unresolve(w.id, evidence,
            `${host} is outside the cluster and the value gives no port`); continue; }
          const key = `${w.id}\u0000${host}\u0000${port}`;
          const known = external.get(key);
          if (known) { if (!known.evidence.includes(evidence)) known.evidence.push(evidence); } else external.set(key,
            { from: w.id, host, port, evidence: [evidence] });
          continue;
        }
        if (target.kind === 'unresolved') { unresolve(w.id, evidence, target.reason); continue; }
        const callees = index.selectedBy(target.service);
        if (callees.length === 0) {
          const name = `Service ${index.namespaceOf(target.service)}/${target.service.metadata?.name}`;
          unresolve(w.id, evidence,
            target.service.spec?.selector ? `${name} selects no workload of the input` : `${name} has no selector (its endpoints are managed elsewhere)`);
          continue;
        }
        if (callees.includes(w)) continue;
        if (value.shared && meantForAnother(index, value, w, callees)) continue;
        for (const callee of callees) {
          const port = choosePort(index, target.service, callee, mention, value);
          if ('reason' in port) { unresolve(w.id, evidence, port.reason); continue; }
          const declared = byId.get(callee.id)!.ports.find(p => p.targetPort === port.targetPort);
          if (!declared) { unresolve(w.id, evidence,
            `port ${port.port} of ${callee.id} is UDP, which the mesh does not carry: allow it with a NetworkPolicy of your own`); continue; }
          calls.add({ from: w.id, to: callee.id, port: port.port, targetPort: port.targetPort,
            protocol: declared.protocol, evidence: [evidence] });
        }
      }
    }
  }
  for (const c of policyCalls(index, byId)) {
    if ('reason' in c) unresolve(c.from, c.evidence, c.reason);
    else calls.add(c);
  }
  const existing = services.filter(s => s.declaration === 'ExistingWorkload');
  const proposedCalls = calls.list().map(c => ({ ...c, from: idOf(c.from), to: idOf(c.to) }));
  return {
    services,
    calls: proposedCalls,
    external: [...external.values()].map(e => ({ ...e, from: idOf(e.from) })),
    unresolved: unresolved.map(u => ({ ...u, from: idOf(u.from) })),
    peers: existing.map(s => ({
      name: s.name, namespace: s.namespace, selector: s.selector, serviceAccount: s.serviceAccount,
      ports: s.ports.map(p => ({ port: p.targetPort, protocol: p.protocol })),
    })),
    notes: sharedIdentityNotes(services, proposedCalls),
  };
}

/**
 * Callers deployed elsewhere that run as a service account other workloads of theirs share: a rule admitting one
 * admits all (declared services get their own account; existing ones keep the one their chart gives them).
 */
function sharedIdentityNotes(services: readonly ProposedService[], calls: readonly ProposedCall[]): string[] {
  const notes: string[] = [];
  for (const s of services) {
    if (s.declaration !== 'ExistingWorkload' || !calls.some(c => c.from === `${s.namespace}/${s.name}`)) continue;
    const others = services.filter(o => o !== s && o.declaration === 'ExistingWorkload' && o.namespace === s.namespace
      && o.serviceAccount === s.serviceAccount);
    if (others.length === 0) continue;
    notes.push(`${s.namespace}/${s.name} runs as service account ${s.namespace}/${s.serviceAccount}, as ${others.map(o => o.name).join(', ')}`
      + ' also do: a rule admitting its calls admits them too; give it its own service account in its chart');
  }
  return notes;
}

/** Calls, one per caller, callee and Service port, with every piece of evidence for it. */
class CallSet {
  private readonly calls = new Map<string, ProposedCall>();

  public add(call: ProposedCall): void {
    const key = `${call.from}\u0000${call.to}\u0000${call.targetPort}`;
    const known = this.calls.get(key);
    if (!known) { this.calls.set(key, { ...call, evidence: [...call.evidence] }); return; }
    for (const e of call.evidence) if (!known.evidence.includes(e)) known.evidence.push(e);
  }

  public list(): ProposedCall[] {
    return [...this.calls.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)
      || a.port - b.port);
  }
}

type HostTarget = { kind: 'service'; service: KubeObject } | { kind: 'external' } | { kind: 'unresolved'; reason: string } | { kind: 'ignore' };

const LOCAL_HOSTS = new Set(['localhost', '0.0.0.0', '127.0.0.1', 'host.docker.internal', '::', '::1',
  'ip6-localhost']);
const INTERNAL_SUFFIXES = ['local', 'internal', 'localdomain', 'svc', 'cluster', 'lan', 'localhost', 'example', 'test',
  'invalid'];

/** What a host names, resolved from the caller's namespace as cluster DNS resolves it. */
export function resolveHost(index: ManifestIndex, rawHost: string, namespace: string): HostTarget {
  const host = rawHost.replace(/\.$/, '').toLowerCase();
  if (LOCAL_HOSTS.has(host) || host.startsWith('127.')) return { kind: 'ignore' };
  if (/^\d+(\.\d+){3}$/.test(host)) return { kind: 'unresolved',
    reason: `${host} is an IP address, which names no Service: use the Service's name` };
  let labels = host.split('.');
  const inCluster = /\.svc(\.cluster\.local)?$/.test(host);
  if (inCluster) labels = host.replace(/\.svc(\.cluster\.local)?$/, '').split('.');
  const service = (name: string, ns: string): HostTarget => {
    const found = index.service(ns, name);
    if (found) return { kind: 'service', service: found };
    if (!index.namespaces.has(ns)) return { kind: 'unresolved',
      reason: `${host} names namespace ${ns}, which is not in the input` };
    return { kind: 'unresolved', reason: `${host} names Service ${ns}/${name}, which is not in the input` };
  };
  if (labels.length === 1) return service(labels[0], namespace);
  if (inCluster && labels.length === 2) return service(labels[0], labels[1]);
  // A StatefulSet pod's own name: pod.service.namespace.svc.
  if (inCluster && labels.length === 3) return service(labels[1], labels[2]);
  if (inCluster) return { kind: 'unresolved', reason: `${host} is not a Service name of the cluster` };
  if (labels.length === 2 && index.namespaces.has(labels[1])) return service(labels[0], labels[1]);
  // A StatefulSet pod's name within its namespace: pod.service.
  if (labels.length === 2 && index.service(namespace, labels[1]) && index.isHeadless(index.service(namespace,
    labels[1])!)) return service(labels[1], namespace);
  if (labels.length === 3 && index.namespaces.has(labels[2]) && index.service(labels[2],
    labels[1])) return service(labels[1], labels[2]);
  const tld = labels[labels.length - 1];
  if (/^[a-z]{2,}$/.test(tld) && !INTERNAL_SUFFIXES.includes(tld)) {
    // `name.word`: a Service in a namespace the input lacks, or a public domain; said, not guessed, unless a common
    // TLD.
    if (labels.length === 2 && !KNOWN_TLDS.has(tld)) {
      return { kind: 'unresolved',
        reason: `${host} names namespace ${labels[1]}, which is not in the input (or a domain: write its full name)` };
    }
    return { kind: 'external' };
  }
  return { kind: 'unresolved', reason: `${host} names nothing of the input` };
}

/** Top-level domains common enough that a two-label `name.tld` is taken for a public host. */
const KNOWN_TLDS = new Set(['com', 'net', 'org', 'io', 'dev', 'app', 'ai', 'co', 'cloud', 'edu', 'gov', 'info', 'me',
  'us', 'uk', 'de', 'eu',
  'fr', 'nl', 'ch', 'jp', 'cn', 'in', 'br', 'ca', 'au', 'es', 'it', 'se', 'no', 'fi', 'pl', 'ru', 'tech', 'xyz', 'sh',
    'so', 'tv', 'gg', 'ly', 'to']);

/** Whether a key of a shared configuration names another workload than this caller and its callee. */
function meantForAnother(index: ManifestIndex, value: ConfigValue, caller: IndexedWorkload,
  callees: IndexedWorkload[]): boolean {
  // `{ "social-graph-service": { "addr": ..., "port": ... } }`: a registry of each service's own address, which
  // states no caller; `{ "geo": { "mongo": ... } }`: geo's own settings.
  if (value.parentKey) {
    const holder = index.workloads.filter(w => sameName(w.name, value.parentKey!));
    if (holder.some(h => callees.includes(h))) return true;
    if (holder.length > 0) return !holder.includes(caller);
  }
  const word = keyWords(value.key)[0];
  if (!word || word.length < 3) return false;
  // `GeoMongoAddress` names its owner (geo) before its callee (mongodb-geo): only the owner calls it.
  const owners = index.workloads.filter(w => ownsWord(w.name, word) && !callees.includes(w));
  return owners.length > 0 && !owners.includes(caller);
}

function sameName(workload: string, key: string): boolean {
  const k = keyWords(key).join('-');
  return workload === k || workload.startsWith(`${k}-`) || keyWords(workload).join('-') === k;
}

/** A connection string's pairs as values of their own (`Server=sqldata,1433` names sqldata:1433). */
function expandConnectionString(value: ConfigValue): ConfigValue[] {
  const pairs = connectionStringPairs(value.value);
  if (!pairs) return [value];
  const siblings = new Map(pairs);
  return pairs.map(([key, v]) => ({ ...value, key, value: v, siblings }));
}

function ownsWord(name: string, word: string): boolean {
  return name.toLowerCase().split(/[-_.]/).some(part => {
    if (part.length < 3) return false;
    if (part.startsWith(word) || word.startsWith(part)) return true;
    let common = 0;
    while (common < part.length && common < word.length && part[common] === word[common]) common++;
    return common >= 5;
  });
}

function siblingPort(value: ConfigValue, mention: AddressMention): number | undefined {
  if (mention.port !== undefined) return mention.port;
  for (const k of portKeysFor(value.key)) {
    const v = value.siblings.get(k);
    if (v !== undefined && /^\d{1,5}$/.test(v.trim())) return Number(v.trim());
  }
  return undefined;
}

/** Ports that words of a key name (`SPRING_RABBITMQ_HOST`), beside URL schemes. */
const WORD_PORTS: Record<string, number> = {
  rabbitmq: 5672, rabbit: 5672, mongo: 27017, pg: 5432, zookeeper: 2181, zk: 2181, memcache: 11211, elasticsearch: 9200,
  elastic: 9200, opensearch: 9200, consul: 8500, cassandra: 9042, mssql: 1433, sqlserver: 1433, etcd: 2379,
    mariadb: 3306,
};

/** Words of port names that are a workload's side doors, not what its callers dial. */
const SIDE_PORT_WORDS = new Set(['metrics', 'admin', 'management', 'mgmt', 'health', 'healthz', 'debug', 'monitoring',
  'prometheus', 'jmx', 'exporter', 'epmd', 'profiler', 'pprof', 'status', 'stats', 'console', 'dashboard', 'ui']);

/** The Service port a mention dials, mapped to the callee's container port; or why none can be chosen. */
function choosePort(index: ManifestIndex, service: KubeObject, callee: IndexedWorkload, mention: AddressMention,
  value: ConfigValue):
  { port: number; targetPort: number } | { reason: string } {
  const ports = index.mappedPorts(service, callee);
  const name = `Service ${index.namespaceOf(service)}/${service.metadata?.name}`;
  const served = ports.map(p => p.port).join(', ') || 'none';
  const explicit = siblingPort(value, mention);
  const pick = (p: typeof ports[number]) => (p.targetPort === undefined
    ? { reason: `${name} port ${p.port} targets a container port ${callee.id} does not name` }
    : { port: p.port, targetPort: p.targetPort });
  if (explicit !== undefined) {
    const byPort = ports.find(p => p.port === explicit);
    if (byPort) return pick(byPort);
    // A headless Service's name resolves to the pods: the caller dials the container port itself.
    const byTarget = index.isHeadless(service) ? ports.find(p => p.targetPort === explicit) : undefined;
    if (byTarget) return pick(byTarget);
    if (index.isHeadless(service) && ports.length === 0) return { port: explicit, targetPort: explicit };
    return { reason: `${name} does not serve port ${explicit} (it serves ${served})` };
  }
  const byScheme = mention.scheme ? ports.find(p => p.port === SCHEME_PORTS[mention.scheme!]) : undefined;
  if (byScheme) return pick(byScheme);
  const tcp = ports.filter(p => p.transport === 'TCP');
  if (tcp.length === 1) return pick(tcp[0]);
  // `AMQP_HOST=rabbitmq`: the port whose name or well-known number the key's words (or the scheme) give.
  const words = [...keyWords(value.key).filter(w => w.length >= 3), ...(mention.scheme ? [mention.scheme] : [])];
  const named = tcp.filter(p => words.some(w => keyWords(p.name ?? '').includes(w) || (SCHEME_PORTS[w]
    ?? WORD_PORTS[w]) === p.port));
  if (named.length === 1) return pick(named[0]);
  // Else the one port that is not a side port (metrics, admin, management, health).
  const main = tcp.filter(p => !keyWords(p.name ?? '').some(w => SIDE_PORT_WORDS.has(w)));
  if (main.length === 1) return pick(main[0]);
  if (ports.length === 0) return { reason: `${name} serves no port` };
  return { reason: `the value gives no port and ${name} serves ${served}: say which (host:port)` };
}

/**
 * Each workload's name in the proposal: the name of the one Service that selects it alone (what its callers'
 * configuration names, so the declared service keeps it), else its own.
 */
function proposedNames(index: ManifestIndex): Map<IndexedWorkload, string> {
  const names = new Map<IndexedWorkload, string>();
  const taken = new Set<string>();
  for (const w of index.workloads) {
    // A headless Service governs a StatefulSet's pod names; the workload keeps its own name.
    const own = index.servicesOf(w).filter(s => index.selectedBy(s).length === 1
      && !index.isHeadless(s)).map(s => String(s.metadata?.name));
    const name = own.length === 1 && !own.includes(w.name) && !taken.has(`${w.namespace}/${own[0]}`)
      && !index.workloads.some(o => o !== w && o.namespace === w.namespace && o.name === own[0]) ? own[0] : w.name;
    taken.add(`${w.namespace}/${name}`);
    names.set(w, name);
  }
  return names;
}

function proposedService(index: ManifestIndex, w: IndexedWorkload, name: string,
  options: ImportOptions): ProposedService {
  const main = w.podSpec.containers?.[0] ?? {};
  const image = typeof main.image === 'string' ? main.image : '';
  const annotations = { ...(w.object.metadata?.annotations ?? {}), ...(w.object.spec?.template?.metadata?.annotations
    ?? {}) };
  const marked = annotations[EXISTING_ANNOTATION] === 'true' || (options.existing ?? []).some(e => e === w.name
    || e === w.id);
  const infraWord = infrastructureWord(image);
  const existingBecause = marked ? 'marked as existing' : infraWord ? `its image ${image} is a database, cache or broker (${infraWord})` : undefined;
  const ports = servedPorts(index, w, image, existingBecause !== undefined);
  return {
    name, namespace: w.namespace, declaration: existingBecause ? 'ExistingWorkload' : 'MeshService', existingBecause,
    object: `${w.kind}/${w.name}`, image,
      replicas: typeof w.object.spec?.replicas === 'number' ? w.object.spec.replicas : undefined,
    serviceAccount: w.serviceAccount,
    selector: Object.keys(w.matchLabels).length > 0 ? w.matchLabels : w.podLabels,
    ports,
    liveness: probe(index, w, main.livenessProbe), readiness: probe(index, w, main.readinessProbe),
    resources: resources(main.resources),
    env: (main.env ?? []).map((e: any) => proposedEnv(e)).filter((e: ProposedEnv | undefined): e is ProposedEnv => e !== undefined),
    envFrom: (main.envFrom ?? []).flatMap((e: any) => e?.configMapRef?.name ? [{ kind: 'configMap' as const,
      name: e.configMapRef.name, prefix: e.prefix }]
      : e?.secretRef?.name ? [{ kind: 'secret' as const, name: e.secretRef.name, prefix: e.prefix }] : []),
    command: strings(main.command), args: strings(main.args),
    mounts: (main.volumeMounts ?? []).map((m: any) => mount(w, m)),
    source: options.sources?.get(w.object),
  };
}

/** Ports the workload serves: each Service port that reaches it (one per container port), then unpublished container ports. */
function servedPorts(index: ManifestIndex, w: IndexedWorkload, image: string, infrastructure: boolean): ProposedPort[] {
  const ports: ProposedPort[] = [];
  const containerPortName = (n: number) => w.containers.flatMap(c => c.ports
    ?? []).find((p: any) => p.containerPort === n)?.name;
  for (const service of index.servicesOf(w)) {
    for (const p of index.mappedPorts(service, w)) {
      if (p.targetPort === undefined || p.transport !== 'TCP') continue;
      const label = `${service.metadata?.name}:${p.port}`;
      const same = ports.find(q => q.targetPort === p.targetPort);
      if (same) { if (!same.services.includes(label)) same.services.push(label); continue; }
      if (ports.some(q => q.port === p.port)) continue;
      const g = guessProtocol({ appProtocol: p.appProtocol, names: [p.name, containerPortName(p.targetPort)],
        port: p.port, image, infrastructure });
      ports.push({ port: p.port, targetPort: p.targetPort, protocol: g.protocol, protocolFrom: g.from,
        services: [label] });
    }
  }
  for (const c of w.containers.slice(0, (w.podSpec.containers ?? []).length)) {
    for (const p of c.ports ?? []) {
      const n = p.containerPort;
      if ((p.protocol ?? 'TCP') !== 'TCP' || ports.some(q => q.targetPort === n || q.port === n)) continue;
      const g = guessProtocol({ names: [p.name], port: n, image, infrastructure });
      ports.push({ port: n, targetPort: n, protocol: g.protocol, protocolFrom: g.from, services: [] });
    }
  }
  return ports;
}

function probe(index: ManifestIndex, w: IndexedWorkload, p: any): ProposedProbe | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const timing = {
    initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds,
      failureThreshold: p.failureThreshold,
  };
  const port = (value: unknown) => (typeof value === 'number' || typeof value === 'string' ? index.containerPort(w,
    value) : undefined);
  if (p.httpGet) return { kind: 'http', path: typeof p.httpGet.path === 'string' ? p.httpGet.path : '/',
    port: port(p.httpGet.port), ...timing };
  if (p.tcpSocket) return { kind: 'tcp', port: port(p.tcpSocket.port), ...timing };
  if (p.grpc) return { kind: 'grpc', port: port(p.grpc.port), ...timing };
  if (Array.isArray(p.exec?.command)) return { kind: 'command', command: strings(p.exec.command), ...timing };
  return undefined;
}

function resources(r: any): ProposedService['resources'] {
  if (!r || typeof r !== 'object') return undefined;
  const pick = (m: any) => {
    if (!m || typeof m !== 'object') return undefined;
    const out: Record<string, string> = {};
    for (const k of ['cpu', 'memory']) if (m[k] !== undefined) out[k] = String(m[k]);
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const requests = pick(r.requests);
  const limits = pick(r.limits);
  return requests || limits ? { requests, limits } : undefined;
}

function proposedEnv(e: any): ProposedEnv | undefined {
  if (typeof e?.name !== 'string') return undefined;
  if (typeof e.value === 'string') return { name: e.name, value: e.value };
  const from = e.valueFrom;
  if (from?.configMapKeyRef?.name) return { name: e.name, from: { kind: 'configMap', name: from.configMapKeyRef.name,
    key: from.configMapKeyRef.key } };
  if (from?.secretKeyRef?.name) return { name: e.name, from: { kind: 'secret', name: from.secretKeyRef.name,
    key: from.secretKeyRef.key } };
  if (from?.fieldRef?.fieldPath) return { name: e.name, from: { kind: 'field', name: '',
    key: from.fieldRef.fieldPath } };
  return e.value === undefined && !from ? { name: e.name, value: '' } : undefined;
}

function mount(w: IndexedWorkload, m: any): ProposedMount {
  const volume = (w.podSpec.volumes ?? []).find((v: any) => v?.name === m?.name) ?? {};
  const base = { path: String(m?.mountPath), volume: String(m?.name), readOnly: m?.readOnly, subPath: m?.subPath };
  if (volume.configMap) return { ...base, kind: 'configMap', source: volume.configMap.name };
  if (volume.secret) return { ...base, kind: 'secret', source: volume.secret.secretName };
  if (volume.emptyDir) return { ...base, kind: 'emptyDir' };
  if (volume.persistentVolumeClaim) return { ...base, kind: 'persistentVolumeClaim',
    source: volume.persistentVolumeClaim.claimName };
  return { ...base, kind: 'other' };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}
