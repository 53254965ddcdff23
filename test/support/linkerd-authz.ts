import { K8sObject } from './manifests';

/**
 * A small, independent reading of Linkerd's inbound authorization, used by the tests to read back who may
 * call whom from the emitted YAML (never from the library's own model). Written from Linkerd's documentation
 * (reference/authorization-policy, features/server-policy, reference/httproute) and the proxy's route matching:
 * - a Server selects pods (matchLabels and matchExpressions) and one port, by number or by container port name (the
 *   injected proxy names its admin port `linkerd-admin`); without a Server, the pod's default inbound policy applies;
 * - default policies: `all-unauthenticated`, `all-authenticated` (meshed clients), `cluster-authenticated` (meshed
 *   clients from the cluster networks), `cluster-unauthenticated` (any client from the cluster networks), `deny`, and
 *   `audit` (allowed, flagged); a Server's `accessPolicy` (default `deny`) applies when no authorization matches;
 * - with no HTTPRoute on the Server (or no Server), Linkerd's default probe route admits GET on the pod's own probe
 *   paths from the install's probe networks, unauthenticated; once a Server has routes, that route is gone;
 * - with routes, a request goes to the single best-matching route: the longest path match (an exact or regular
 *   expression match counts the whole path, a prefix its own length), then the most header matches, then the most
 *   query parameter matches, then a method match; ties go to the oldest route, then the first by name. A request
 *   that matches no route is refused;
 * - an AuthorizationPolicy on the Server (or the Namespace) covers every route; one on an HTTPRoute, that route.
 *   All of its requiredAuthenticationRefs must match the client; a reference to a missing object voids the policy;
 *   an empty list authorizes every client.
 */

export interface LinkerdPod {
  namespace: string;
  labels: Record<string, string>;
  /**
   * Whether the pod runs Linkerd's proxy: it then carries the injector's `linkerd.io/control-plane-ns` label, the
   * proxy's named ports and the proxy's own probes (`/live`, `/ready` on 4191). Default true.
   */
  meshed?: boolean;
  /** Container ports by name, for Servers that name their port. */
  portNames?: Record<string, number>;
  /** The kubelet's HTTP probes of the pod's own containers. */
  probes?: Array<{ port: number; path: string }>;
}

/** A client: a meshed identity (ServiceAccount in a namespace), or an unmeshed source such as the kubelet. */
export interface LinkerdRequest {
  serviceAccount?: { name: string; namespace: string };
  /** Source address of the client (IPv4, or IPv6 with ':'). */
  sourceIp: string;
  port: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** What the Linkerd install was configured with. */
export interface LinkerdInstall {
  /** `clusterNetworks`: the cluster's addresses, for the cluster-* default policies. */
  clusterNetworks: string[];
  /** `policyController.probeNetworks`: who the default probe route admits. */
  probeNetworks: string[];
}

export const LINKERD_INSTALL_DEFAULTS: LinkerdInstall = {
  clusterNetworks: ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'],
  probeNetworks: ['0.0.0.0/0', '::/0'],
};

export interface Decision {
  allowed: boolean;
  /** Allowed only because of an `audit` policy. */
  audit?: boolean;
  server?: string;
  route?: string;
  why: string;
}

const TRUST_DOMAIN = 'cluster.local';
const PROXY_PORTS: Record<string, number> = { 'linkerd-admin': 4191, 'linkerd-proxy': 4143 };
const PROXY_PROBES = [{ port: 4191, path: '/live' }, { port: 4191, path: '/ready' }];

function podLabels(pod: LinkerdPod): Record<string, string> {
  return pod.meshed === false ? pod.labels : { ...pod.labels, 'linkerd.io/control-plane-ns': 'linkerd' };
}

function podProbes(pod: LinkerdPod): Array<{ port: number; path: string }> {
  return [...(pod.probes ?? []), ...(pod.meshed === false ? [] : PROXY_PROBES)];
}

/** A Kubernetes label selector; an empty one selects every pod. */
export function selects(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e: any) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
  return byLabel && byExpression;
}

function serverPort(server: K8sObject, pod: LinkerdPod): number | undefined {
  const port = server.spec.port;
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return pod.portNames?.[port] ?? (pod.meshed === false ? undefined : PROXY_PORTS[port]);
}

/** The Servers that select this pod and port (Linkerd admits at most one). */
export function serversFor(objects: K8sObject[], pod: LinkerdPod, port: number): K8sObject[] {
  const labels = podLabels(pod);
  return objects.filter(o => o.kind === 'Server' && o.apiVersion.startsWith('policy.linkerd.io/')
    && o.metadata.namespace === pod.namespace && selects(o.spec.podSelector, labels) && serverPort(o, pod) === port);
}

function routesOf(objects: K8sObject[], namespace: string, server: string): K8sObject[] {
  return objects.filter(o => (o.kind === 'HTTPRoute' && /^(policy\.linkerd\.io|gateway\.networking\.k8s\.io)\//.test(o.apiVersion)
    || o.kind === 'GRPCRoute' && o.apiVersion.startsWith('gateway.networking.k8s.io/'))
    && o.metadata.namespace === namespace
    && (o.spec.parentRefs ?? []).some((p: any) => p.kind === 'Server' && p.name === server && (p.namespace ?? namespace) === namespace));
}

/** The number of path characters a match accounts for, or undefined when it does not match. */
function pathMatchLength(match: any, path: string): number | undefined {
  const p = match.path ?? { type: 'PathPrefix', value: '/' };
  const type = p.type ?? 'PathPrefix';
  if (type === 'Exact') return path === p.value ? p.value.length : undefined;
  if (type === 'RegularExpression') return new RegExp(`^(?:${p.value})$`).test(path) ? path.length : undefined;
  if (p.value === '/') return 1;
  const prefix = p.value.replace(/\/+$/, '');
  const trimmed = path.replace(/\/+$/, '');
  if (!trimmed.startsWith(prefix)) return undefined;
  const rest = trimmed.slice(prefix.length);
  return rest === '' || rest.startsWith('/') ? prefix.length : undefined;
}

function stringMatches(m: any, value: string | undefined): boolean {
  if (value === undefined) return false;
  return (m.type ?? 'Exact') === 'RegularExpression' ? new RegExp(`^(?:${m.value})$`).test(value) : value === m.value;
}

/** The rank of a match for a request (path length, headers, query parameters, method), or undefined when it does not match. */
export function matchRank(match: any, request: LinkerdRequest): number[] | undefined {
  // A GRPCRoute match names the service and method: the request's path `/service/method`, always a POST.
  if (match.method && typeof match.method === 'object') {
    if (request.method !== 'POST') return undefined;
    const { service, method } = match.method;
    const [, svc, rpc] = /^\/([^/]+)\/([^/]+)$/.exec(request.path ?? '') ?? [];
    if ((service !== undefined && service !== svc) || (method !== undefined && method !== rpc)) return undefined;
    return [(service ? 1 : 0) + (method ? 1 : 0), 0, 0, 0];
  }
  if (match.method && match.method !== request.method) return undefined;
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (!(match.headers ?? []).every((h: any) => stringMatches(h, headers[h.name.toLowerCase()]))) return undefined;
  if (!(match.queryParams ?? []).every((q: any) => stringMatches(q, request.query?.[q.name]))) return undefined;
  const length = pathMatchLength(match, request.path ?? '/');
  if (length === undefined) return undefined;
  return [length, (match.headers ?? []).length, (match.queryParams ?? []).length, match.method ? 1 : 0];
}

function better(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** Oldest first (a route without a timestamp counts as oldest), then by name. */
function byAge(x: K8sObject, y: K8sObject): number {
  const tx = (x.metadata as any).creationTimestamp ?? '';
  const ty = (y.metadata as any).creationTimestamp ?? '';
  if (tx !== ty) return tx < ty ? -1 : 1;
  return `${x.metadata.namespace}/${x.metadata.name}`.localeCompare(`${y.metadata.namespace}/${y.metadata.name}`);
}

/** The route a request goes to, or undefined when none matches. */
export function selectRoute(routes: K8sObject[], request: LinkerdRequest): K8sObject | undefined {
  let best: { route: K8sObject; rank: number[] } | undefined;
  for (const route of [...routes].sort(byAge)) {
    for (const rule of route.spec.rules ?? [{}]) {
      for (const match of rule.matches ?? [{}]) {
        const rank = matchRank(match, request);
        if (rank && (!best || better(rank, best.rank))) best = { route, rank };
      }
    }
  }
  return best?.route;
}

function ipv4(ip: string): number {
  return ip.split('.').reduce((n, o) => (n * 256) + Number(o), 0);
}

function ipv6(ip: string): bigint {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (base.includes(':') !== ip.includes(':')) return false;
  if (ip.includes(':')) {
    const shift = BigInt(128 - bits);
    return (ipv6(ip) >> shift) === (ipv6(base) >> shift);
  }
  const div = 2 ** (32 - bits);
  return Math.floor(ipv4(ip) / div) === Math.floor(ipv4(base) / div);
}

function inNetworks(ip: string, networks: any[]): boolean {
  return networks.some(n => ipInCidr(ip, n.cidr) && !(n.except ?? []).some((e: string) => ipInCidr(ip, e)));
}

/** Whether `ref` authenticates the client; undefined when it refers to nothing (which voids its policy). */
function authenticates(objects: K8sObject[], namespace: string, ref: any, request: LinkerdRequest): boolean | undefined {
  const refNs = ref.namespace ?? namespace;
  const sa = request.serviceAccount;
  if (ref.kind === 'ServiceAccount') return !!sa && sa.name === ref.name && sa.namespace === refNs;
  const target = objects.find(o => o.kind === ref.kind && o.apiVersion.startsWith('policy.linkerd.io/') && o.metadata.name === ref.name && o.metadata.namespace === refNs);
  if (!target) return undefined;
  if (ref.kind === 'MeshTLSAuthentication') {
    if (!sa) return false;
    const identity = `${sa.name}.${sa.namespace}.serviceaccount.identity.linkerd.${TRUST_DOMAIN}`;
    const byString = (target.spec.identities ?? []).some((i: string) => i === '*' || i === identity || (i.startsWith('*.') && identity.endsWith(i.slice(1))));
    const byRef = (target.spec.identityRefs ?? []).some((r: any) => (r.kind === 'ServiceAccount' && (r.name === '*' || r.name === sa.name) && (r.namespace ?? refNs) === sa.namespace)
      || (r.kind === 'Namespace' && (r.name === '*' || r.name === sa.namespace)));
    return byString || byRef;
  }
  if (ref.kind === 'NetworkAuthentication') return inNetworks(request.sourceIp, target.spec.networks ?? []);
  return undefined;
}

/** What a default policy (of a pod, or a Server's accessPolicy) admits. */
export function defaultAdmits(policy: string, request: LinkerdRequest, install: LinkerdInstall = LINKERD_INSTALL_DEFAULTS): boolean {
  const meshed = !!request.serviceAccount;
  const inCluster = install.clusterNetworks.some(n => ipInCidr(request.sourceIp, n));
  switch (policy) {
    case 'all-unauthenticated': case 'audit': return true;
    case 'all-authenticated': return meshed;
    case 'cluster-authenticated': return meshed && inCluster;
    case 'cluster-unauthenticated': return inCluster;
    default: return false;
  }
}

function defaultProbe(pod: LinkerdPod, request: LinkerdRequest, install: LinkerdInstall): boolean {
  return request.method === 'GET' && podProbes(pod).some(p => p.port === request.port && p.path === request.path)
    && install.probeNetworks.some(n => ipInCidr(request.sourceIp, n));
}

/** Linkerd's decision for a request to a pod, with the Server and route it landed on. */
export function decide(objects: K8sObject[], pod: LinkerdPod, request: LinkerdRequest, defaultPolicy: string, install: LinkerdInstall = LINKERD_INSTALL_DEFAULTS): Decision {
  const servers = serversFor(objects, pod, request.port);
  if (servers.length > 1) return { allowed: false, why: `overlapping Servers ${servers.map(s => s.metadata.name)}` };
  if (servers.length === 0) {
    if (defaultProbe(pod, request, install)) return { allowed: true, why: 'no Server: default probe route' };
    const allowed = defaultAdmits(defaultPolicy, request, install);
    return { allowed, audit: allowed && defaultPolicy === 'audit', why: `no Server: default ${defaultPolicy}` };
  }
  const server = servers[0];
  const ns = pod.namespace;
  const routes = routesOf(objects, ns, server.metadata.name);
  const http = !['opaque', 'TLS'].includes(server.spec.proxyProtocol ?? 'unknown');
  if (routes.length === 0 && http && defaultProbe(pod, request, install)) {
    return { allowed: true, server: server.metadata.name, why: 'default probe route' };
  }
  const route = routes.length > 0 ? selectRoute(routes, request) : undefined;
  if (routes.length > 0 && !route) return { allowed: false, server: server.metadata.name, why: 'no route matches' };
  const policies = objects.filter(o => o.kind === 'AuthorizationPolicy' && o.apiVersion.startsWith('policy.linkerd.io/') && o.metadata.namespace === ns && (() => {
    const t = o.spec.targetRef;
    if (t.kind === 'Server') return t.name === server.metadata.name;
    if (t.kind === 'HTTPRoute' || t.kind === 'GRPCRoute') return !!route && t.kind === route.kind && t.name === route.metadata.name;
    if (t.kind === 'Namespace') return t.name === ns;
    return false;
  })());
  const authorized = policies.some(p => {
    const results = (p.spec.requiredAuthenticationRefs ?? []).map((r: any) => authenticates(objects, ns, r, request));
    return !results.includes(undefined) && results.every(Boolean);
  });
  if (authorized) return { allowed: true, server: server.metadata.name, route: route?.metadata.name, why: 'authorized' };
  const access = server.spec.accessPolicy ?? 'deny';
  const allowed = defaultAdmits(access, request, install);
  return { allowed, audit: allowed && access === 'audit', server: server.metadata.name, route: route?.metadata.name, why: allowed ? `accessPolicy ${access}` : 'no policy matches' };
}

/** A client pod's connection to a host outside the cluster, by SNI, through its proxy's egress policy. */
export interface EgressRequest {
  /** The client's namespace. */
  namespace: string;
  /** The TLS server name it asks for. */
  host: string;
  port: number;
  /** The destination address (outside the cluster networks). */
  address?: string;
}

/** A Gateway API hostname match: exact, or `*.` for any name with at least one more label. */
export function hostnameMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/**
 * Linkerd's egress decision (reference/egress-network): the EgressNetworks of the client's namespace (or, without one,
 * of the global egress namespace) whose networks hold the destination (default: everything outside the cluster
 * networks); traffic a TLSRoute attached to it matches (port and SNI) follows the route, the rest follows the
 * EgressNetwork's trafficPolicy. Without any EgressNetwork, Linkerd does not restrict egress.
 */
export function egressAllowed(objects: K8sObject[], request: EgressRequest, globalNamespace = 'linkerd-egress', install: LinkerdInstall = LINKERD_INSTALL_DEFAULTS): boolean {
  const address = request.address ?? '203.0.113.10';
  const networks = objects.filter(o => o.kind === 'EgressNetwork' && o.apiVersion.startsWith('policy.linkerd.io/'));
  const holds = (n: K8sObject) => (n.spec.networks ? inNetworks(address, n.spec.networks) : !install.clusterNetworks.some(c => ipInCidr(address, c)));
  const local = networks.filter(n => n.metadata.namespace === request.namespace && holds(n));
  const candidates = local.length > 0 ? local : networks.filter(n => n.metadata.namespace === globalNamespace && holds(n));
  if (candidates.length === 0) return true;
  const network = [...candidates].sort(byAge)[0];
  const routed = objects.some(o => o.kind === 'TLSRoute' && o.metadata.namespace === network.metadata.namespace
    && (o.spec.parentRefs ?? []).some((p: any) => p.kind === 'EgressNetwork' && p.name === network.metadata.name
      && (p.namespace ?? o.metadata.namespace) === network.metadata.namespace && (p.port === undefined || p.port === request.port))
    && (o.spec.hostnames ?? []).some((h: string) => hostnameMatches(h, request.host)));
  return routed || network.spec.trafficPolicy === 'Allow';
}
