import { K8sObject } from './manifests';

/**
 * A small, independent reading of Istio's authorization semantics, used by the tests to read back
 * who may call whom from the emitted YAML (never from the library's own model).
 * https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */

/** A pod of the mesh: its namespace, labels and identity. */
export interface Pod {
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** Port number to protocol prefix (http, http2, grpc, tcp). */
  portProtocols: Record<number, string>;
}

export interface Request {
  principal: string;
  port: number;
  method?: string;
  path?: string;
  /** The `iss/sub` of a valid JWT the request carries (set by RequestAuthentication); absent without one. */
  requestPrincipal?: string;
  /** The Host header. */
  host?: string;
}

const ROOT_NAMESPACE = 'istio-system';

function selects(selector: any, labels: Record<string, string>): boolean {
  const match = selector?.matchLabels ?? {};
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** The AuthorizationPolicies that apply to a pod: its namespace's (by selector) and the root namespace's selector-less ones. */
export function policiesFor(policies: K8sObject[], pod: Pod): K8sObject[] {
  return policies.filter(p => {
    const ns = p.metadata.namespace;
    if (p.spec?.targetRef || p.spec?.targetRefs) return false; // waypoint/gateway policies do not bind sidecars
    if (ns === pod.namespace) return !p.spec?.selector || selects(p.spec.selector, pod.labels);
    return ns === ROOT_NAMESPACE && !p.spec?.selector;
  });
}

function stringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function pathMatch(pattern: string, path: string): boolean {
  if (!pattern.includes('{')) return stringMatch(pattern, path);
  const want = pattern.split('/');
  const got = path.split('/');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '{**}') return got.length >= i; // any number of remaining segments
    if (i >= got.length) return false;
    if (want[i] === '{*}') { if (got[i] === '') return false; continue; }
    if (want[i] !== got[i]) return false;
  }
  return want.length === got.length;
}

const HTTP_ONLY_OPERATION = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];

/** Whether one rule matches a request. `isTcp`: the port carries no HTTP, so HTTP-only fields cannot match. */
function ruleMatches(rule: any, request: Request, namespaceOfPrincipal: string, isTcp: boolean): boolean {
  if (rule.when && rule.when.length > 0) return false; // conditions on attributes we do not model: treat as not matching
  const from: any[] = rule.from ?? [];
  const sourceOk = from.length === 0 || from.some(f => {
    const s = f.source ?? {};
    if (s.principals && !s.principals.some((p: string) => stringMatch(p, request.principal))) return false;
    if (s.notPrincipals && s.notPrincipals.some((p: string) => stringMatch(p, request.principal))) return false;
    if (s.namespaces && !s.namespaces.some((n: string) => stringMatch(n, namespaceOfPrincipal))) return false;
    if (s.notNamespaces && s.notNamespaces.some((n: string) => stringMatch(n, namespaceOfPrincipal))) return false;
    if (s.requestPrincipals && (request.requestPrincipal === undefined || !s.requestPrincipals.some((p: string) => stringMatch(p, request.requestPrincipal!)))) return false;
    if (s.notRequestPrincipals && request.requestPrincipal !== undefined && s.notRequestPrincipals.some((p: string) => stringMatch(p, request.requestPrincipal!))) return false;
    if (s.ipBlocks || s.remoteIpBlocks || s.notIpBlocks || s.notRemoteIpBlocks) return false;
    return true;
  });
  if (!sourceOk) return false;
  const to: any[] = rule.to ?? [];
  return to.length === 0 || to.some(t => {
    const o = t.operation ?? {};
    if (isTcp && HTTP_ONLY_OPERATION.some(k => o[k] !== undefined)) return false;
    if (o.ports && !o.ports.includes(String(request.port))) return false;
    if (o.notPorts && o.notPorts.includes(String(request.port))) return false;
    const host = request.host?.toLowerCase();
    if (o.hosts && (host === undefined || !o.hosts.some((h: string) => stringMatch(h.toLowerCase(), host)))) return false;
    if (o.notHosts && host !== undefined && o.notHosts.some((h: string) => stringMatch(h.toLowerCase(), host))) return false;
    if (o.methods && (request.method === undefined || !o.methods.includes(request.method))) return false;
    if (o.notMethods && request.method !== undefined && o.notMethods.includes(request.method)) return false;
    if (o.paths && (request.path === undefined || !o.paths.some((p: string) => pathMatch(p, request.path!)))) return false;
    if (o.notPaths && request.path !== undefined && o.notPaths.some((p: string) => pathMatch(p, request.path!))) return false;
    return true;
  });
}

/** Istio's evaluation order for a sidecar: CUSTOM (not modelled: treated as absent), DENY, then ALLOW. */
export function isAllowed(policies: K8sObject[], pod: Pod, request: Request): boolean {
  const applicable = policiesFor(policies, pod);
  const isTcp = (pod.portProtocols[request.port] ?? 'tcp') === 'tcp';
  const callerNs = /\/ns\/([^/]+)\//.exec(request.principal)?.[1] ?? '';
  const matches = (p: K8sObject) => (p.spec?.rules ?? []).some((r: any) => ruleMatches(r, request, callerNs, isTcp));
  const denies = applicable.filter(p => p.spec?.action === 'DENY');
  // A DENY rule with HTTP-only fields denies the whole TCP port.
  if (denies.some(p => (p.spec?.rules ?? []).some((r: any) => ruleMatches(r, request, callerNs, false) || (isTcp && ruleMatches(stripHttp(r), request, callerNs, true))))) return false;
  const allows = applicable.filter(p => (p.spec?.action ?? 'ALLOW') === 'ALLOW');
  if (allows.length === 0) return true;
  return allows.some(matches);
}

function stripHttp(rule: any): any {
  return { ...rule, to: (rule.to ?? []).map((t: any) => {
    const o = { ...(t.operation ?? {}) };
    for (const k of HTTP_ONLY_OPERATION) delete o[k];
    return { operation: o };
  }) };
}

/** Whether mTLS is STRICT for a pod's port: workload PeerAuthentication, then namespace, then the root namespace. */
export function mtlsMode(peerAuthentications: K8sObject[], pod: Pod, port: number): string {
  const inNs = peerAuthentications.filter(p => p.metadata.namespace === pod.namespace);
  const workload = inNs.find(p => p.spec?.selector && selects(p.spec.selector, pod.labels));
  const namespaceWide = inNs.find(p => !p.spec?.selector);
  const mesh = peerAuthentications.find(p => p.metadata.namespace === ROOT_NAMESPACE && !p.spec?.selector);
  const portLevel = workload?.spec?.portLevelMtls?.[String(port)]?.mode;
  if (portLevel && portLevel !== 'UNSET') return portLevel;
  for (const pa of [workload, namespaceWide, mesh]) {
    const mode = pa?.spec?.mtls?.mode;
    if (mode && mode !== 'UNSET') return mode;
  }
  return 'PERMISSIVE';
}
