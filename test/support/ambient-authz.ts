import { K8sObject, ofKind } from './manifests';

/**
 * An independent reading of Istio ambient mode's two enforcement points, written from Istio's documentation
 * (ambient/usage/l4-policy, ambient/usage/l7-features, ambient/usage/waypoint, security/authorization-policy)
 * for the tests; it never reads the library's model or code.
 *
 * - A request addressed to a Service whose Service (or namespace) carries `istio.io/use-waypoint: <name>` goes to
 *   that waypoint (a Gateway of class `istio-waypoint` in the Service's namespace). The waypoint enforces the
 *   AuthorizationPolicies attached to it or to the Service with `targetRefs`, with full L7 semantics. It then opens
 *   its own connection to the pod: the destination's ztunnel sees the waypoint's identity
 *   (`cluster.local/ns/<namespace>/sa/<gateway name>`).
 * - A request addressed to a pod, or to a Service without a waypoint, reaches the destination's ztunnel with the
 *   caller's identity.
 * - Ports: a waypoint matches `ports` against the port the request was addressed to, the Service port (its listener is
 *   the Service's); ztunnel, like a sidecar, against the pod's port: a Service port's `targetPort`.
 * - ztunnel enforces the policies without `targetRefs` that select the pod (or select nothing, in its namespace or in
 *   the root namespace), at L4 only: in an ALLOW policy a rule naming any HTTP attribute never matches; in a DENY
 *   policy the HTTP attributes are dropped and the rest enforced. STRICT mTLS refuses plain text.
 */

export interface AmbientPod {
  namespace: string;
  labels: Record<string, string>;
}

export interface AmbientRequest {
  /** The caller's SPIFFE principal; undefined for plain text from outside the mesh. */
  principal?: string;
  /** `service`: addressed to the callee's Service (its name); `pod`: to the pod's address, bypassing any waypoint. */
  via: 'service' | 'pod';
  /** The port dialled: a Service port via the Service, a container port via the pod. */
  port: number;
  method: string;
  path: string;
}

export interface AmbientDecision {
  allowed: boolean;
  /** The waypoint that enforced L7, when one was in the path. */
  waypoint?: string;
  why: string;
}

const ROOT_NAMESPACE = 'istio-system';
const HTTP_FIELDS = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts', 'requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];

function matchString(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** Istio's path templates: `{*}` one segment, `{**}` the rest. */
function matchPath(pattern: string, path: string): boolean {
  if (!pattern.includes('{')) return matchString(pattern, path);
  const p = pattern.split('/');
  const v = path.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '{**}') return true;
    if (i >= v.length) return false;
    if (p[i] === '{*}') {
      if (v[i] === '') return false;
    } else if (p[i] !== v[i]) return false;
  }
  return p.length === v.length;
}

interface Peer { principal?: string; namespace?: string }

function namespaceOf(principal?: string): string | undefined {
  return principal?.match(/\/ns\/([^/]+)\//)?.[1];
}

/** Whether one rule matches, with `l7` saying whether HTTP attributes are visible (a waypoint) or not (ztunnel). */
function ruleMatches(rule: any, peer: Peer, request: AmbientRequest, l7: boolean, action: string): boolean {
  const hasHttp = (o: any) => o && HTTP_FIELDS.some(f => o[f] !== undefined);
  const ruleHasHttp = (rule.to ?? []).some((t: any) => hasHttp(t.operation)) || (rule.from ?? []).some((f: any) => hasHttp(f.source)) || (rule.when ?? []).length > 0;
  if (!l7 && ruleHasHttp && action === 'ALLOW') return false; // ztunnel: such a rule never matches
  const from: any[] = rule.from ?? [];
  const to: any[] = rule.to ?? [];
  const sourceOk = from.length === 0 || from.some(f => {
    const s = f.source ?? {};
    if (s.principals && !s.principals.some((x: string) => matchString(x, peer.principal))) return false;
    if (s.notPrincipals && s.notPrincipals.some((x: string) => matchString(x, peer.principal))) return false;
    if (s.namespaces && !s.namespaces.some((x: string) => matchString(x, peer.namespace))) return false;
    if (s.notNamespaces && s.notNamespaces.some((x: string) => matchString(x, peer.namespace))) return false;
    if (l7 && s.requestPrincipals) return false; // no end-user tokens in these requests
    if (s.ipBlocks || s.notIpBlocks) return false;
    return true;
  });
  const operationOk = to.length === 0 || to.some(t => {
    const o = t.operation ?? {};
    if (o.ports && !o.ports.includes(String(request.port))) return false;
    if (o.notPorts && o.notPorts.includes(String(request.port))) return false;
    if (!l7) return true; // DENY at ztunnel: HTTP attributes dropped
    if (o.methods && !o.methods.some((m: string) => matchString(m, request.method))) return false;
    if (o.notMethods && o.notMethods.some((m: string) => matchString(m, request.method))) return false;
    if (o.paths && !o.paths.some((x: string) => matchPath(x, request.path))) return false;
    if (o.notPaths && o.notPaths.some((x: string) => matchPath(x, request.path))) return false;
    if (o.hosts || o.notHosts) return false;
    return true;
  });
  const whenOk = !l7 || (rule.when ?? []).length === 0;
  return sourceOk && operationOk && whenOk;
}

/** ALLOW/DENY evaluation of a set of policies (no CUSTOM, no AUDIT). */
function evaluate(policies: K8sObject[], peer: Peer, request: AmbientRequest, l7: boolean): { allowed: boolean; why: string } {
  const enforced = policies.filter(p => p.metadata.annotations?.['istio.io/dry-run'] !== 'true');
  for (const p of enforced.filter(x => x.spec?.action === 'DENY')) {
    if ((p.spec.rules ?? []).some((r: any) => ruleMatches(r, peer, request, l7, 'DENY'))) return { allowed: false, why: `denied by ${p.metadata.name}` };
  }
  const allows = enforced.filter(x => (x.spec?.action ?? 'ALLOW') === 'ALLOW');
  if (allows.length === 0) return { allowed: true, why: 'no ALLOW policy' };
  const hit = allows.find(p => (p.spec.rules ?? []).some((r: any) => ruleMatches(r, peer, request, l7, 'ALLOW')));
  return hit ? { allowed: true, why: `allowed by ${hit.metadata.name}` } : { allowed: false, why: `no rule of ${allows.map(a => a.metadata.name).join(', ')} matches` };
}

export class AmbientMesh {
  /**
   * @param objects the rendered objects
   * @param peerWaypoints Services of other charts labelled `istio.io/use-waypoint` there (`namespace/name` to waypoint name)
   */
  public constructor(private readonly objects: K8sObject[], private readonly peerWaypoints: Record<string, string> = {}) {}

  /** The waypoint a Service's traffic goes through, by the Service's or its namespace's label. */
  public waypointOf(namespace: string, service: string): string | undefined {
    const svc = ofKind(this.objects, 'Service').find(s => s.metadata.namespace === namespace && s.metadata.name === service);
    const ns = ofKind(this.objects, 'Namespace').find(n => n.metadata.name === namespace);
    const name = svc?.metadata.labels?.['istio.io/use-waypoint'] ?? this.peerWaypoints[`${namespace}/${service}`] ?? ns?.metadata.labels?.['istio.io/use-waypoint'];
    if (!name || name === '#none') return undefined;
    return name;
  }

  private waypointExists(namespace: string, name: string): boolean {
    return ofKind(this.objects, 'Gateway').some(g => g.apiVersion.startsWith('gateway.networking.k8s.io/') && g.metadata.namespace === namespace
      && g.metadata.name === name && g.spec.gatewayClassName === 'istio-waypoint' && ['service', 'all', undefined].includes(g.metadata.labels?.['istio.io/waypoint-for']));
  }

  /** Whether the namespace's pods are in the ambient data plane (or a peer namespace assumed to be). */
  public isAmbient(namespace: string): boolean {
    const ns = ofKind(this.objects, 'Namespace').find(n => n.metadata.name === namespace);
    return ns ? ns.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient' : true;
  }

  private strict(pod: AmbientPod): boolean {
    return ofKind(this.objects, 'PeerAuthentication').some(p => {
      const own = p.metadata.namespace === pod.namespace || (p.metadata.namespace === ROOT_NAMESPACE && !p.spec?.selector);
      const selects = !p.spec?.selector || Object.entries(p.spec.selector.matchLabels ?? {}).every(([k, v]) => pod.labels[k] === v);
      return own && selects && p.spec?.mtls?.mode === 'STRICT';
    });
  }

  /** The pod port behind a Service port (a numeric `targetPort`, else the port itself). */
  private targetPort(namespace: string, service: string, port: number): number {
    const svc = ofKind(this.objects, 'Service').find(s => s.metadata.namespace === namespace && s.metadata.name === service);
    const target = (svc?.spec?.ports ?? []).find((p: any) => p.port === port)?.targetPort;
    return typeof target === 'number' ? target : port;
  }

  /** The decision for a request to `pod`, whose Service is named `service`. */
  public decide(pod: AmbientPod, service: string, request: AmbientRequest): AmbientDecision {
    const policies = ofKind(this.objects, 'AuthorizationPolicy');
    let peer: Peer = { principal: request.principal, namespace: namespaceOf(request.principal) };
    let waypoint: string | undefined;
    if (request.via === 'service') {
      waypoint = this.waypointOf(pod.namespace, service);
      if (waypoint) {
        if (!this.waypointExists(pod.namespace, waypoint)) return { allowed: false, why: `waypoint ${waypoint} does not exist`, waypoint };
        if (!request.principal) return { allowed: false, why: 'plain text to a waypoint', waypoint };
        const attached = policies.filter(p => p.metadata.namespace === pod.namespace && (p.spec?.targetRefs ?? (p.spec?.targetRef ? [p.spec.targetRef] : []))
          .some((t: any) => (t.kind === 'Service' && (t.group ?? '') === '' && t.name === service) || (t.kind === 'Gateway' && t.name === waypoint)));
        const d = evaluate(attached, peer, request, true);
        if (!d.allowed) return { allowed: false, why: `waypoint: ${d.why}`, waypoint };
        peer = { principal: `cluster.local/ns/${pod.namespace}/sa/${waypoint}`, namespace: pod.namespace };
      }
    }
    if (request.via === 'service') request = { ...request, port: this.targetPort(pod.namespace, service, request.port) };
    if (!peer.principal && this.strict(pod)) return { allowed: false, why: 'STRICT: plain text refused', waypoint };
    const atZtunnel = policies.filter(p => !p.spec?.targetRefs && !p.spec?.targetRef && (
      (p.metadata.namespace === pod.namespace && (!p.spec?.selector || Object.entries(p.spec.selector.matchLabels ?? {}).every(([k, v]) => pod.labels[k] === v)))
      || (p.metadata.namespace === ROOT_NAMESPACE && !p.spec?.selector)));
    const d = evaluate(atZtunnel, peer, request, false);
    return { allowed: d.allowed, why: `ztunnel: ${d.why}`, waypoint };
  }

  /**
   * Whether a caller in `namespace` reaching an external host by name is admitted: through the egress waypoint its
   * ServiceEntry names (`istio.io/use-waypoint`), by the policies attached to the ServiceEntry; `unrestricted` when the
   * host leaves without a waypoint (ambient then has nothing that limits who reaches it).
   */
  public decideExternal(namespace: string, host: string, principal: string, port: number): AmbientDecision | 'unrestricted' | 'unknown host' {
    const entry = ofKind(this.objects, 'ServiceEntry').find(e => e.metadata.namespace === namespace && e.spec.hosts.includes(host));
    if (!entry) return 'unknown host';
    const waypoint = entry.metadata.labels?.['istio.io/use-waypoint'];
    if (!waypoint) return 'unrestricted';
    if (!this.waypointExists(namespace, waypoint)) return { allowed: false, why: `waypoint ${waypoint} does not exist`, waypoint };
    const attached = ofKind(this.objects, 'AuthorizationPolicy').filter(p => p.metadata.namespace === namespace
      && (p.spec?.targetRefs ?? []).some((t: any) => t.kind === 'ServiceEntry' && t.group === 'networking.istio.io' && t.name === entry.metadata.name));
    const d = evaluate(attached, { principal, namespace: namespaceOf(principal) }, { principal, via: 'service', port, method: 'GET', path: '/' }, false);
    return { allowed: d.allowed, why: `egress waypoint: ${d.why}`, waypoint };
  }
}
