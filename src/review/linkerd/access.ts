import { KubeObject, PeerWorkload } from '../inventory';
import { AccessDecision, AccessEntry, AccessMatrix, AccessRequest, ANY_CALLER, diffKey, key, MatrixWorkload, NO_IDENTITY, withEvaluator } from '../matrix';
import { LabelSelector } from '../label-selector';
import { and, Tri } from '../three-valued';
import { mergeAlike } from '../workload-names';
import { LinkerdPod, linkerdPods, identityOf, DEFAULT_POLICIES } from './workloads';

/**
 * Who can call whom under Linkerd, as its policy controller and proxies decide it: a port selected by a Server is
 * governed by that Server (its HTTPRoutes and GRPCRoutes, the AuthorizationPolicies on them, on the Server or on the
 * namespace, whose every requiredAuthenticationRef must hold; else the Server's accessPolicy); a port without one by
 * the pod's default inbound policy. A Server without routes has a default route and a default probe route (GET on
 * the pod's probe paths, unauthenticated), and so does a port without Server unless the default policy is deny.
 * Requests that match none of a Server's routes are refused. See docs/review.md.
 */

export interface LinkerdMatrixOptions {
  /** @default - none */
  readonly peers?: PeerWorkload[];
  /** The cluster's default inbound policy (`proxy.defaultInboundPolicy`). @default 'all-unauthenticated' */
  readonly clusterDefaultPolicy?: string;
  /** @default 'cluster.local' */
  readonly trustDomain?: string;
}

const HTTP_PROTOCOLS = new Set(['HTTP/1', 'HTTP/2', 'gRPC', 'unknown']);
const ANY_IDENTITY = '(any meshed identity)';

interface RouteMatch {
  readonly route: KubeObject;
  readonly method?: string;
  /** Exact path, PathPrefix (as `prefix`), or RegularExpression. */
  readonly pathType: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly path: string;
  readonly headers: number;
  readonly rank: number[];
}

interface Caller {
  readonly id: string;
  /** Linkerd identity; null without one; undefined when unknown. */
  readonly identity: string | null | undefined;
  readonly pod?: LinkerdPod;
}

class LinkerdEvaluator {
  public readonly pods: LinkerdPod[];
  public readonly byId = new Map<string, LinkerdPod>();
  private readonly serversByNamespace = new Map<string, KubeObject[]>();
  private readonly routesByServer = new Map<string, RouteMatch[]>();
  private readonly policiesByTarget = new Map<string, KubeObject[]>();
  private readonly byKindName = new Map<string, KubeObject>();
  public readonly trustDomain: string;
  public readonly deployedIdentities = new Set<string>();
  private readonly serverAuthorizations = new Map<string, KubeObject[]>();

  public constructor(objects: readonly KubeObject[], options: LinkerdMatrixOptions) {
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    const pods = linkerdPods(objects, options.peers ?? [], options.clusterDefaultPolicy ?? 'all-unauthenticated');
    for (const o of objects) {
      const ns = o.metadata?.namespace ?? 'default';
      const group = String(o.apiVersion ?? '').split('/')[0];
      this.byKindName.set(`${o.kind}/${ns}/${o.metadata?.name}`, o);
      if (o.kind === 'Server' && group === 'policy.linkerd.io') push(this.serversByNamespace, ns, o);
      if ((o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute') && (group === 'policy.linkerd.io' || group === 'gateway.networking.k8s.io')) {
        for (const parent of o.spec?.parentRefs ?? []) {
          if (parent?.kind !== 'Server' || (parent.namespace ?? ns) !== ns) continue;
          for (const m of routeMatches(o)) push(this.routesByServer, `${ns}/${parent.name}`, m);
        }
      }
      if (o.kind === 'AuthorizationPolicy' && group === 'policy.linkerd.io') {
        const t = o.spec?.targetRef ?? {};
        push(this.policiesByTarget, `${t.kind}/${t.namespace ?? ns}/${t.name}`, o);
      }
      if (o.kind === 'ServerAuthorization' && group === 'policy.linkerd.io') push(this.serverAuthorizations, ns, o);
    }
    this.pods = this.merge(pods);
    for (const p of this.pods) {
      this.byId.set(p.id, p);
      if (p.meshed) this.deployedIdentities.add(identityOf(p, this.trustDomain));
    }
    for (const list of this.routesByServer.values()) list.sort((a, b) => compareRank(b.rank, a.rank) || String(a.route.metadata?.name).localeCompare(String(b.route.metadata?.name)));
  }

  /** Pods of one app that Linkerd cannot tell apart (account, mesh, default policy, ports and Servers) are listed once. */
  private merge(pods: LinkerdPod[]): LinkerdPod[] {
    return mergeAlike(pods, p => [p.meshed, p.defaultPolicy,
      p.ports.map(x => `${x.port}/${x.name}/${x.probePaths.join(',')}/${this.serverOf(p, x.port)?.metadata?.name ?? '-'}`).join(';')].join('|'));
  }

  public serverOf(pod: LinkerdPod, port: number): KubeObject | undefined {
    const portName = pod.ports.find(p => p.port === port)?.name;
    return (this.serversByNamespace.get(pod.namespace) ?? [])
      .filter(s => LabelSelector.selects(s.spec?.podSelector, pod.labels) && (s.spec?.port === port || (portName !== undefined && s.spec?.port === portName)))
      .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))[0];
  }

  public routes(server: KubeObject): RouteMatch[] {
    return this.routesByServer.get(`${server.metadata?.namespace ?? 'default'}/${server.metadata?.name}`) ?? [];
  }

  /** AuthorizationPolicies on a Server (and its namespace), or on one route. */
  public policiesOn(kind: string, namespace: string, name: unknown): KubeObject[] {
    return this.policiesByTarget.get(`${kind}/${namespace}/${name}`) ?? [];
  }

  public serverPolicies(server: KubeObject): KubeObject[] {
    const ns = server.metadata?.namespace ?? 'default';
    // The legacy ServerAuthorization names its Servers, or selects them by their labels.
    const legacy = (this.serverAuthorizations.get(ns) ?? []).filter(a => a.spec?.server?.name === server.metadata?.name
      || (a.spec?.server?.selector && LabelSelector.selects(a.spec.server.selector, server.metadata?.labels ?? {})));
    return [...this.policiesOn('Server', ns, server.metadata?.name), ...this.policiesOn('Namespace', ns, ns), ...legacy];
  }

  /** Whether every requiredAuthenticationRef of a policy holds for a caller. */
  public authorizes(policy: KubeObject, caller: Caller): Tri {
    if (policy.kind === 'ServerAuthorization') return this.serverAuthorizationAdmits(policy, caller);
    const refs: any[] = policy.spec?.requiredAuthenticationRefs ?? [];
    if (refs.length === 0) return false;
    let result: Tri = true;
    const ns = policy.metadata?.namespace ?? 'default';
    for (const ref of refs) {
      result = and(result, this.authenticates(ref, ns, caller));
      if (result === false) return false;
    }
    return result;
  }

  private authenticates(ref: any, namespace: string, caller: Caller): Tri {
    const refNs = ref?.namespace ?? namespace;
    if (ref?.kind === 'ServiceAccount') return identityMatch(caller, [`${ref.name}.${refNs}.serviceaccount.identity.linkerd.${this.trustDomain}`], this.deployedIdentities);
    const target = this.byKindName.get(`${ref?.kind}/${refNs}/${ref?.name}`);
    if (!target) return false; // a reference to nothing authenticates nobody
    if (ref.kind === 'MeshTLSAuthentication') {
      const patterns: string[] = [...(target.spec?.identities ?? [])];
      for (const r of target.spec?.identityRefs ?? []) {
        if (r?.kind === 'ServiceAccount') patterns.push(`${r.name}.${r.namespace ?? refNs}.serviceaccount.identity.linkerd.${this.trustDomain}`);
        if (r?.kind === 'Namespace') patterns.push(`*.${r.name}.serviceaccount.identity.linkerd.${this.trustDomain}`);
      }
      return identityMatch(caller, patterns, this.deployedIdentities);
    }
    if (ref.kind === 'NetworkAuthentication') {
      const nets: any[] = target.spec?.networks ?? [];
      if (nets.some(n => (n?.cidr === '0.0.0.0/0' || n?.cidr === '::/0') && !(n.except ?? []).length)) return true;
      return [`the client IP in ${nets.map(n => n?.cidr + ((n?.except ?? []).length ? ` except ${n.except.join(', ')}` : '')).join(', ')}`];
    }
    return false;
  }

  /** A ServerAuthorization's client: networks (all when unset) and unauthenticated, or meshTLS identities. */
  private serverAuthorizationAdmits(authorization: KubeObject, caller: Caller): Tri {
    const client = authorization.spec?.client ?? {};
    const nets: any[] | undefined = client.networks;
    const network: Tri = !nets || nets.some(n => (n?.cidr === '0.0.0.0/0' || n?.cidr === '::/0') && !(n.except ?? []).length) ? true
      : [`the client IP in ${nets.map(n => n?.cidr).join(', ')}`];
    if (client.unauthenticated === true) return network;
    const mesh = client.meshTLS;
    if (!mesh) return false;
    if (mesh.unauthenticatedTLS === true) return and(network, caller.identity === null ? ['a TLS connection from the client'] : true);
    const ns = authorization.metadata?.namespace ?? 'default';
    const patterns: string[] = [...(mesh.identities ?? []),
      ...(mesh.serviceAccounts ?? []).map((a: any) => `${a.name}.${a.namespace ?? ns}.serviceaccount.identity.linkerd.${this.trustDomain}`)];
    return and(network, identityMatch(caller, patterns, this.deployedIdentities));
  }

  /** What a Server's (or a default policy's) access policy admits for a caller. */
  public accessPolicy(policy: string, caller: Caller): Tri {
    switch (policy) {
      case 'all-unauthenticated': case 'audit': return true;
      case 'cluster-unauthenticated': return caller.pod ? true : ['the client IP in the cluster networks'];
      case 'all-authenticated': return caller.identity === null ? false : caller.identity === undefined ? ['a meshed identity'] : true;
      case 'cluster-authenticated': return caller.identity === null ? false : caller.pod ? true : ['a meshed identity of this cluster'];
      default: return false;
    }
  }

  public callerOf(from: string): Caller {
    const pod = this.byId.get(from);
    if (pod) return { id: pod.id, identity: pod.meshed ? identityOf(pod, this.trustDomain) : null, pod };
    if (from === NO_IDENTITY) return { id: from, identity: null };
    return { id: from, identity: from };
  }
}

/**
 * Whether a caller's identity matches identity patterns (`*`, `*.suffix`, exact). For an identity the YAML does not
 * deploy, exact identities of deployed pods cannot match; anything else depends on which identity it is.
 */
function identityMatch(caller: Caller, patterns: string[], deployed: ReadonlySet<string>): Tri {
  if (caller.identity === null) return false;
  const test = (i: string) => patterns.some(p => p === '*' || p === i || (p.startsWith('*.') && i.endsWith(p.slice(1))));
  if (caller.identity !== undefined) return test(caller.identity);
  const open = patterns.filter(p => p.includes('*') || !deployed.has(p));
  return open.length === 0 ? false : [`the caller's identity in [${open.join(', ')}]`];
}

function routeMatches(route: KubeObject): RouteMatch[] {
  const result: RouteMatch[] = [];
  for (const rule of route.spec?.rules ?? [{}]) {
    const matches: any[] = rule?.matches ?? [{}];
    for (const m of matches.length ? matches : [{}]) {
      let method: string | undefined = m?.method;
      let pathType: RouteMatch['pathType'] = m?.path?.type ?? 'PathPrefix';
      let path: string = m?.path?.value ?? '/';
      if (route.kind === 'GRPCRoute') {
        method = 'POST';
        const svc = m?.method?.service;
        const rpc = m?.method?.method;
        if (svc && rpc) { pathType = 'Exact'; path = `/${svc}/${rpc}`; } else if (svc) { pathType = 'PathPrefix'; path = `/${svc}/`; } else { pathType = 'PathPrefix'; path = '/'; }
      }
      const headers = (m?.headers ?? []).length + (m?.queryParams ?? []).length;
      const pathRank = pathType === 'Exact' ? 3 : pathType === 'RegularExpression' ? 2 : 1;
      result.push({ route, method, pathType, path, headers, rank: [pathRank, pathType === 'PathPrefix' ? path.length : 0, method ? 1 : 0, headers] });
    }
  }
  return result;
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function pathMatches(m: RouteMatch, path: string): boolean {
  const bare = path.split('?')[0];
  if (m.pathType === 'Exact') return bare === m.path;
  if (m.pathType === 'RegularExpression') return new RegExp(`^(?:${m.path})$`).test(bare);
  const prefix = m.path.replace(/\/$/, '');
  return prefix === '' || bare === prefix || bare.startsWith(`${prefix}/`);
}

/** A path of a route as the matrix shows it: templates where the regular expression is one (`[^/]+` is `{*}`). */
function shownPath(m: RouteMatch): string {
  if (m.pathType === 'Exact') return m.path;
  if (m.pathType === 'PathPrefix') return m.path === '/' ? '' : `${m.path.replace(/\/$/, '')}/{**}`;
  const template = m.path.replace(/\/\.\*$/, '/{**}').replace(/\[\^\/\]\+/g, '{*}');
  return /[\\^$()[\]|+?.*]/.test(template.replace(/\{\*\*?\}/g, '')) ? `~${m.path}` : template;
}

/** Decides one request under Linkerd. */
function decideLinkerd(ev: LinkerdEvaluator, request: AccessRequest): AccessDecision {
  const pod = ev.byId.get(request.to);
  if (!pod) return { decision: 'denied', reasons: [`no workload ${request.to}`] };
  if (!pod.meshed) return { decision: 'allowed', reasons: [] };
  const caller = ev.callerOf(request.from);
  const server = ev.serverOf(pod, request.port);
  const probe = request.method === 'GET' && request.path !== undefined && (pod.ports.find(p => p.port === request.port)?.probePaths ?? []).includes(request.path.split('?')[0]);
  const verdict = (tri: Tri, why: string): AccessDecision => (tri === true ? { decision: 'allowed', reasons: [] } : tri === false ? { decision: 'denied', reasons: [why] } : { decision: 'depends', reasons: tri });
  if (!server) {
    if (probe && pod.defaultPolicy !== 'deny') return { decision: 'allowed', reasons: [] };
    return verdict(ev.accessPolicy(pod.defaultPolicy, caller), `default policy ${pod.defaultPolicy}`);
  }
  const http = HTTP_PROTOCOLS.has(server.spec?.proxyProtocol ?? 'unknown') && request.method !== undefined;
  const routes = http ? ev.routes(server) : [];
  let policies = ev.serverPolicies(server);
  if (http && routes.length > 0) {
    const chosen = routes.find(m => (!m.method || m.method === request.method) && pathMatches(m, request.path ?? '/'));
    if (!chosen) return { decision: 'denied', reasons: ['no route of the Server matches'] };
    if (chosen.headers > 0) return { decision: 'depends', reasons: [`the request's headers (route ${chosen.route.metadata?.name} matches on them)`] };
    policies = [...policies, ...ev.policiesOn(chosen.route.kind!, chosen.route.metadata?.namespace ?? 'default', chosen.route.metadata?.name)];
  } else if (http && probe) {
    return { decision: 'allowed', reasons: [] }; // the default probe route of a Server without routes
  } else if (!http && HTTP_PROTOCOLS.has(server.spec?.proxyProtocol ?? 'unknown') && server.spec?.proxyProtocol !== 'unknown') {
    return { decision: 'denied', reasons: ['the Server expects HTTP'] };
  }
  const depends: string[] = [];
  for (const p of policies) {
    const tri = ev.authorizes(p, caller);
    if (tri === true) return { decision: 'allowed', reasons: [] };
    if (tri !== false) depends.push(...tri);
  }
  const access = ev.accessPolicy(server.spec?.accessPolicy ?? 'deny', caller);
  if (access === true) return { decision: 'allowed', reasons: [] };
  if (access !== false) depends.push(...access);
  return depends.length ? { decision: 'depends', reasons: depends } : { decision: 'denied', reasons: ['no AuthorizationPolicy admits the caller'] };
}

/** The callers a policy admits: pods by identity, plus identities and networks the YAML does not deploy. */
function callersOf(ev: LinkerdEvaluator, policy: KubeObject, knownCallers: Caller[]): Array<{ caller: Caller; depends: string[] }> {
  // A policy that admits clients without identity and without condition admits everyone: one row, `*`.
  if (ev.authorizes(policy, { id: NO_IDENTITY, identity: null }) === true) return [{ caller: { id: ANY_CALLER, identity: undefined }, depends: [] }];
  const result: Array<{ caller: Caller; depends: string[] }> = [];
  for (const caller of knownCallers) {
    const tri = ev.authorizes(policy, caller);
    if (tri !== false) result.push({ caller, depends: tri === true ? [] : tri });
  }
  return result;
}

const PROTOCOL_NAMES: Record<string, string> = { 'HTTP/1': 'http', 'HTTP/2': 'http2', 'gRPC': 'grpc', 'opaque': 'tcp', 'TLS': 'tls', 'unknown': 'unknown' };

/** Computes the Linkerd access matrix of a set of objects. */
export function linkerdAccessMatrix(objects: readonly KubeObject[], options: LinkerdMatrixOptions = {}): AccessMatrix {
  const policy = options.clusterDefaultPolicy ?? 'all-unauthenticated';
  if (!DEFAULT_POLICIES.includes(policy)) throw new RangeError(`unknown default inbound policy ${policy}`);
  const ev = new LinkerdEvaluator(objects, options);
  const entries: AccessEntry[] = [];
  const seen = new Set<string>();
  const add = (e: AccessEntry) => { const k = diffKey(e); if (!seen.has(k)) { seen.add(k); entries.push(e); } };
  const workloads: MatrixWorkload[] = [];
  // Callers: every pod, and the two kinds of client the YAML does not deploy.
  const callers: Caller[] = [
    ...ev.pods.map(p => ({ id: p.id, identity: p.meshed ? identityOf(p, ev.trustDomain) : null, pod: p })),
    { id: ANY_IDENTITY, identity: undefined }, { id: NO_IDENTITY, identity: null },
  ];
  // Pods by identity, so that MeshTLS authorizations find their callers without a scan per policy.
  for (const pod of ev.pods) {
    workloads.push({ id: pod.id, principal: pod.meshed ? identityOf(pod, ev.trustDomain) : '', peer: pod.peer, sidecar: pod.meshed, objects: pod.objects.map(o => `${o.kind}/${o.metadata?.name}`), ports: pod.ports.map(p => ({ port: p.port, protocol: 'unknown', mtls: pod.meshed ? 'linkerd' : 'none' })) });
    for (const port of pod.ports) {
      const base = { to: pod.id, port: port.port, notMethods: [], notPaths: [], except: [] };
      if (!pod.meshed) { add({ ...base, from: ANY_CALLER, protocol: 'unknown', methods: [], paths: [], conditions: [], notes: ['not meshed: nothing enforced'], mtls: 'none', policy: '(not meshed)' }); continue; }
      const server = ev.serverOf(pod, port.port);
      const probeRows = (why: string) => { for (const path of port.probePaths) add({ ...base, from: ANY_CALLER, protocol: 'http', methods: ['GET'], paths: [path], conditions: [], notes: [why], mtls: 'linkerd', policy: '(default probe route)' }); };
      if (!server) {
        const caps = new Map<string, string[]>();
        const anyClient = ev.accessPolicy(pod.defaultPolicy, { id: NO_IDENTITY, identity: null });
        const anyMeshed = ev.accessPolicy(pod.defaultPolicy, { id: ANY_IDENTITY, identity: undefined });
        if (anyClient !== false) caps.set(ANY_CALLER, anyClient === true ? [] : anyClient);
        else if (anyMeshed !== false) caps.set(ANY_IDENTITY, anyMeshed === true ? [] : anyMeshed);
        for (const [from, depends] of caps) add({ ...base, from, protocol: 'unknown', methods: [], paths: [], conditions: depends, notes: [`no Server: default policy ${pod.defaultPolicy}`], mtls: 'linkerd', policy: `(default ${pod.defaultPolicy})` });
        if (pod.defaultPolicy !== 'deny') probeRows(`Linkerd's default probe route (no Server, default ${pod.defaultPolicy})`);
        continue;
      }
      const proxyProtocol = server.spec?.proxyProtocol ?? 'unknown';
      const protocol = PROTOCOL_NAMES[proxyProtocol] ?? proxyProtocol;
      const http = HTTP_PROTOCOLS.has(proxyProtocol);
      const routes = http ? ev.routes(server) : [];
      const serverName = String(server.metadata?.name);
      const serverNote = routes.length > 0 ? [`requests that match a route of Server ${serverName}`] : [];
      for (const p of ev.serverPolicies(server)) {
        for (const { caller, depends } of callersOf(ev, p, callers)) add({ ...base, from: caller.id, protocol, methods: [], paths: [], conditions: depends, notes: serverNote, mtls: 'linkerd', policy: `${p.metadata?.namespace}/${p.metadata?.name}` });
      }
      const access = server.spec?.accessPolicy ?? 'deny';
      if (access !== 'deny') {
        const any = ev.accessPolicy(access, { id: NO_IDENTITY, identity: null });
        const meshed = ev.accessPolicy(access, { id: ANY_IDENTITY, identity: undefined });
        const from = any !== false ? ANY_CALLER : ANY_IDENTITY;
        const tri = any !== false ? any : meshed;
        if (tri !== false) add({ ...base, from, protocol, methods: [], paths: [], conditions: tri === true ? [] : tri, notes: [...serverNote, `Server accessPolicy ${access}`], mtls: 'linkerd', policy: `(Server ${serverName})` });
      }
      if (http && routes.length === 0) probeRows(`Linkerd's default probe route (Server ${serverName} has no routes)`);
      const routeRows = new Map<string, { from: string; depends: string[]; policy: string; pairs: Array<[string, string]>; probe: boolean }>();
      for (const m of routes) {
        const route = m.route;
        const isProbe = m.method === 'GET' && m.pathType === 'Exact' && port.probePaths.includes(m.path);
        for (const p of ev.policiesOn(route.kind!, route.metadata?.namespace ?? 'default', route.metadata?.name)) {
          for (const { caller, depends } of callersOf(ev, p, callers)) {
            const probeForAll = isProbe && caller.id === ANY_CALLER;
            const groupKey = `${caller.id}|${depends.join(';')}|${probeForAll}`;
            const group = routeRows.get(groupKey) ?? { from: caller.id, depends, policy: `${p.metadata?.namespace}/${p.metadata?.name}`, pairs: [], probe: probeForAll };
            group.pairs.push([m.method ?? '', shownPath(m)]);
            routeRows.set(groupKey, group);
          }
        }
      }
      for (const g of routeRows.values()) {
        for (const [methods, paths] of groupPairs(g.pairs)) {
          add({ ...base, from: g.from, protocol, methods, paths, conditions: g.depends, notes: g.probe ? ['probe route: the kubelet\'s probes, unauthenticated'] : [], mtls: 'linkerd', policy: g.policy });
        }
      }
    }
  }
  const keys = new Map(entries.map(e => [e, key(e)]));
  entries.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
  return withEvaluator({ workloads, entries, notEnforced: [] }, { decide: request => decideLinkerd(ev, request) });
}

/** Method-path pairs as rows: one row of methods x paths when the pairs are exactly that product, else per method. */
function groupPairs(pairs: Array<[string, string]>): Array<[string[], string[]]> {
  const methods = [...new Set(pairs.map(p => p[0]))].sort();
  const paths = [...new Set(pairs.map(p => p[1]))].sort();
  const set = new Set(pairs.map(p => p.join(' ')));
  const shown = (m: string[], p: string[]): [string[], string[]] => [m.filter(x => x !== ''), p.filter(x => x !== '')];
  if (set.size === methods.length * paths.length && !(methods.includes('') && methods.length > 1) && !(paths.includes('') && paths.length > 1)) return [shown(methods, paths)];
  // Any path ('') of a method holds its narrower routes' paths: the row is the method on any path.
  return methods.map(m => {
    const ofMethod = [...new Set(pairs.filter(p => p[0] === m).map(p => p[1]))].sort();
    return shown([m], ofMethod.includes('') ? [] : ofMethod);
  });
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
