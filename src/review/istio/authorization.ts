import { KubeObject } from '../inventory';
import { ResolvedMeshConfig } from './mesh-config';
import { MeshPod } from './mesh-pods';
import { LabelSelector } from '../label-selector';
import { and, or, Tri } from '../three-valued';
import { escapeRegex, stringMatch } from './string-match';

/**
 * Istio's AuthorizationPolicy semantics for a sidecar, evaluated for one caller, one destination pod and port, as
 * istiod builds Envoy's RBAC filters (pilot/pkg/security/authz): CUSTOM, then DENY, then ALLOW; `from`, `to` and
 * `when` of a rule are ANDed, the entries of each ORed, values ORed and `not` values negated; on a TCP port an
 * ALLOW rule with any HTTP-only field is dropped whole and a DENY (or CUSTOM) rule loses its HTTP-only fields.
 * What the YAML cannot decide (JWTs, headers, IPs, the Host header, an external authorizer, an identity the YAML
 * does not name) is kept as a "depends on" condition, never guessed.
 */

/** Who calls, as the destination's sidecar sees it. */
export interface CallerIdentity {
  /**
   * The peer certificate's identity `<trust domain>/ns/<namespace>/sa/<account>`; `null` when the caller presents
   * none (plain text); `undefined` for an identity the YAML does not name (see `namespace`).
   */
  readonly principal: string | null | undefined;
  /** The caller's namespace when known although its principal is not. */
  readonly namespace?: string;
  /** The caller's service account (in `namespace`) when known although its trust domain is not. */
  readonly serviceAccount?: string;
}

/** The HTTP part of a rule's operation, decided per request. */
export interface HttpOperation {
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly paths?: readonly string[];
  readonly notPaths?: readonly string[];
}

/** One way a rule matches: an HTTP operation (empty on TCP) and what else must hold that the YAML cannot decide. */
export interface Alternative {
  readonly op: HttpOperation;
  readonly depends: readonly string[];
  /** The policy, `namespace/name`. */
  readonly policy: string;
}

/** The policies of one destination pod and port, reduced for one caller. */
export interface Cell {
  /** No ALLOW policy binds the pod: every request not denied is allowed. */
  readonly open: boolean;
  readonly allow: Alternative[];
  readonly deny: Alternative[];
  readonly custom: Alternative[];
}

const HTTP_ONLY_SOURCE = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_ONLY_OPERATION = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];
const HTTP_ONLY_WHEN = /^request\./;

export function policyId(p: KubeObject): string {
  return `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name}`;
}

export function isDryRun(p: KubeObject): boolean {
  return String(p.metadata?.annotations?.['istio.io/dry-run'] ?? '').toLowerCase() === 'true';
}

/** Policies that bind gateways and waypoints, not sidecars. */
export function hasTargetRefs(p: KubeObject): boolean {
  return p.spec?.targetRef !== undefined || p.spec?.targetRefs !== undefined;
}

/** Finds the AuthorizationPolicies that bind a pod, indexed so that binding stays linear in the pods and policies. */
export class PolicyIndex {
  private readonly wide = new Map<string, KubeObject[]>();
  private readonly byLabel = new Map<string, KubeObject[]>();
  private readonly rootSelected: KubeObject[] = [];

  public constructor(policies: readonly KubeObject[], private readonly config: ResolvedMeshConfig) {
    for (const p of policies) {
      const ns = p.metadata?.namespace ?? 'default';
      const match: Record<string, string> | undefined = p.spec?.selector?.matchLabels;
      const first = match && Object.entries(match)[0];
      if (!first) push(this.wide, ns, p);
      else if (ns === config.rootNamespace) this.rootSelected.push(p);
      else push(this.byLabel, `${ns}\u0000${first[0]}=${first[1]}`, p);
    }
  }

  /** The policies binding a pod: its namespace's (by selector or namespace-wide) and the root namespace's. */
  public bound(pod: MeshPod): KubeObject[] {
    const result = [...(this.wide.get(pod.namespace) ?? [])];
    if (pod.namespace !== this.config.rootNamespace) result.push(...(this.wide.get(this.config.rootNamespace) ?? []));
    const seen = new Set<KubeObject>();
    for (const [k, v] of Object.entries(pod.labels)) {
      for (const p of this.byLabel.get(`${pod.namespace}\u0000${k}=${v}`) ?? []) {
        if (!seen.has(p) && LabelSelector.matchesLabels(p.spec.selector.matchLabels, pod.labels)) { seen.add(p); result.push(p); }
      }
    }
    // In the root namespace a selector matches workloads of every namespace.
    for (const p of this.rootSelected) if (LabelSelector.matchesLabels(p.spec.selector.matchLabels, pod.labels)) result.push(p);
    return result;
  }
}

/** Reduces the enforced policies binding a pod to a cell for one caller, port and kind of traffic. */
export function cellOf(policies: readonly KubeObject[], caller: CallerIdentity, port: number, http: boolean, config: ResolvedMeshConfig): Cell {
  const cell: Cell = { open: true, allow: [], deny: [], custom: [] };
  for (const policy of policies) {
    const action = policy.spec?.action ?? 'ALLOW';
    if (action === 'AUDIT') continue; // audit only logs
    if (action === 'ALLOW') (cell as { open: boolean }).open = false;
    const list = action === 'ALLOW' ? cell.allow : action === 'DENY' ? cell.deny : cell.custom;
    const id = action === 'CUSTOM' ? `${policyId(policy)} (${policy.spec?.provider?.name ?? 'no provider'})` : policyId(policy);
    for (const rule of policy.spec?.rules ?? []) list.push(...alternatives(rule ?? {}, action === 'ALLOW', caller, port, http, config, id));
  }
  return cell;
}

function alternatives(rule: any, isAllow: boolean, caller: CallerIdentity, port: number, http: boolean, config: ResolvedMeshConfig, policy: string): Alternative[] {
  if (!http && isAllow && usesHttp(rule)) return []; // istiod drops the whole rule from the TCP filter
  let when: Tri = true;
  for (const w of rule.when ?? []) when = and(when, condition(w.key, w.values, w.notValues, caller, port, http, config, policy.split('/')[0]));
  if (when === false) return [];
  const froms: any[] = rule.from ?? [];
  let from: Tri = froms.length === 0;
  for (const f of froms) from = or(from, source(f?.source ?? {}, caller, http, config, policy));
  if (from === false) return [];
  const tos: any[] = rule.to ?? [];
  const result: Alternative[] = [];
  for (const t of tos.length === 0 ? [{}] : tos) {
    const o = t?.operation ?? {};
    let tri: Tri = and(when, from);
    tri = and(tri, values(o.ports, o.notPorts, v => String(v) === String(port)));
    if (http) {
      tri = and(tri, unknown(o.hosts, o.notHosts, 'the Host header'));
    }
    if (tri === false) continue;
    const op: HttpOperation = http ? { methods: o.methods, notMethods: o.notMethods, paths: o.paths, notPaths: o.notPaths } : {};
    result.push({ op: prune(op), depends: tri === true ? [] : tri, policy });
  }
  return result;
}

function usesHttp(rule: any): boolean {
  if ((rule.from ?? []).some((f: any) => HTTP_ONLY_SOURCE.some(k => f?.source?.[k] !== undefined))) return true;
  if ((rule.to ?? []).some((t: any) => HTTP_ONLY_OPERATION.some(k => t?.operation?.[k] !== undefined))) return true;
  return (rule.when ?? []).some((w: any) => HTTP_ONLY_WHEN.test(String(w?.key)));
}

function source(s: any, caller: CallerIdentity, http: boolean, config: ResolvedMeshConfig, policy: string): Tri {
  let tri: Tri = true;
  tri = and(tri, principalCondition(s.principals, s.notPrincipals, caller, config));
  tri = and(tri, namespaceCondition(s.namespaces, s.notNamespaces, caller));
  tri = and(tri, serviceAccountCondition(s.serviceAccounts, s.notServiceAccounts, caller, policy.split('/')[0]));
  tri = and(tri, trustDomainCondition(s.trustDomains, s.notTrustDomains, caller, config));
  if (http) tri = and(tri, unknown(s.requestPrincipals, s.notRequestPrincipals, 'the request\'s JWT principal'));
  tri = and(tri, unknown(s.ipBlocks, s.notIpBlocks, 'the source IP'));
  tri = and(tri, unknown(s.remoteIpBlocks, s.notRemoteIpBlocks, 'the client IP'));
  return tri;
}

function condition(key: string, vals: string[] | undefined, nots: string[] | undefined, caller: CallerIdentity, port: number, http: boolean,
  config: ResolvedMeshConfig, policyNamespace: string): Tri {
  switch (key) {
    case 'source.principal': return principalCondition(vals, nots, caller, config);
    case 'source.namespace': return namespaceCondition(vals, nots, caller);
    case 'source.serviceAccount': return serviceAccountCondition(vals, nots, caller, policyNamespace);
    case 'destination.port': return values(vals, nots, v => String(v) === String(port));
    default:
      if (!http && HTTP_ONLY_WHEN.test(key)) return true; // dropped from a DENY rule on TCP (ALLOW rules are dropped before)
      return unknown(vals, nots, key);
  }
}

/** `values` ORed, `notValues` negated, for a decidable attribute. */
function values(vals: readonly unknown[] | undefined, nots: readonly unknown[] | undefined, match: (v: unknown) => boolean): Tri {
  if (vals && !vals.some(match)) return false;
  if (nots && nots.some(match)) return false;
  return true;
}

/** An attribute the YAML cannot decide. */
function unknown(vals: readonly string[] | undefined, nots: readonly string[] | undefined, what: string): Tri {
  const parts: string[] = [];
  if (vals) parts.push(`${what} in [${vals.join(', ')}]`);
  if (nots) parts.push(`${what} not in [${nots.join(', ')}]`);
  return parts.length === 0 ? true : [parts.join(' and ')];
}

/** The principals a rule names, with the local trust domain and its aliases as istiod expands them. */
const expanded = new WeakMap<readonly string[], WeakMap<ResolvedMeshConfig, string[]>>();

export function expandTrustDomains(principals: readonly string[], config: ResolvedMeshConfig): string[] {
  let byConfig = expanded.get(principals);
  if (!byConfig) { byConfig = new WeakMap(); expanded.set(principals, byConfig); }
  let result = byConfig.get(config);
  if (!result) { result = expand(principals, config); byConfig.set(config, result); }
  return result;
}

function expand(principals: readonly string[], config: ResolvedMeshConfig): string[] {
  const domains = [config.trustDomain, ...config.trustDomainAliases];
  const result: string[] = [];
  for (const p of principals) {
    const parts = String(p).split('/');
    if (parts.length !== 5 || parts[0] === '*' || !(domains.includes(parts[0]) || parts[0] === 'cluster.local')) {
      result.push(p);
      continue;
    }
    for (const td of domains) {
      const replaced = [td, ...parts.slice(1)].join('/');
      if (!result.includes(replaced)) result.push(replaced);
    }
  }
  return result;
}

function principalCondition(vals: string[] | undefined, nots: string[] | undefined, caller: CallerIdentity, config: ResolvedMeshConfig): Tri {
  if (!vals && !nots) return true;
  const p = caller.principal;
  if (p === undefined) {
    // A caller known only by its namespace cannot hold a principal of another namespace.
    const other = (v: string) => caller.namespace !== undefined && namespaceOf(v) !== undefined && namespaceOf(v) !== caller.namespace;
    if (vals && vals.every(other)) return false;
    return unknown(vals, nots && nots.filter(v => !other(v)).length ? nots.filter(v => !other(v)) : undefined, 'the caller\'s principal');
  }
  const match = (pattern: string) => p !== null && stringMatch(pattern, p);
  return values(vals && expandTrustDomains(vals, config), nots && expandTrustDomains(nots, config), v => match(String(v)));
}

/** The literal namespace a principal value names (`td/ns/<namespace>/sa/name`), if it names one. */
function namespaceOf(principal: string): string | undefined {
  const parts = principal.split('/');
  return parts.length === 5 && parts[1] === 'ns' && !parts[2].includes('*') ? parts[2] : undefined;
}

/** `namespaces` match the principal's `/ns/<namespace>/` part (istiod writes a regular expression on the principal). */
function namespaceCondition(vals: string[] | undefined, nots: string[] | undefined, caller: CallerIdentity): Tri {
  if (!vals && !nots) return true;
  const p = caller.principal;
  if (p === undefined && caller.namespace === undefined) return unknown(vals, nots, 'the caller\'s namespace');
  const match = (pattern: string) => {
    if (p === null) return false;
    if (p === undefined) return stringMatch(pattern, caller.namespace!);
    const re = new RegExp(`^.*/ns/${escapeRegex(pattern).replace(/\\\*/g, '.*')}/.*$`);
    return re.test(`spiffe://${p}`);
  };
  return values(vals, nots, v => match(String(v)));
}

/** `serviceAccounts`: `namespace/name`, or `name` in the policy's namespace. */
function serviceAccountCondition(vals: string[] | undefined, nots: string[] | undefined, caller: CallerIdentity, policyNamespace: string): Tri {
  if (!vals && !nots) return true;
  const p = caller.principal;
  if (p === undefined) {
    const split = (v: string) => (v.includes('/') ? v.split('/', 2) : [policyNamespace, v]);
    // `serviceAccounts` match the account in any trust domain: a caller known by its account is decided.
    if (caller.namespace !== undefined && caller.serviceAccount !== undefined) {
      const holds = (v: string) => split(v)[0] === caller.namespace && split(v)[1] === caller.serviceAccount;
      return values(vals, nots, v => holds(String(v)));
    }
    if (caller.namespace !== undefined && vals && vals.every(v => split(v)[0] !== caller.namespace)) return false;
    return unknown(vals, nots, 'the caller\'s service account');
  }
  const match = (value: string) => {
    if (p === null) return false;
    const [ns, sa] = value.includes('/') ? value.split('/', 2) : [policyNamespace, value];
    return new RegExp(`^spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?$`).test(`spiffe://${p}`);
  };
  return values(vals, nots, v => match(String(v)));
}

/** `trustDomains`: the trust domain of the caller's principal; the local one stands for its aliases too. */
function trustDomainCondition(vals: string[] | undefined, nots: string[] | undefined, caller: CallerIdentity, config: ResolvedMeshConfig): Tri {
  if (!vals && !nots) return true;
  const p = caller.principal;
  if (p === undefined) return unknown(vals, nots, 'the caller\'s trust domain');
  const domains = [config.trustDomain, ...config.trustDomainAliases];
  const expand = (list: string[] | undefined) => list && list.flatMap(v => (domains.includes(v) ? domains : [v]));
  return values(expand(vals), expand(nots), v => p !== null && stringMatch(String(v), p.split('/')[0]));
}


function prune(op: HttpOperation): HttpOperation {
  const result: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(op)) if (v !== undefined) result[k] = v;
  return result;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
