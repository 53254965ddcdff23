import { ambientView, isAmbient } from './ambient';
import { policyTargets } from './check-authorization';
import { HTTP_PROTOCOLS, Inventory, KubeObject, PeerWorkload, Workload } from './inventory';
import { mtlsMode } from './mtls';
import { pathMatch, stringMatch } from './path-match';

/**
 * Who can call whom, computed from AuthorizationPolicies, PeerAuthentications and workloads as Istio evaluates
 * them for a sidecar (https://istio.io/latest/docs/concepts/security/#authorization-policy-precedence):
 * CUSTOM first (noted, since its decision is external), then DENY, then ALLOW; a workload that no ALLOW
 * policy binds is open to every caller. Policies bind by selector in their namespace, or namespace-wide,
 * or mesh-wide from the root namespace (istio-system).
 */

/** A request pattern that a DENY rule refuses inside an allowed entry. */
export interface AccessException {
  readonly methods: string[];
  readonly paths: string[];
  /** The DENY policy, `namespace/name`. */
  readonly policy: string;
}

/** One allowed call: a caller may reach a workload's port with these methods and paths. */
export interface AccessEntry {
  /**
   * The caller: `namespace/name` of a known workload, or, for callers the YAML does not deploy, the principal
   * (pattern) the rule names, `ns:<namespace>` for a namespace, or `*` for any caller.
   */
  readonly from: string;
  /** The callee, `namespace/name`. */
  readonly to: string;
  readonly port: number;
  /** The port's protocol (`http`, `grpc`, `tcp`, ...), `unknown` when no Service names it. */
  readonly protocol: string;
  /** Empty means any method. */
  readonly methods: string[];
  /** Empty means any path. */
  readonly paths: string[];
  /** What DENY rules refuse within this entry. */
  readonly except: AccessException[];
  /** Conditions the matrix cannot decide (`when`, hosts, negations, ip blocks, CUSTOM providers). */
  readonly conditions: string[];
  /** The callee port's mTLS mode. */
  readonly mtls: string;
  /** The ALLOW policy that grants it, `namespace/name`; `(no ALLOW policy)` when none binds the workload. */
  readonly policy: string;
}

/** A workload as the matrix lists it. */
export interface MatrixWorkload {
  readonly id: string;
  readonly principal: string;
  readonly peer: boolean;
  readonly ports: Array<{ port: number; protocol: string; mtls: string }>;
}

export interface AccessMatrix {
  readonly workloads: MatrixWorkload[];
  readonly entries: AccessEntry[];
}

const HTTP_ONLY = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];
const UNKNOWN = 'unknown';
const SNIFFED = 'port protocol not declared: methods and paths match only if Istio detects HTTP';

/** A port Istio sees no HTTP on (a declared non-HTTP protocol; an undeclared one is sniffed). */
function isOpaque(protocol: string): boolean {
  return protocol !== UNKNOWN && !HTTP_PROTOCOLS.has(protocol);
}
const ANY_CALLER = '*';

export function workloadId(w: Workload): string {
  return `${w.namespace}/${w.name}`;
}

function principalOf(w: Workload): string {
  return `cluster.local/ns/${w.namespace}/sa/${w.serviceAccount}`;
}

function policyId(p: KubeObject): string {
  return `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name}`;
}

interface Caller {
  readonly id: string;
  /** A known workload, or undefined for a pattern of callers the YAML does not deploy. */
  readonly workload?: Workload;
}

/** The callers a rule's `from` admits: known workloads that match, and a pattern for callers not deployed here. */
function callersOf(inventory: Inventory, rule: any, conditions: string[]): Caller[] {
  const froms: any[] = rule.from ?? [];
  if (froms.length === 0) return [{ id: ANY_CALLER }];
  const callers = new Map<string, Caller>();
  for (const { source = {} } of froms) {
    if (source.requestPrincipals || source.notRequestPrincipals || source.ipBlocks || source.notIpBlocks || source.remoteIpBlocks || source.notRemoteIpBlocks) {
      conditions.push(`source ${JSON.stringify(source)}`);
    }
    for (const w of inventory.workloads) {
      if (sourceMatches(source, principalOf(w), w.namespace, w.serviceAccount)) callers.set(workloadId(w), { id: workloadId(w), workload: w });
    }
    for (const id of unknownCallers(inventory, source)) if (!callers.has(id)) callers.set(id, { id });
    if (source.notPrincipals || source.notNamespaces) {
      for (const [k, v] of Object.entries(source)) if (k.startsWith('not')) conditions.push(`${k}: ${(v as string[]).join(', ')}`);
    }
  }
  return [...callers.values()];
}

/**
 * A principal pattern with its trust domain read as the local one (`cluster.local`): the YAML does not say which trust
 * domain the cluster has, and a mesh renders principals in its own, so any exact trust domain counts as local.
 */
function local(pattern: string): string {
  return pattern.replace(/^[^/*]+\/ns\//, 'cluster.local/ns/');
}

function sourceMatches(source: any, principal: string, namespace: string, serviceAccount: string): boolean {
  if (source.principals && !source.principals.some((p: string) => stringMatch(local(p), principal))) return false;
  if (source.notPrincipals && source.notPrincipals.some((p: string) => stringMatch(local(p), principal))) return false;
  if (source.namespaces && !source.namespaces.some((n: string) => stringMatch(n, namespace))) return false;
  if (source.notNamespaces && source.notNamespaces.some((n: string) => stringMatch(n, namespace))) return false;
  if (source.serviceAccounts && !source.serviceAccounts.includes(`${namespace}/${serviceAccount}`)) return false;
  return true;
}

/** Callers a source admits beyond the known workloads. */
function unknownCallers(inventory: Inventory, source: any): string[] {
  if (source.principals) {
    return source.principals.filter((p: string) => p.includes('*') || !inventory.workloadOfPrincipal(p));
  }
  if (source.serviceAccounts) {
    return source.serviceAccounts.filter((sa: string) => !inventory.workloadOfPrincipal(`cluster.local/ns/${sa.replace('/', '/sa/')}`)).map((sa: string) => `sa:${sa}`);
  }
  if (source.namespaces) return source.namespaces.map((n: string) => `ns:${n}`);
  return [ANY_CALLER];
}

/** The operations of a rule, per served port: methods and paths (empty = any), plus undecidable conditions. */
function operationsOn(rule: any, port: number, protocol: string): Array<{ methods: string[]; paths: string[]; conditions: string[] }> | undefined {
  const tos: any[] = rule.to ?? [];
  const list = tos.length === 0 ? [{}] : tos.map(t => t.operation ?? {});
  const result: Array<{ methods: string[]; paths: string[]; conditions: string[] }> = [];
  for (const op of list) {
    if (op.ports && !op.ports.map(Number).includes(port)) continue;
    if (op.notPorts && op.notPorts.map(Number).includes(port)) continue;
    const http = HTTP_ONLY.some(k => op[k] !== undefined);
    if (http && isOpaque(protocol)) continue; // no HTTP request on this port: the operation matches nothing
    const conditions: string[] = [];
    // Listed rather than dropped: access is never under-reported when Istio's sniffing does detect HTTP.
    if (http && protocol === UNKNOWN) conditions.push(SNIFFED);
    for (const k of ['notMethods', 'notPaths', 'hosts', 'notHosts']) if (op[k]) conditions.push(`${k}: ${op[k].join(', ')}`);
    result.push({ methods: [...(op.methods ?? [])].sort(), paths: [...(op.paths ?? [])].sort(), conditions });
  }
  return result;
}

function whenConditions(rule: any): string[] {
  return (rule.when ?? []).map((w: any) => `when ${w.key} ${w.values ? `in ${w.values.join(', ')}` : `not in ${(w.notValues ?? []).join(', ')}`}`);
}

/** Computes the access matrix of a set of objects (and peers deployed elsewhere). */
export function accessMatrix(objects: readonly KubeObject[], peers: readonly PeerWorkload[] = []): AccessMatrix {
  // Ambient splits enforcement between ztunnel and waypoints: composed first into what each pod admits.
  return matrixOf(Inventory.of(isAmbient(objects) ? ambientView(objects, peers) : objects, peers));
}

export function matrixOf(inventory: Inventory): AccessMatrix {
  const bound = new Map<Workload, KubeObject[]>();
  for (const policy of inventory.ofKind('AuthorizationPolicy')) {
    for (const w of policyTargets(inventory, policy)) {
      const list = bound.get(w);
      if (list) list.push(policy);
      else bound.set(w, [policy]);
    }
  }
  const entries: AccessEntry[] = [];
  const workloads: MatrixWorkload[] = [];
  for (const callee of inventory.workloads) {
    const ports = callee.ports.map(p => ({ port: p.port, protocol: p.protocol ?? UNKNOWN, mtls: mtlsMode(inventory, callee, p.port) }));
    workloads.push({ id: workloadId(callee), principal: principalOf(callee), peer: callee.peer, ports });
    const policies = bound.get(callee) ?? [];
    const byAction = (a: string) => policies.filter(p => (p.spec?.action ?? 'ALLOW') === a);
    const custom = byAction('CUSTOM').map(p => `CUSTOM ${policyId(p)} (${p.spec?.provider?.name ?? 'provider'}) decides first`);
    const denies = byAction('DENY');
    const allows = byAction('ALLOW');
    for (const { port, protocol, mtls } of ports) {
      const granted: AccessEntry[] = [];
      if (allows.length === 0) {
        granted.push({ from: ANY_CALLER, to: workloadId(callee), port, protocol, methods: [], paths: [], except: [], conditions: [], mtls, policy: '(no ALLOW policy)' });
      }
      for (const policy of allows) {
        for (const rule of policy.spec?.rules ?? []) {
          const conditions = whenConditions(rule);
          const operations = operationsOn(rule, port, protocol);
          if (!operations || operations.length === 0) continue;
          for (const caller of callersOf(inventory, rule, conditions)) {
            for (const op of operations) {
              granted.push({
                from: caller.id, to: workloadId(callee), port, protocol, methods: op.methods, paths: op.paths,
                except: [], conditions: [...conditions, ...op.conditions], mtls, policy: policyId(policy),
              });
            }
          }
        }
      }
      for (const entry of granted) {
        if (applyDenies(inventory, entry, denies, protocol)) continue;
        entry.conditions.push(...custom);
        if (!entries.some(e => sameEntry(e, entry))) entries.push(entry);
      }
    }
  }
  entries.sort((a, b) => key(a).localeCompare(key(b)));
  return { workloads, entries };
}

/** Applies DENY policies to an entry: true when they refuse it entirely; else records what they refuse within it. */
function applyDenies(inventory: Inventory, entry: AccessEntry, denies: KubeObject[], protocol: string): boolean {
  const caller = inventory.workloads.find(w => workloadId(w) === entry.from);
  for (const policy of denies) {
    for (const rule of policy.spec?.rules ?? []) {
      const froms: any[] = rule.from ?? [];
      const matchesCaller = froms.length === 0 || froms.some(({ source = {} }) => caller
        ? sourceMatches(source, principalOf(caller), caller.namespace, caller.serviceAccount)
        : Object.keys(source).length === 0);
      if (!matchesCaller) {
        if (!caller && froms.length > 0) entry.conditions.push(`DENY ${policyId(policy)} refuses some callers`);
        continue;
      }
      const tos: any[] = rule.to ?? [];
      const ops = tos.length === 0 ? [{}] : tos.map(t => t.operation ?? {});
      for (const op of ops) {
        if (op.ports && !op.ports.map(Number).includes(entry.port)) continue;
        if (op.notPorts && op.notPorts.map(Number).includes(entry.port)) continue;
        const http = HTTP_ONLY.some(k => op[k] !== undefined);
        const onlyPort = !http && !rule.when;
        // On a TCP port a DENY rule with HTTP fields denies every connection (Istio's documented fail-closed).
        if (onlyPort || (http && isOpaque(protocol))) return true;
        if (http && protocol === UNKNOWN) entry.conditions.push(`DENY ${policyId(policy)}: ${SNIFFED}`);
        entry.except.push({ methods: [...(op.methods ?? [])], paths: [...(op.paths ?? [])], policy: policyId(policy) });
        if (rule.when || op.notMethods || op.notPaths || op.hosts || op.notHosts) entry.conditions.push(`DENY ${policyId(policy)} has conditions`);
      }
    }
  }
  return false;
}

function sameEntry(a: AccessEntry, b: AccessEntry): boolean {
  return key(a) === key(b);
}

/** A stable identity of an entry: caller, callee, port, methods, paths. */
export function key(e: AccessEntry): string {
  return `${e.from} -> ${e.to}:${e.port} ${e.methods.join(',') || '*'} ${e.paths.join(',') || '*'}`;
}

/** A request to evaluate against a matrix. */
export interface AccessRequest {
  /** The caller, `namespace/name` (or a principal for callers the YAML does not deploy). */
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
}

/** Whether a matrix allows a request (entries with undecidable conditions count as allowing). */
export function allows(matrix: AccessMatrix, request: AccessRequest): boolean {
  const fromNamespace = request.from.includes('/ns/') ? /\/ns\/([^/]+)\//.exec(request.from)?.[1] : request.from.split('/')[0];
  const callerPrincipal = matrix.workloads.find(w => w.id === request.from)?.principal ?? request.from;
  return matrix.entries.some(e => e.to === request.to && e.port === request.port
    && (e.from === request.from || e.from === ANY_CALLER || (e.from.startsWith('ns:') && stringMatch(e.from.slice(3), fromNamespace ?? ''))
      || (e.from.includes('/ns/') && stringMatch(e.from, callerPrincipal)))
    && opMatches(e.methods, e.paths, request)
    && !e.except.some(x => opMatches(x.methods, x.paths, request)));
}

function opMatches(methods: string[], paths: string[], request: AccessRequest): boolean {
  if (methods.length > 0 && (request.method === undefined || !methods.includes(request.method))) return false;
  if (paths.length > 0 && (request.path === undefined || !paths.some(p => pathMatch(p, request.path!)))) return false;
  return true;
}

