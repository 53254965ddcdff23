import { ambientView, isAmbient } from './ambient';
import { KubeObject, PeerWorkload } from './inventory';
import { Alternative, CallerIdentity, Cell, cellOf, expandTrustDomains, hasTargetRefs, HttpOperation, isDryRun, policyId, PolicyIndex } from './istio/authorization';
import { IstioMeshConfig, resolveMeshConfig, ResolvedMeshConfig } from './istio/mesh-config';
import { MeshPod, meshPods, PodPort } from './istio/mesh-pods';
import { mergeAlike } from './workload-names';
import { PeerAuthentications } from './istio/peer-authentication';
import { pathMatch, stringMatch } from './istio/string-match';

/**
 * Who can call whom under Istio (sidecars), decided as istiod and Envoy decide it (see docs/review.md):
 * one row per caller, destination port and ALLOW rule alternative that admits requests, with the methods and
 * paths it admits, what DENY rules carve out of it, and, where the YAML cannot decide (JWTs, headers, IPs,
 * hosts, an external authorizer, callers the YAML does not deploy), "depends on" conditions. `decide` answers
 * for one request exactly.
 */

/** What a DENY rule refuses inside an allowed row. */
export interface AccessException {
  readonly methods: string[];
  readonly paths: string[];
  readonly notMethods?: string[];
  readonly notPaths?: string[];
  /** The DENY policy, `namespace/name`. */
  readonly policy: string;
}

/** One row: a caller may reach a destination port with these requests. */
export interface AccessEntry {
  /**
   * The caller: `namespace/name` of a workload in the YAML; a principal (pattern), `ns:<namespace>` or `sa:<ns>/<name>`
   * for callers a policy names that the YAML does not deploy; `*` for every caller; `(other identities)` for mTLS
   * callers the YAML does not deploy; `(no identity)` for plain-text callers.
   */
  readonly from: string;
  /** The destination workload, `namespace/name`. */
  readonly to: string;
  /** The container port (what AuthorizationPolicy `ports` name). */
  readonly port: number;
  /** The port's protocol as Istio decides it; `unknown` when Istio sniffs (`unknown/http`, `unknown/tcp` when the two differ). */
  readonly protocol: string;
  /** Methods admitted; empty means any. */
  readonly methods: string[];
  /** Paths admitted; empty means any. */
  readonly paths: string[];
  readonly notMethods: string[];
  readonly notPaths: string[];
  /** What DENY rules refuse within this row. */
  readonly except: AccessException[];
  /** What the row depends on that the YAML cannot decide; empty when the row is decided. */
  readonly conditions: string[];
  /** What the row is (a probe route, a Server-wide authorization, no sidecar); no bearing on the decision. */
  readonly notes: string[];
  /** The destination port's mTLS mode, or `none` when its pods run no sidecar. */
  readonly mtls: string;
  /** The ALLOW policy that admits it, `namespace/name`; `(no ALLOW policy)` when none binds the workload. */
  readonly policy: string;
}

/** A port of a workload in the matrix: its protocol and its mTLS mode. */
export interface MatrixPort {
  readonly port: number;
  readonly protocol: string;
  readonly mtls: string;
}

/** A workload as the matrix lists it. */
export interface MatrixWorkload {
  readonly id: string;
  /** Its mTLS identity; empty when it runs no sidecar. */
  readonly principal: string;
  readonly peer: boolean;
  readonly sidecar: boolean;
  /** The objects that deploy its pods, `Kind/name` (several when Istio cannot tell their pods apart). */
  readonly objects: string[];
  readonly ports: MatrixPort[];
}

/** A policy in the YAML that binds no sidecar here, and why. */
export interface UnenforcedPolicy {
  readonly policy: string;
  readonly reason: string;
}

export interface AccessMatrix {
  readonly workloads: MatrixWorkload[];
  readonly entries: AccessEntry[];
  /** Dry-run policies and policies for gateways or waypoints (`targetRef(s)`): listed apart, not applied. */
  readonly notEnforced: UnenforcedPolicy[];
}

/** Options of the matrix. */
export interface AccessMatrixOptions extends IstioMeshConfig {
  /**
   * Workloads other charts deploy.
   * @default - none
   */
  readonly peers?: PeerWorkload[];
}

export const ANY_CALLER = '*';
export const OTHER_IDENTITIES = '(other identities)';
export const NO_IDENTITY = '(no identity)';
const NO_ALLOW_POLICY = '(no ALLOW policy)';
const IDENTITY_SOURCE = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'];
const POSITIVE_SOURCE = ['principals', 'namespaces', 'serviceAccounts', 'trustDomains'];
const IDENTITY_WHEN = new Set(['source.principal', 'source.namespace', 'source.serviceAccount']);

/** Evaluates requests against the objects a matrix was computed from. */
class Evaluator {
  public readonly config: ResolvedMeshConfig;
  public readonly pods: MeshPod[];
  public readonly podById = new Map<string, MeshPod>();
  private readonly podsByPrincipal = new Map<string, MeshPod[]>();
  private readonly podsByNamespace = new Map<string, MeshPod[]>();
  private readonly index: PolicyIndex;
  private readonly peerAuthentications: PeerAuthentications;
  private readonly bound = new Map<MeshPod, KubeObject[]>();
  public readonly notEnforced: UnenforcedPolicy[] = [];

  public constructor(objects: readonly KubeObject[], options: AccessMatrixOptions) {
    this.config = resolveMeshConfig(options);
    const enforced: KubeObject[] = [];
    for (const o of objects) {
      if (o?.kind !== 'AuthorizationPolicy' || !String(o.apiVersion ?? '').startsWith('security.istio.io/')) continue;
      if (isDryRun(o)) this.notEnforced.push({ policy: policyId(o), reason: 'istio.io/dry-run: only logged' });
      else if (hasTargetRefs(o)) this.notEnforced.push({ policy: policyId(o), reason: 'targetRef(s): binds a gateway or waypoint, not sidecars' });
      else enforced.push(o);
    }
    this.index = new PolicyIndex(enforced, this.config);
    this.peerAuthentications = new PeerAuthentications(objects.filter(o => o?.kind === 'PeerAuthentication'), this.config);
    this.pods = this.merge(meshPods(objects, options.peers ?? []));
    for (const p of this.pods) {
      this.podById.set(p.id, p);
      push(this.podsByPrincipal, `${p.namespace}/sa/${p.serviceAccount}`, p);
      push(this.podsByNamespace, p.namespace, p);
    }
  }

  /**
   * Pods of one app that Istio cannot tell apart (same account, sidecar, ports, policies and mTLS modes; e.g. the
   * versions of a canary) are listed once; pods that differ in any of these are separate callers and destinations.
   */
  private merge(pods: MeshPod[]): MeshPod[] {
    return mergeAlike(pods, p => [p.sidecar,
      p.ports.map(x => `${x.port}/${x.protocol}/${this.peerAuthentications.mode(p, x.port)}`).join(','),
      this.index.bound(p).map(policyId).sort().join(',')].join('|'));
  }

  public principalOf(pod: MeshPod): string {
    return `${this.config.trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
  }

  public policies(pod: MeshPod): KubeObject[] {
    let list = this.bound.get(pod);
    if (!list) {
      list = this.index.bound(pod);
      this.bound.set(pod, list);
    }
    return list;
  }

  public mtls(pod: MeshPod, port: number): string {
    return pod.sidecar ? this.peerAuthentications.mode(pod, port) : 'none';
  }

  /** The identity a caller presents at a destination port; `refused` when the port refuses its connection. */
  public identityAt(caller: CallerIdentity & { sidecar?: boolean }, mtls: string): CallerIdentity | 'refused' {
    const plain = caller.principal === null || caller.sidecar === false;
    if (plain) return mtls === 'STRICT' ? 'refused' : { principal: null };
    if (mtls === 'DISABLE') return { principal: null };
    return caller;
  }

  /** Callers whose identity some positive identity value of a rule could name (for `positive` destinations). */
  public namedBy(policies: readonly KubeObject[]): { pods: Set<MeshPod>; outside: Map<string, CallerIdentity> } {
    const pods = new Set<MeshPod>();
    const outside = new Map<string, CallerIdentity>();
    const principal = (value: string) => {
      const parts = value.split('/');
      if (!value.includes('*') && parts.length === 5 && parts[1] === 'ns' && parts[3] === 'sa') {
        // The principals Istio matches for this value (the local trust domain and its aliases stand for each other).
        const expanded = expandTrustDomains([value], this.config);
        const local = expanded.includes(`${this.config.trustDomain}/${parts.slice(1).join('/')}`);
        const found = local ? this.podsByPrincipal.get(`${parts[2]}/sa/${parts[4]}`) ?? [] : [];
        found.forEach(p => pods.add(p));
        // Any other holder of these identities is a caller too: an alias domain's, or one the YAML does not deploy.
        for (const principal of expanded) {
          if (found.length === 0 || !principal.startsWith(`${this.config.trustDomain}/`)) outside.set(principal, { principal });
        }
      } else {
        for (const p of this.pods) if (stringMatch(value, this.principalOf(p))) pods.add(p);
        outside.set(value, { principal: undefined });
      }
    };
    const namespace = (value: string) => {
      if (value.includes('*')) this.pods.forEach(p => { if (stringMatch(value, p.namespace)) pods.add(p); });
      else (this.podsByNamespace.get(value) ?? []).forEach(p => pods.add(p));
      outside.set(`ns:${value}`, { principal: undefined, namespace: value.includes('*') ? undefined : value });
    };
    const serviceAccount = (value: string, policy: KubeObject) => {
      const [ns, sa] = value.includes('/') ? value.split('/', 2) : [policy.metadata?.namespace ?? 'default', value];
      principal(`${this.config.trustDomain}/ns/${ns}/sa/${sa}`);
      // The account in any trust domain, as istiod matches it.
      outside.set(`sa:${ns}/${sa}`, { principal: undefined, namespace: ns, serviceAccount: sa });
    };
    for (const policy of policies) {
      if ((policy.spec?.action ?? 'ALLOW') !== 'ALLOW') continue;
      for (const rule of policy.spec?.rules ?? []) {
        for (const f of rule?.from ?? []) {
          const s = f?.source ?? {};
          (s.principals ?? []).forEach((v: string) => principal(String(v)));
          (s.namespaces ?? []).forEach((v: string) => namespace(String(v)));
          for (const v of s.serviceAccounts ?? []) serviceAccount(String(v), policy);
          if (s.trustDomains) { this.pods.forEach(p => pods.add(p)); outside.set(OTHER_IDENTITIES, { principal: undefined }); }
        }
        for (const w of rule?.when ?? []) {
          if (w?.key === 'source.principal') (w.values ?? []).forEach((v: string) => principal(String(v)));
          if (w?.key === 'source.namespace') (w.values ?? []).forEach((v: string) => namespace(String(v)));
          if (w?.key === 'source.serviceAccount') (w.values ?? []).forEach((v: string) => serviceAccount(String(v), policy));
        }
      }
    }
    return { pods, outside };
  }
}

/** How a destination's callers are listed: all alike, only those its ALLOW rules name, or every caller. */
function callerMode(policies: readonly KubeObject[]): 'alike' | 'named' | 'every' {
  let identity = false;
  let allowNamesEveryCaller = false;
  let open = true;
  for (const policy of policies) {
    const isAllow = (policy.spec?.action ?? 'ALLOW') === 'ALLOW';
    if (isAllow) open = false;
    for (const rule of policy.spec?.rules ?? []) {
      const froms: any[] = rule?.from ?? [];
      const whens: any[] = rule?.when ?? [];
      const usesIdentity = froms.some(f => IDENTITY_SOURCE.some(k => f?.source?.[k] !== undefined)) || whens.some(w => IDENTITY_WHEN.has(w?.key));
      if (usesIdentity) identity = true;
      const positiveWhen = whens.some(w => IDENTITY_WHEN.has(w?.key) && w.values);
      const named = positiveWhen || (froms.length > 0 && froms.every(f => POSITIVE_SOURCE.some(k => f?.source?.[k] !== undefined)));
      if (isAllow && !named) allowNamesEveryCaller = true;
    }
  }
  if (!identity) return 'alike';
  return open || allowNamesEveryCaller ? 'every' : 'named';
}

/** Computes the access matrix of a set of objects. */
export function accessMatrix(objects: readonly KubeObject[], peersOrOptions: readonly PeerWorkload[] | AccessMatrixOptions = {}): AccessMatrix {
  const options: AccessMatrixOptions = Array.isArray(peersOrOptions) ? { peers: peersOrOptions as PeerWorkload[] } : peersOrOptions as AccessMatrixOptions;
  // Ambient splits enforcement between ztunnel and waypoints: composed first into what each pod admits.
  const ev = new Evaluator(isAmbient(objects) ? ambientView(objects, options.peers ?? []) : objects, options);
  const entries: AccessEntry[] = [];
  const seen = new Set<string>();
  const workloads: MatrixWorkload[] = [];
  const add = (e: AccessEntry) => {
    const k = diffKey(e);
    if (!seen.has(k)) { seen.add(k); entries.push(e); }
  };
  for (const callee of ev.pods) {
    const ports = callee.ports.filter(p => p.traffic !== 'udp');
    workloads.push({
      id: callee.id, principal: callee.sidecar ? ev.principalOf(callee) : '', peer: callee.peer, sidecar: callee.sidecar,
      objects: callee.objects.map(o => `${o.kind}/${o.metadata?.name}`),
      ports: ports.map(p => ({ port: p.port, protocol: p.protocol, mtls: ev.mtls(callee, p.port) })),
    });
    if (ports.length === 0) continue;
    if (!callee.sidecar) {
      for (const p of ports) add({ ...row(ANY_CALLER, callee, p, p.protocol, 'none', { op: {}, depends: [], policy: '(no sidecar)' }, [], []), notes: [`no sidecar: ${callee.sidecarReason}`] });
      continue;
    }
    const policies = ev.policies(callee);
    const mode = callerMode(policies);
    const callers: Array<{ id: string; identity: CallerIdentity & { sidecar?: boolean } }> = [];
    if (mode === 'alike') {
      callers.push({ id: ANY_CALLER, identity: { principal: undefined } });
    } else {
      const named = mode === 'named' ? ev.namedBy(policies) : undefined;
      const known = named ? ev.pods.filter(p => named.pods.has(p)) : ev.pods;
      for (const p of known) callers.push({ id: p.id, identity: { principal: p.sidecar ? ev.principalOf(p) : null, sidecar: p.sidecar } });
      if (named) for (const [id, identity] of named.outside) callers.push({ id, identity });
      else callers.push({ id: OTHER_IDENTITIES, identity: { principal: undefined } });
      callers.push({ id: NO_IDENTITY, identity: { principal: null } });
    }
    for (const p of ports) {
      const mtls = ev.mtls(callee, p.port);
      for (const caller of callers) {
        const identity = ev.identityAt(caller.identity, mtls);
        if (identity === 'refused') continue;
        // "Every caller alike" still splits plain-text callers apart where mTLS is required.
        const views = p.traffic === 'sniffed' ? ['http', 'tcp'] : [p.traffic];
        const rowsOf = (view: string, protocol: string) => rowsOfCell(caller.id, callee, p, protocol, mtls, cellOf(policies, identity, p.port, view === 'http', ev.config));
        if (views.length === 1) {
          rowsOf(views[0], p.protocol).forEach(add);
        } else {
          const http = rowsOf('http', p.protocol);
          const tcp = rowsOf('tcp', p.protocol);
          const same = http.length === tcp.length && http.every((e, i) => diffKey(e) === diffKey(tcp[i]) && e.conditions.join() === tcp[i].conditions.join());
          if (same) http.forEach(add);
          else {
            rowsOf('http', `${p.protocol}/http`).forEach(add);
            rowsOf('tcp', `${p.protocol}/tcp`).forEach(add);
          }
        }
      }
    }
  }
  const keys = new Map(entries.map(e => [e, key(e)]));
  entries.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
  return withEvaluator({ workloads, entries, notEnforced: ev.notEnforced }, { decide: request => decideIstio(ev, request) });
}

const EVALUATOR = Symbol('evaluator');

/** Decides requests for a matrix: each mesh's semantics attach one to the matrices they compute. */
export interface RequestEvaluator {
  decide(request: AccessRequest): AccessDecision;
}

/** Attaches a mesh's request evaluator to a matrix it computed (kept out of its JSON). */
export function withEvaluator(matrix: AccessMatrix, evaluator: RequestEvaluator): AccessMatrix {
  Object.defineProperty(matrix, EVALUATOR, { value: evaluator, enumerable: false });
  return matrix;
}

function rowsOfCell(from: string, callee: MeshPod, port: PodPort, protocol: string, mtls: string, cell: Cell): AccessEntry[] {
  const allows: Alternative[] = cell.open ? [{ op: {}, depends: [], policy: NO_ALLOW_POLICY }] : cell.allow;
  const hardDenies = cell.deny.filter(d => d.depends.length === 0);
  const result: AccessEntry[] = [];
  for (const alt of allows) {
    if (hardDenies.some(d => covers(d.op, alt.op))) continue;
    result.push(row(from, callee, port, protocol, mtls, alt, cell.deny, cell.custom));
  }
  return result;
}

function row(from: string, callee: MeshPod, port: PodPort, protocol: string, mtls: string, alt: Alternative, denies: Alternative[], custom: Alternative[]): AccessEntry {
  const conditions = [...alt.depends];
  const except: AccessException[] = [];
  for (const d of denies) {
    if (d.depends.length > 0) conditions.push(`DENY ${d.policy} (${describeOp(d.op)}) if ${d.depends.join(' and ')}`);
    else if (!disjoint(d.op, alt.op)) except.push({ methods: [...(d.op.methods ?? [])], paths: [...(d.op.paths ?? [])], ...(d.op.notMethods ? { notMethods: [...d.op.notMethods] } : {}), ...(d.op.notPaths ? { notPaths: [...d.op.notPaths] } : {}), policy: d.policy });
  }
  for (const c of custom) {
    const on = Object.keys(c.op).length > 0 ? ` on ${describeOp(c.op)}` : '';
    conditions.push(`CUSTOM ${c.policy} decides first${on}${c.depends.length ? ` when ${c.depends.join(' and ')}` : ''}`);
  }
  return {
    from, to: callee.id, port: port.port, protocol,
    methods: [...(alt.op.methods ?? [])].sort(), paths: [...(alt.op.paths ?? [])].sort(),
    notMethods: [...(alt.op.notMethods ?? [])].sort(), notPaths: [...(alt.op.notPaths ?? [])].sort(),
    except, conditions, notes: [], mtls, policy: alt.policy,
  };
}

function describeOp(op: HttpOperation): string {
  const parts: string[] = [];
  if (op.methods) parts.push(op.methods.join(','));
  if (op.notMethods) parts.push(`not ${op.notMethods.join(',')}`);
  if (op.paths) parts.push(op.paths.join(' '));
  if (op.notPaths) parts.push(`not ${op.notPaths.join(' ')}`);
  return parts.join(' ') || 'any request';
}

/** Whether a DENY operation refuses every request an ALLOW operation admits (decided on the literal lists only). */
function covers(deny: HttpOperation, allow: HttpOperation): boolean {
  if (deny.notMethods || deny.notPaths) return false;
  if (deny.methods && !(allow.methods && !allow.notMethods && allow.methods.every(m => !m.includes('*') && deny.methods!.some(d => stringMatch(d, m))))) return false;
  if (deny.paths && !(allow.paths && allow.paths.every(p => !p.includes('*') && !p.includes('{') && deny.paths!.some(d => pathMatch(d, p))))) return false;
  return true;
}

/** Whether no request can match both (decided on exact literal lists only; otherwise they may overlap). */
function disjoint(a: HttpOperation, b: HttpOperation): boolean {
  const literal = (l?: readonly string[]) => l && l.every(x => !x.includes('*') && !x.includes('{'));
  if (literal(a.methods) && literal(b.methods) && !a.methods!.some(m => b.methods!.includes(m))) return true;
  if (literal(a.paths) && literal(b.paths) && !a.paths!.some(p => b.paths!.includes(p))) return true;
  return false;
}

/** A stable identity of an entry: caller, callee, port, methods, paths. */
export function key(e: AccessEntry): string {
  const not = [e.notMethods.length ? ` not ${e.notMethods.join(',')}` : '', e.notPaths.length ? ` not ${e.notPaths.join(',')}` : ''].join('');
  const view = e.protocol.includes('/') ? ` (${e.protocol.split('/')[1]})` : '';
  return `${e.from} -> ${e.to}:${e.port} ${e.methods.join(',') || '*'} ${e.paths.join(',') || '*'}${not}${view}`;
}

/** An entry with what DENY rules refuse within it and what it depends on: a change to either is a change of access. */
export function diffKey(e: AccessEntry): string {
  const except = e.except.map(x => `${x.methods.join(',') || '*'} ${x.paths.join(',') || '*'}${x.notMethods ? ` not ${x.notMethods.join(',')}` : ''}${x.notPaths ? ` not ${x.notPaths.join(',')}` : ''}`).sort();
  const depends = e.conditions.length > 0 ? ` if ${[...e.conditions].sort().join('; ')}` : '';
  return `${key(e)}${except.length > 0 ? ` except ${except.join('; ')}` : ''}${depends}`;
}

/** One request. */
export interface AccessRequest {
  /** The caller: a workload `namespace/name`, an mTLS principal the YAML does not deploy, or `(no identity)`. */
  readonly from: string;
  /** The destination workload, `namespace/name`. */
  readonly to: string;
  /** The destination's container port. */
  readonly port: number;
  /** An HTTP request's method; absent for a connection that is not HTTP. */
  readonly method?: string;
  readonly path?: string;
}

/** Istio's decision on one request: allowed, denied, or depends on what the YAML cannot decide. */
export interface AccessDecision {
  readonly decision: 'allowed' | 'denied' | 'depends';
  /** Why, for `denied` and `depends`. */
  readonly reasons: string[];
}

/** Decides one request exactly as Istio would, from the objects the matrix was computed from. */
export function decide(matrix: AccessMatrix, request: AccessRequest): AccessDecision {
  const evaluator: RequestEvaluator | undefined = (matrix as any)[EVALUATOR];
  if (!evaluator) throw new TypeError('decide() needs a matrix computed by accessMatrix() or linkerdAccessMatrix()');
  return evaluator.decide(request);
}

function decideIstio(ev: Evaluator, request: AccessRequest): AccessDecision {
  const callee = ev.podById.get(request.to);
  if (!callee) return { decision: 'denied', reasons: [`no workload ${request.to}`] };
  const port = callee.ports.find(p => p.port === request.port);
  if (!callee.sidecar) return { decision: 'allowed', reasons: [] };
  if (port?.traffic === 'udp') return { decision: 'allowed', reasons: ['UDP is not proxied'] };
  const mtls = ev.mtls(callee, request.port);
  const pod = ev.podById.get(request.from);
  const caller: CallerIdentity & { sidecar?: boolean } = pod ? { principal: pod.sidecar ? ev.principalOf(pod) : null, sidecar: pod.sidecar }
    : request.from === NO_IDENTITY ? { principal: null } : { principal: request.from };
  const identity = ev.identityAt(caller, mtls);
  if (identity === 'refused') return { decision: 'denied', reasons: ['mTLS STRICT refuses plain text'] };
  const traffic = port?.traffic ?? 'sniffed';
  if (traffic === 'http' && request.method === undefined) return { decision: 'denied', reasons: ['the port expects HTTP: other bytes fail'] };
  const http = request.method !== undefined && (traffic === 'http' || traffic === 'sniffed');
  const cell = cellOf(ev.policies(callee), identity, request.port, traffic === 'http' || http, ev.config);
  return decideCell(cell, http ? request : {});
}

function decideCell(cell: Cell, request: { method?: string; path?: string }): AccessDecision {
  const reasons: string[] = [];
  for (const d of cell.deny) {
    if (!opMatches(d.op, request)) continue;
    if (d.depends.length === 0) return { decision: 'denied', reasons: [`denied by ${d.policy}`] };
    reasons.push(`DENY ${d.policy} when ${d.depends.join(' and ')}`);
  }
  let allowed = cell.open;
  const allowDepends: string[] = [];
  for (const a of cell.allow) {
    if (!opMatches(a.op, request)) continue;
    if (a.depends.length === 0) allowed = true;
    else allowDepends.push(`ALLOW ${a.policy} when ${a.depends.join(' and ')}`);
  }
  if (!allowed && allowDepends.length === 0) return { decision: 'denied', reasons: [cell.allow.length ? 'no ALLOW rule matches' : 'no ALLOW rule admits this caller'] };
  if (!allowed) reasons.push(...allowDepends);
  for (const c of cell.custom) if (opMatches(c.op, request)) reasons.push(`CUSTOM ${c.policy} decides first`);
  return reasons.length > 0 ? { decision: 'depends', reasons } : { decision: 'allowed', reasons: [] };
}

function opMatches(op: HttpOperation, request: { method?: string; path?: string }): boolean {
  const { method, path } = request;
  if (op.methods && (method === undefined || !op.methods.some(m => stringMatch(m, method)))) return false;
  if (op.notMethods && method !== undefined && op.notMethods.some(m => stringMatch(m, method))) return false;
  if (op.paths && (path === undefined || !op.paths.some(p => pathMatch(p, path)))) return false;
  if (op.notPaths && path !== undefined && op.notPaths.some(p => pathMatch(p, path))) return false;
  return true;
}

/** Whether a request may be allowed (allowed, or depends on what the YAML cannot decide). */
export function allows(matrix: AccessMatrix, request: AccessRequest): boolean {
  return decide(matrix, request).decision !== 'denied';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
