/**
 * An independent evaluator of one concrete request under Istio (sidecars), written from Istio's reference pages
 * (AuthorizationPolicy, PeerAuthentication, protocol selection, sidecar injection) and istiod's RBAC generation
 * (pilot/pkg/security/authz/model), to check the access matrix against. Unlike the matrix it never reasons about
 * what is unknown: every attribute of the request (JWT, headers, IPs, Host, the external authorizer's answer)
 * is given, and the answer is allowed or denied. It imports nothing from src/.
 */

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
}

export interface OracleMesh {
  trustDomain: string;
  aliases: string[];
  rootNamespace: string;
}

/** The calling side: a Deployment of the YAML, or a client outside it with an mTLS identity or none. */
export type OracleSource = { deployment: string; namespace: string } | { principal: string } | { plainText: true };

export interface OracleRequest {
  source: OracleSource;
  /** The destination Deployment and container port. */
  deployment: string;
  namespace: string;
  port: number;
  /** What the client sends: an HTTP request, or bytes that are not HTTP. */
  http?: { method: string; path: string; host: string; headers: Record<string, string>; jwt?: string };
  sourceIp: string;
  /** The external authorizer's answer, for CUSTOM policies. */
  customAllows: boolean;
}

function labelsOf(d: Obj): Record<string, string> {
  return d.spec?.template?.metadata?.labels ?? {};
}

function find(objects: Obj[], kind: string, namespace: string, name: string): Obj | undefined {
  return objects.find(o => o.kind === kind && o.metadata?.name === name && (o.metadata?.namespace ?? 'default') === namespace);
}

/** Sidecar injection: the pod's `sidecar.istio.io/inject` label or annotation, then the namespace's labels. */
export function injected(objects: Obj[], d: Obj): boolean {
  const tpl = d.spec?.template?.metadata ?? {};
  const podSays = tpl.labels?.['sidecar.istio.io/inject'] ?? tpl.annotations?.['sidecar.istio.io/inject'];
  const nsObject = objects.find(o => o.kind === 'Namespace' && o.metadata?.name === (d.metadata?.namespace ?? 'default'));
  const nsLabels = nsObject?.metadata?.labels ?? {};
  if (podSays === 'false') return false;
  if (nsLabels['istio-injection'] === 'disabled') return false;
  if (podSays === 'true') return true;
  if (nsObject === undefined) return true; // not declared in the YAML: taken as an injected namespace
  return nsLabels['istio-injection'] === 'enabled' || 'istio.io/rev' in nsLabels;
}

function serviceAccountOf(d: Obj): string {
  return d.spec?.template?.spec?.serviceAccountName ?? 'default';
}

/** HTTP, TCP or sniffed, for a container port, from the Services that send to it. */
export function portKind(objects: Obj[], d: Obj, port: number): 'http' | 'tcp' | 'sniff' {
  const ns = d.metadata?.namespace ?? 'default';
  const labels = labelsOf(d);
  const containerPorts: any[] = (d.spec?.template?.spec?.containers ?? []).flatMap((c: any) => c.ports ?? []);
  for (const s of objects) {
    if (s.kind !== 'Service' || (s.metadata?.namespace ?? 'default') !== ns) continue;
    const sel = s.spec?.selector ?? {};
    if (Object.keys(sel).length === 0 || Object.keys(sel).some(k => labels[k] !== sel[k])) continue;
    for (const sp of s.spec?.ports ?? []) {
      const t = sp.targetPort ?? sp.port;
      const target = typeof t === 'number' ? t : containerPorts.find(c => c.name === t)?.containerPort;
      if (target !== port) continue;
      return kindOfServicePort(sp);
    }
  }
  return 'sniff';
}

function kindOfServicePort(sp: any): 'http' | 'tcp' | 'sniff' {
  // https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
  let label: string = sp.name ?? '';
  if (sp.appProtocol !== undefined) {
    if (sp.appProtocol === 'kubernetes.io/h2c' || sp.appProtocol === 'kubernetes.io/ws') return 'http';
    if (sp.appProtocol === 'kubernetes.io/wss') return 'tcp';
    label = sp.appProtocol;
  }
  const lower = label.toLowerCase();
  const word = lower.startsWith('grpc-web') ? 'grpc-web' : lower.split('-')[0];
  if (['http', 'http2', 'grpc', 'grpc-web', 'http_proxy'].includes(word)) return 'http';
  if (['tcp', 'https', 'tls', 'mongo', 'mysql', 'redis'].includes(word)) return 'tcp';
  if ([25, 53, 3306, 27017].includes(sp.port)) return 'tcp';
  return 'sniff';
}

function selectorLabels(o: Obj): Record<string, string> | undefined {
  const m = o.spec?.selector?.matchLabels;
  return m && Object.keys(m).length > 0 ? m : undefined;
}

function matchesLabels(sel: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(sel).every(k => labels[k] === sel[k]);
}

/** PeerAuthentication: workload (and its port level) over namespace over the root namespace; UNSET inherits. */
export function peerAuthMode(objects: Obj[], mesh: OracleMesh, d: Obj, port: number): string {
  const ns = d.metadata?.namespace ?? 'default';
  const pas = objects.filter(o => o.kind === 'PeerAuthentication');
  const workload = pas.find(p => p.metadata?.namespace === ns && selectorLabels(p) && matchesLabels(selectorLabels(p)!, labelsOf(d)));
  const nsWide = pas.find(p => p.metadata?.namespace === ns && !selectorLabels(p));
  const meshWide = pas.find(p => p.metadata?.namespace === mesh.rootNamespace && !selectorLabels(p));
  const chain = [workload?.spec?.portLevelMtls?.[port]?.mode, workload?.spec?.mtls?.mode, nsWide?.spec?.mtls?.mode, meshWide?.spec?.mtls?.mode];
  return chain.find(m => m !== undefined && m !== 'UNSET') ?? 'PERMISSIVE';
}

function match(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return value !== '';
  if (pattern[0] === '*') return value.endsWith(pattern.substring(1));
  if (pattern[pattern.length - 1] === '*') return value.startsWith(pattern.substring(0, pattern.length - 1));
  return value === pattern;
}

/** Envoy URI templates: `{*}` one segment, `{**}` the rest (zero or more segments). */
function pathMatches(pattern: string, path: string): boolean {
  if (!pattern.includes('{*}') && !pattern.includes('{**}')) return match(pattern, path);
  const want = pattern.split('/');
  const got = path.split('/');
  let i = 0;
  for (; i < want.length; i++) {
    if (want[i] === '{**}') return got.length > i; // the slash before it is there; the rest may be empty
    if (i >= got.length) return false;
    if (want[i] === '{*}') {
      if (got[i].length === 0) return false;
    } else if (want[i] !== got[i]) return false;
  }
  return got.length === want.length;
}

function ipIn(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, '32'];
  const num = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(num(ip) / size) === Math.floor(num(base) / size);
}

/** Principals with the local trust domain (or `cluster.local`) stand for the local one and every alias. */
function withAliases(values: string[], mesh: OracleMesh): string[] {
  const all = [mesh.trustDomain, ...mesh.aliases];
  return values.flatMap(v => {
    const parts = v.split('/');
    if (parts.length === 5 && parts[0] !== '*' && (all.includes(parts[0]) || parts[0] === 'cluster.local')) {
      return all.map(td => [td, ...parts.slice(1)].join('/'));
    }
    return [v];
  });
}

interface Seen {
  /** The peer identity, or undefined for plain text. */
  principal?: string;
  http?: OracleRequest['http'];
  port: number;
  sourceIp: string;
}

function nsOfPrincipal(p: string | undefined): string | undefined {
  if (p === undefined) return undefined;
  const m = /\/ns\/([^/]+)\//.exec(p);
  return m ? m[1] : undefined;
}

/** One key's check: `values` any-of, `notValues` none-of. For `missing` attributes (HTTP-only on TCP) istiod drops the key. */
function check(vals: string[] | undefined, nots: string[] | undefined, test: (v: string) => boolean): boolean {
  if (vals !== undefined && !vals.some(test)) return false;
  if (nots !== undefined && nots.some(test)) return false;
  return true;
}

function sourceOk(s: any, seen: Seen, mesh: OracleMesh, policyNs: string): boolean {
  const p = seen.principal;
  const td = p?.split('/')[0];
  const all = [mesh.trustDomain, ...mesh.aliases];
  const tds = (l?: string[]) => l?.flatMap(v => (all.includes(v) ? all : [v]));
  const sa = (v: string) => {
    if (p === undefined) return false;
    const [n, a] = v.includes('/') ? v.split('/') : [policyNs, v];
    const parts = p.split('/');
    return parts[1] === 'ns' && parts[2] === n && parts[3] === 'sa' && parts[4] === a;
  };
  return check(s.principals && withAliases(s.principals, mesh), s.notPrincipals && withAliases(s.notPrincipals, mesh), v => match(v, p))
    && check(s.namespaces, s.notNamespaces, v => match(v, nsOfPrincipal(p)))
    && check(s.serviceAccounts, s.notServiceAccounts, sa)
    && check(tds(s.trustDomains), tds(s.notTrustDomains), v => match(v, td))
    && (seen.http === undefined || check(s.requestPrincipals, s.notRequestPrincipals, v => match(v, seen.http!.jwt)))
    && check(s.ipBlocks, s.notIpBlocks, v => ipIn(v, seen.sourceIp))
    && check(s.remoteIpBlocks, s.notRemoteIpBlocks, v => ipIn(v, seen.sourceIp));
}

function operationOk(o: any, seen: Seen): boolean {
  const h = seen.http;
  return check(o.ports, o.notPorts, v => v === String(seen.port))
    && (h === undefined || (check(o.hosts, o.notHosts, v => match(v.toLowerCase(), h.host.toLowerCase()))
      && check(o.methods, o.notMethods, v => match(v, h.method))
      && check(o.paths, o.notPaths, v => pathMatches(v, h.path))));
}

function conditionOk(w: any, seen: Seen, mesh: OracleMesh): boolean {
  const key: string = w.key;
  const h = seen.http;
  if (key.startsWith('request.headers[')) {
    if (!h) return true;
    const name = key.slice('request.headers['.length, -1).toLowerCase();
    return check(w.values, w.notValues, v => match(v, h.headers[name]));
  }
  if (key === 'request.auth.principal') return !h || check(w.values, w.notValues, v => match(v, h.jwt));
  if (key === 'source.ip' || key === 'remote.ip') return check(w.values, w.notValues, v => ipIn(v, seen.sourceIp));
  if (key === 'source.namespace') return check(w.values, w.notValues, v => match(v, nsOfPrincipal(seen.principal)));
  if (key === 'source.principal') return check(w.values && withAliases(w.values, mesh), w.notValues && withAliases(w.notValues, mesh), v => match(v, seen.principal));
  if (key === 'destination.port') return check(w.values, w.notValues, v => v === String(seen.port));
  throw new Error(`oracle: unsupported when key ${key}`);
}

const HTTP_SOURCE = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];

function httpOnly(rule: any): boolean {
  return (rule.from ?? []).some((f: any) => HTTP_SOURCE.some(k => k in (f.source ?? {})))
    || (rule.to ?? []).some((t: any) => HTTP_OPERATION.some(k => k in (t.operation ?? {})))
    || (rule.when ?? []).some((w: any) => String(w.key).startsWith('request.'));
}

function ruleMatches(rule: any, seen: Seen, mesh: OracleMesh, policyNs: string): boolean {
  const from: any[] = rule.from ?? [];
  const to: any[] = rule.to ?? [];
  return (from.length === 0 || from.some(f => sourceOk(f.source ?? {}, seen, mesh, policyNs)))
    && (to.length === 0 || to.some(t => operationOk(t.operation ?? {}, seen)))
    && (rule.when ?? []).every((w: any) => conditionOk(w, seen, mesh));
}

/** The AuthorizationPolicies enforced on a Deployment's pods. */
function bindingPolicies(objects: Obj[], mesh: OracleMesh, d: Obj): Obj[] {
  const ns = d.metadata?.namespace ?? 'default';
  return objects.filter(p => {
    if (p.kind !== 'AuthorizationPolicy') return false;
    if (p.metadata?.annotations?.['istio.io/dry-run'] === 'true') return false;
    if (p.spec?.targetRef || p.spec?.targetRefs) return false;
    const sel = selectorLabels(p);
    const pns = p.metadata?.namespace ?? 'default';
    if (pns === mesh.rootNamespace) return !sel || matchesLabels(sel, labelsOf(d));
    return pns === ns && (!sel || matchesLabels(sel, labelsOf(d)));
  });
}

/** Istio's answer to one request. */
export function istioAllows(objects: Obj[], mesh: OracleMesh, r: OracleRequest): boolean {
  const dest = find(objects, 'Deployment', r.namespace, r.deployment);
  if (!dest) throw new Error(`oracle: no Deployment ${r.namespace}/${r.deployment}`);
  if (!injected(objects, dest)) return true; // nothing enforces policy without a sidecar
  const mode = peerAuthMode(objects, mesh, dest, r.port);
  let principal: string | undefined;
  let plain: boolean;
  if ('deployment' in r.source) {
    const src = find(objects, 'Deployment', r.source.namespace, r.source.deployment)!;
    plain = !injected(objects, src);
    principal = plain ? undefined : `${mesh.trustDomain}/ns/${r.source.namespace}/sa/${serviceAccountOf(src)}`;
  } else if ('principal' in r.source) {
    plain = false;
    principal = r.source.principal;
  } else {
    plain = true;
  }
  if (plain && mode === 'STRICT') return false;
  if (mode === 'DISABLE') principal = undefined;
  const kind = portKind(objects, dest, r.port);
  if (kind === 'http' && r.http === undefined) return false; // the HTTP connection manager cannot parse it
  const isHttp = r.http !== undefined && kind !== 'tcp';
  const seen: Seen = { principal, http: isHttp ? r.http : undefined, port: r.port, sourceIp: r.sourceIp };
  const policies = bindingPolicies(objects, mesh, dest);
  const act = (p: Obj) => p.spec?.action ?? 'ALLOW';
  const rulesOf = (p: Obj): any[] => p.spec?.rules ?? [];
  // On TCP istiod drops the HTTP-only keys of DENY and CUSTOM rules (they match more) and ALLOW rules with any.
  const tcpView = (rule: any) => ({
    from: rule.from?.map((f: any) => ({ source: strip(f.source, HTTP_SOURCE) })),
    to: rule.to?.map((t: any) => ({ operation: strip(t.operation, HTTP_OPERATION) })),
    when: rule.when?.filter((w: any) => !String(w.key).startsWith('request.')),
  });
  const matchesAny = (p: Obj, widen: boolean) => rulesOf(p).some(rule => {
    if (isHttp) return ruleMatches(rule, seen, mesh, p.metadata?.namespace ?? 'default');
    if (!widen && httpOnly(rule)) return false;
    return ruleMatches(widen ? tcpView(rule) : rule, seen, mesh, p.metadata?.namespace ?? 'default');
  });
  if (policies.some(p => act(p) === 'CUSTOM' && matchesAny(p, true)) && !r.customAllows) return false;
  if (policies.some(p => act(p) === 'DENY' && matchesAny(p, true))) return false;
  const allows = policies.filter(p => act(p) === 'ALLOW');
  return allows.length === 0 || allows.some(p => matchesAny(p, false));
}

function strip(o: any, keys: string[]): any {
  if (!o) return o;
  const copy = { ...o };
  for (const k of keys) delete copy[k];
  return copy;
}
