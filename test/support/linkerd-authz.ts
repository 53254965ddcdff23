import { K8sObject } from './manifests';

/**
 * A small, independent reading of Linkerd's inbound authorization, used by the tests to read back who may
 * call whom from the emitted YAML (never from the library's own model).
 * https://linkerd.io/2/reference/authorization-policy/ and the Gateway API HTTPRoute match precedence.
 * - a Server selects pod labels and one port; without a Server, the namespace's default inbound policy applies;
 * - with no HTTPRoute on the Server every request is on its default route; with routes, a request goes to the
 *   single most specific matching route (exact path, then regular expression, then the longest prefix; a method
 *   before none; then name order), and one that matches none is refused;
 * - an AuthorizationPolicy on the Server (or the Namespace) covers every route; one on an HTTPRoute, that route;
 *   all of its requiredAuthenticationRefs must match the client.
 */

export interface LinkerdPod {
  namespace: string;
  labels: Record<string, string>;
}

/** A client: a meshed identity (ServiceAccount in a namespace), or an unmeshed source such as the kubelet. */
export interface LinkerdRequest {
  serviceAccount?: { name: string; namespace: string };
  /** Source IPv4 address of the client. */
  sourceIp: string;
  port: number;
  method?: string;
  path?: string;
}

export interface Decision {
  allowed: boolean;
  server?: string;
  route?: string;
  why: string;
}

const TRUST_DOMAIN = 'cluster.local';

function selects(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const match = selector.matchLabels ?? {};
  if ((selector.matchExpressions ?? []).length > 0) return false; // not used by soma-mesh: never selects here
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** The Servers that select this pod and port (Linkerd admits at most one). */
export function serversFor(objects: K8sObject[], pod: LinkerdPod, port: number): K8sObject[] {
  return objects.filter(o => o.kind === 'Server' && o.apiVersion.startsWith('policy.linkerd.io/')
    && o.metadata.namespace === pod.namespace && selects(o.spec.podSelector, pod.labels) && Number(o.spec.port) === port);
}

function routesOf(objects: K8sObject[], namespace: string, server: string): K8sObject[] {
  return objects.filter(o => o.kind === 'HTTPRoute' && o.metadata.namespace === namespace
    && (o.spec.parentRefs ?? []).some((p: any) => p.kind === 'Server' && p.name === server && (p.namespace ?? namespace) === namespace));
}

function pathMatches(match: any, path: string | undefined): boolean {
  const p = match.path;
  if (!p) return true;
  if (path === undefined) return false;
  const type = p.type ?? 'PathPrefix';
  if (type === 'Exact') return path === p.value;
  if (type === 'RegularExpression') return new RegExp(`^(?:${p.value})$`).test(path);
  const prefix = p.value.replace(/\/$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function matchRank(match: any): number[] {
  const type = match.path?.type ?? (match.path ? 'PathPrefix' : undefined);
  const pathRank = type === 'Exact' ? 3 : type === 'RegularExpression' ? 2 : type === 'PathPrefix' ? 1 : 0;
  return [pathRank, type === 'PathPrefix' ? match.path.value.length : 0, match.method ? 1 : 0, (match.headers ?? []).length];
}

function better(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** The route a request goes to, or undefined when routes exist and none matches. */
export function selectRoute(routes: K8sObject[], request: LinkerdRequest): K8sObject | undefined {
  let best: { route: K8sObject; rank: number[] } | undefined;
  for (const route of [...routes].sort((x, y) => x.metadata.name.localeCompare(y.metadata.name))) {
    for (const rule of route.spec.rules ?? [{}]) {
      for (const match of rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) {
        if (match.method && match.method !== request.method) continue;
        if ((match.headers ?? []).length > 0 || (match.queryParams ?? []).length > 0) continue; // not modelled: never matches
        if (!pathMatches(match, request.path)) continue;
        const rank = matchRank(match);
        if (!best || better(rank, best.rank)) best = { route, rank };
      }
    }
  }
  return best?.route;
}

function ipInCidr(ip: string, cidr: string): boolean {
  if (cidr.includes(':')) return false; // requests here are IPv4
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}

function authenticates(objects: K8sObject[], namespace: string, ref: any, request: LinkerdRequest): boolean {
  const refNs = ref.namespace ?? namespace;
  const sa = request.serviceAccount;
  if (ref.kind === 'ServiceAccount') return !!sa && sa.name === ref.name && sa.namespace === refNs;
  const target = objects.find(o => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === refNs);
  if (!target) return false; // a reference to nothing authenticates nobody
  if (ref.kind === 'MeshTLSAuthentication') {
    if (!sa) return false;
    const identity = `${sa.name}.${sa.namespace}.serviceaccount.identity.linkerd.${TRUST_DOMAIN}`;
    const byString = (target.spec.identities ?? []).some((i: string) => i === '*' || i === identity || (i.startsWith('*.') && identity.endsWith(i.slice(1))));
    const byRef = (target.spec.identityRefs ?? []).some((r: any) => (r.kind === 'ServiceAccount' && r.name === sa.name && (r.namespace ?? refNs) === sa.namespace)
      || (r.kind === 'Namespace' && r.name === sa.namespace));
    return byString || byRef;
  }
  if (ref.kind === 'NetworkAuthentication') {
    return (target.spec.networks ?? []).some((n: any) => ipInCidr(request.sourceIp, n.cidr) && !(n.except ?? []).some((e: string) => ipInCidr(request.sourceIp, e)));
  }
  return false;
}

/** Linkerd's decision for a request to a pod, with the Server and route it landed on. */
export function decide(objects: K8sObject[], pod: LinkerdPod, request: LinkerdRequest, defaultPolicy: string): Decision {
  const servers = serversFor(objects, pod, request.port);
  if (servers.length > 1) return { allowed: false, why: `overlapping Servers ${servers.map(s => s.metadata.name)}` };
  if (servers.length === 0) {
    const allowed = defaultPolicy === 'all-unauthenticated' || (defaultPolicy.includes('authenticated') && !!request.serviceAccount);
    return { allowed, why: `no Server: default ${defaultPolicy}` };
  }
  const server = servers[0];
  const ns = pod.namespace;
  const routes = routesOf(objects, ns, server.metadata.name);
  const route = routes.length > 0 ? selectRoute(routes, request) : undefined;
  if (routes.length > 0 && !route) return { allowed: false, server: server.metadata.name, why: 'no route matches' };
  const policies = objects.filter(o => o.kind === 'AuthorizationPolicy' && o.apiVersion.startsWith('policy.linkerd.io/') && o.metadata.namespace === ns && (() => {
    const t = o.spec.targetRef;
    if (t.kind === 'Server') return t.name === server.metadata.name;
    if (t.kind === 'HTTPRoute') return !!route && t.name === route.metadata.name;
    if (t.kind === 'Namespace') return t.name === ns;
    return false;
  })());
  const allowed = policies.some(p => (p.spec.requiredAuthenticationRefs ?? []).length > 0
    && p.spec.requiredAuthenticationRefs.every((r: any) => authenticates(objects, ns, r, request)));
  const access = server.spec.accessPolicy ?? 'deny';
  return { allowed: allowed || access === 'all-unauthenticated', server: server.metadata.name, route: route?.metadata.name, why: allowed ? 'authorized' : 'no policy matches' };
}
