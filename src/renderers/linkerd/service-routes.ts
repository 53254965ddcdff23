import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpRoute, HttpRouteSpecRules, HttpRouteSpecRulesMatches } from '../../../imports/linkerd-gateway.networking.k8s.io';
import type { Call } from '../../model/call';
import { retryableMethods } from '../../model/call-resilience';
import { HTTP_METHODS } from '../../http/methods';
import { Mesh } from '../../model/mesh';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { carriesHttp } from '../../model/protocol';
import { perTryTimeout, ResolvedRetries, resolveRetries, RetryCondition } from '../../model/resilience';
import type { WeightedVersion } from '../../model/routing';
import { callRouteClass } from '../gateway-api/call-route-class';
import { gatewayDuration } from '../gateway-api/duration';
import { covers, gatewayMatch, matchKey, RouteMatch, routeMatches } from '../gateway-api/route-match';
import { versionService } from '../kubernetes/version-service';

/** Gateway API limits: 8 matches per rule, 16 rules per route. */
const MAX_MATCHES = 8;
const METHOD_ORDER = [...HTTP_METHODS];

/** The retry conditions Linkerd expresses by response status (`retry.linkerd.io/http`). */
const LINKERD_RETRY_STATUS: Partial<Record<RetryCondition, string>> = {
  [RetryCondition.UNAVAILABLE]: '503',
  [RetryCondition.GATEWAY_ERROR]: 'gateway-error',
};
/**
 * Linkerd's proxy retries a refused HTTP/2 stream on every route that retries, whatever the statuses; a failed or
 * reset connection it never retries (its retry policy does not inspect connection errors).
 */
const LINKERD_IMPLICIT_RETRY: ReadonlySet<RetryCondition> = new Set([RetryCondition.REFUSED_STREAM]);

/** A group of requests with the same timeout and retries: one HTTPRoute (Linkerd reads retries from route annotations). */
interface RouteClass {
  readonly id: string;
  readonly name: string;
  /** OR of matches; empty means every request. */
  readonly matches: () => RouteMatch[];
  readonly timeout: () => Duration;
  readonly retries?: () => ResolvedRetries | undefined;
}

/**
 * How requests reach one service's versions under Linkerd, derived at synth from `service.traffic`:
 * Gateway API HTTPRoutes whose parent is the service's Service (producer routes: every client's proxy applies them).
 * - the split (a canary, weights) and A/B header rules as `backendRefs` to one Service per version;
 * - the request timeout as `timeouts.request`; retries as `retry.linkerd.io/*` annotations, which Linkerd reads
 *   per route, so idempotent methods get their own route and every other request a route without retries;
 * - a call with its own timeout or retries gets routes matching its methods and paths. From another namespace, they are
 *   consumer routes in the caller's namespace, which Linkerd applies to that namespace's clients only; a namespace with
 *   consumer routes ignores the producer routes, so it gets its own copy of them. In the service's own namespace
 *   Linkerd cannot scope a route to a caller: the call's matches are authorized for its caller, and any other caller
 *   whose requests also match is reported at synth.
 * Circuit breaking is failure accrual on the Services (`balancer.linkerd.io/failure-accrual`).
 * Built by the Linkerd renderer: TypeScript only.
 * @jsii ignore
 */
export class LinkerdTrafficRoutes extends Construct {
  private readonly versionServices = new Map<string, ApiObject>();
  private readonly callMatches = new Map<string, string>();
  /** Routes every client follows unless its namespace has consumer routes: the default and idempotent classes. */
  private readonly producerClasses: Array<{ port: number; cls: RouteClass }> = [];
  /**
   * Namespaces of callers with consumer routes, each with its own copy of the producer classes, and the call whose own
   * timeout and retries those copies carry when it names no methods or paths (it then speaks for the whole namespace).
   */
  private readonly consumerNamespaces = new Map<string, { call: Call; retryAll: boolean } | undefined>();
  /** Calls with routes of their own, and the namespace whose clients follow those routes. */
  private readonly ownRoutes: Array<{ call: Call; matches: RouteMatch[]; namespace: string }> = [];
  private readonly abShared = new Set<string>();
  /** Idempotent methods the calls without settings of their own use, per port: retried with the service's retries. */
  private readonly sharedRetryable = new Map<number, Set<string>>();

  public constructor(scope: Construct, id: string, private readonly service: MeshService, private readonly warn: (message: string) => void) {
    super(scope, id);
    if (service.service) annotateFailureAccrual(service.service, service);
    for (const port of service.ports.filter(p => carriesHttp(p.protocol))) {
      this.producerRoute(port.port, { id: 'default', name: this.routeName(port.port), matches: () => [], timeout: () => service.traffic.resilience.timeout });
    }
  }

  /** Called for each version: with two or more, each gets its own Service, the backends of the split. */
  public addVersion(): void {
    if (this.service.versions.length < 2 || this.service.ports.length === 0) return;
    for (const version of this.service.versions) {
      if (this.versionServices.has(version.name)) continue;
      this.versionServices.set(version.name, this.versionService(version));
    }
  }

  /** Renders what a call with its own timeout, retries or declared idempotency needs. */
  public addCall(call: Call): void {
    const service = this.service;
    if (!carriesHttp(call.protocol)) return;
    const cls = callRouteClass(service, call);
    if (cls.kind === 'shared') {
      this.shareRetries(call.port, cls.sharedRetryable);
      return;
    }
    const namespace = call.caller.namespace.name;
    const consumer = namespace !== service.namespace.name;
    if (cls.kind === 'indistinct') {
      // From another namespace, the namespace's own copy of the service's routes carries the call's settings.
      if (consumer && !this.consumerNamespaces.has(namespace)) {
        const retryable = retryableMethods(Mesh.of(service).callGraph, call);
        this.shareRetries(call.port, retryable);
        this.addConsumerNamespace(namespace, { call, retryAll: retryable === 'any' });
        this.ownRoutes.push({ call, matches: [{}], namespace });
        return;
      }
      this.warn(`[${service.node.path}] Linkerd: the timeout or retries of the call from ${call.caller.name} are not rendered: Linkerd routes match requests, not callers, and this call names no methods or paths to tell its requests apart${consumer ? ` from the routes ${namespace} already has` : ''}; ${service.name}'s own timeout and retries apply to it`);
      return;
    }
    const { all, retried, rest, timeout, retries } = cls;
    if (consumer) this.addConsumerNamespace(namespace);
    this.ownRoutes.push({ call, matches: all, namespace });
    for (const m of all) {
      const key = `${namespace} ${matchKey(m)}`;
      const other = this.callMatches.get(key);
      if (other && other !== call.caller.name) {
        this.warn(`[${service.node.path}] Linkerd: the calls from ${other} and ${call.caller.name} share the request ${matchKey(m)}, and Linkerd picks one route per request: both get the timeout and retries of ${other}'s route`);
      }
      this.callMatches.set(key, call.caller.name);
    }
    const base = `from-${call.caller.name}`;
    const where = consumer ? namespace : undefined;
    if (retried.length > 0) this.route(call.port, { id: `${base}-retry`, name: this.routeName(call.port, `${base}-retry`), matches: () => retried, timeout: () => timeout, retries: () => retries }, where);
    if (rest.length > 0) this.route(call.port, { id: base, name: this.routeName(call.port, base), matches: () => rest, timeout: () => timeout }, where);
  }

  /**
   * Reports, once, each call whose own timeout or retries other callers' requests also follow: a route in the service's
   * namespace is a producer route, which every client without consumer routes of its own applies; a consumer route, every
   * client of its namespace.
   */
  public reportSharedRoutes(): void {
    const graph = Mesh.of(this.service).callGraph;
    const routesOf = (caller: Call['caller']) => (this.consumerNamespaces.has(caller.namespace.name) ? caller.namespace.name : this.service.namespace.name);
    for (const { call, matches, namespace } of this.ownRoutes) {
      const others = graph.callsTo(this.service).filter(o => o.port === call.port && o.caller !== call.caller
        && routesOf(o.caller) === namespace && carriesHttp(o.protocol));
      const sharing = others.filter(o => {
        const theirs = o.methods.length === 0 && o.paths.length === 0 ? [{}] as RouteMatch[] : routeMatches(o.methods, o.paths);
        return theirs.some(t => matches.some(m => (covers(t, m) || covers(m, t)) && matchKey(t) !== matchKey(m)));
      });
      if (sharing.length === 0) continue;
      const where = namespace === this.service.namespace.name
        ? `${call.caller.name} shares ${namespace} with ${this.service.name}, where a route applies to every client`
        : `its routes in ${namespace} apply to every client of ${namespace}`;
      this.warn(`[${this.service.node.path}] Linkerd: the timeout and retries of the call from ${call.caller.name} also apply to the requests of ${sharing.map(o => o.caller.name).join(', ')} that match it: ${where}, and Linkerd routes cannot match callers`);
    }
  }

  /** A route class every client follows: in the service's namespace, and copied into each consumer namespace. */
  private producerRoute(port: number, cls: RouteClass): void {
    this.producerClasses.push({ port, cls });
    this.route(port, cls);
    for (const namespace of this.consumerNamespaces.keys()) this.route(port, this.forNamespace(cls, namespace), namespace);
  }

  /** Clients of a namespace with consumer routes ignore the producer routes: that namespace gets its own copy. */
  private addConsumerNamespace(namespace: string, wholeCall?: { call: Call; retryAll: boolean }): void {
    if (this.consumerNamespaces.has(namespace)) return;
    this.consumerNamespaces.set(namespace, wholeCall);
    for (const { port, cls } of this.producerClasses) this.route(port, this.forNamespace(cls, namespace), namespace);
  }

  /** A producer class as a namespace's copy: with the timeout and retries of the call that speaks for the namespace. */
  private forNamespace(cls: RouteClass, namespace: string): RouteClass {
    const speaker = this.consumerNamespaces.get(namespace);
    if (!speaker) return cls;
    const { call, retryAll } = speaker;
    const own = call.retries ? resolveRetries(call.retries) : undefined;
    // A call declared idempotent may retry every request; otherwise only the idempotent class retries.
    const retries = cls.retries ? () => own ?? cls.retries!() : retryAll && own ? () => own : undefined;
    return { ...cls, timeout: () => call.timeout ?? cls.timeout(), retries };
  }

  /**
   * The route of the idempotent methods calls use, with the service's retries, created with the first such method.
   * Only idempotent methods: Linkerd would replay any request its route retries, POSTs included.
   */
  private shareRetries(port: number, retryable: readonly string[] | 'any'): void {
    if (retryable === 'any' || retryable.length === 0 || this.service.traffic.resilience.retries.attempts === 0) return;
    const known = this.sharedRetryable.get(port);
    if (known) {
      for (const m of retryable) known.add(m);
      return;
    }
    const methods = new Set(retryable);
    this.sharedRetryable.set(port, methods);
    this.producerRoute(port, {
      id: 'idempotent', name: this.routeName(port, 'idempotent'),
      matches: () => METHOD_ORDER.filter(m => methods.has(m)).map(method => ({ method })),
      timeout: () => this.service.traffic.resilience.timeout, retries: () => this.service.traffic.resilience.retries,
    });
  }

  /** One HTTPRoute of a class: in the service's namespace (a producer route), or in a caller's (a consumer route). */
  private route(port: number, cls: RouteClass, consumerNamespace?: string): HttpRoute {
    const service = this.service;
    const retries = cls.retries?.();
    const annotations = retries && retries.attempts > 0 ? retryAnnotations(retries, cls.timeout()) : undefined;
    const namespace = consumerNamespace ?? service.namespace.name;
    return new HttpRoute(this, consumerNamespace ? `Route-${port}-${cls.id}-${consumerNamespace}` : `Route-${port}-${cls.id}`, {
      metadata: { name: cls.name, namespace, labels: { app: service.name }, annotations },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: service.name, namespace: consumerNamespace ? service.namespace.name : undefined, port }],
        rules: Lazy.any({ produce: () => this.rules(port, cls, consumerNamespace) }) as unknown as HttpRouteSpecRules[],
      },
    });
  }

  /** A/B header rules first (each crossed with the class's matches), then the split. */
  private rules(port: number, cls: RouteClass, consumerNamespace?: string): HttpRouteSpecRules[] {
    const traffic = this.service.traffic;
    const timeouts = { request: gatewayDuration(cls.timeout()) };
    const matches = cls.matches();
    const rules: HttpRouteSpecRules[] = [];
    let split: readonly WeightedVersion[] = traffic.split;
    for (const m of traffic.routing.match ?? []) {
      const headers = Object.entries(m.headers ?? {}).map(([name, value]) => ({ type: 'Exact', name, value }));
      const byCaller = (m.callers ?? []).length > 0;
      // A/B by caller is rendered in its callers' namespaces (consumer routes); in the service's own, it is reported.
      const here = byCaller && consumerNamespace !== undefined && traffic.callersOf(m.callers).some(c => c.namespace.name === consumerNamespace);
      if (byCaller && !here) continue;
      if (headers.length === 0) {
        split = [{ version: m.version, weight: 100 }]; // every request of this namespace's clients
        break;
      }
      const crossed = (matches.length > 0 ? matches : [{}]).map(x => ({ ...gatewayMatch(x), headers }));
      for (const chunk of chunks(crossed)) rules.push({ matches: chunk as HttpRouteSpecRulesMatches[], backendRefs: this.backends(port, [{ version: m.version, weight: 100 }], consumerNamespace), timeouts });
    }
    const backends = this.backends(port, split, consumerNamespace);
    if (matches.length === 0) rules.push({ backendRefs: backends, timeouts });
    else for (const chunk of chunks(matches.map(gatewayMatch))) rules.push({ matches: chunk as HttpRouteSpecRulesMatches[], backendRefs: backends, timeouts });
    return rules;
  }

  /**
   * A/B rules by caller, for callers in other namespaces: their namespaces get consumer routes, read at synth (releases
   * apply late). Returns whether a rule by caller is left that Linkerd cannot scope (a caller in the service's namespace,
   * or one the mesh does not know).
   */
  public addCallerRoutes(): boolean {
    const traffic = this.service.traffic;
    let unscoped = false;
    for (const m of traffic.routing.match ?? []) {
      if ((m.callers ?? []).length === 0) continue;
      const callers = traffic.callersOf(m.callers);
      if (callers.length < (m.callers ?? []).length || callers.some(c => c.namespace === this.service.namespace)) unscoped = true;
      for (const caller of callers.filter(c => c.namespace !== this.service.namespace)) {
        this.addConsumerNamespace(caller.namespace.name);
        const others = Mesh.of(this.service).callGraph.callsTo(this.service)
          .filter(c => c.caller.namespace === caller.namespace && !callers.includes(c.caller)).map(c => c.caller.name);
        const key = `${m.version} ${caller.namespace.name}`;
        if (others.length > 0 && !this.abShared.has(key)) {
          this.abShared.add(key);
          this.warn(`[${this.service.node.path}] Linkerd: the A/B rule sending ${callers.filter(c => c.namespace === caller.namespace).map(c => c.name).join(', ')} to ${m.version} also applies to ${[...new Set(others)].join(', ')}: consumer routes in ${caller.namespace.name} apply to every client of ${caller.namespace.name}`);
        }
      }
    }
    return unscoped;
  }

  /** The Services of the split; from a consumer route, in the service's namespace. */
  private backends(port: number, split: readonly WeightedVersion[], consumerNamespace?: string) {
    const namespace = consumerNamespace ? this.service.namespace.name : undefined;
    if (this.service.versions.length < 2) return [{ group: '', kind: 'Service', name: this.service.name, namespace, port, weight: 100 }];
    return split.map(s => ({ group: '', kind: 'Service', name: `${this.service.name}-${s.version}`, namespace, port, weight: s.weight }));
  }

  private versionService(version: ServiceVersion): ApiObject {
    const object = versionService(this, `Service-${version.name}`, this.service, version);
    annotateFailureAccrual(object, this.service);
    return object;
  }

  private routeName(port: number, suffix?: string): string {
    const multiPort = this.service.ports.filter(p => carriesHttp(p.protocol)).length > 1;
    return [this.service.name, multiPort ? String(port) : undefined, suffix].filter(Boolean).join('-');
  }
}

/** Circuit breaking: Linkerd's consecutive-failures accrual, from the outlier detection of the traffic model. */
function annotateFailureAccrual(object: ApiObject, service: MeshService): void {
  const outlier = service.traffic.resilience.outlierDetection;
  const minPenalty = outlier.baseEjectionTime.toMilliseconds();
  // Choice: Istio's default cap on an ejection (maxEjectionTime 300s) as the longest penalty.
  const maxPenalty = Math.max(300_000, minPenalty * 2);
  object.metadata.addAnnotation('balancer.linkerd.io/failure-accrual', 'consecutive');
  object.metadata.addAnnotation('balancer.linkerd.io/failure-accrual-consecutive-max-failures', String(outlier.consecutiveServerErrors));
  object.metadata.addAnnotation('balancer.linkerd.io/failure-accrual-consecutive-min-penalty', gatewayDuration(outlier.baseEjectionTime));
  object.metadata.addAnnotation('balancer.linkerd.io/failure-accrual-consecutive-max-penalty', gatewayDuration(Duration.millis(maxPenalty)));
}

function retryAnnotations(retries: ResolvedRetries, timeout: Duration): Record<string, string> {
  const statuses = [...new Set(retries.on.map(c => LINKERD_RETRY_STATUS[c]).filter((s): s is string => s !== undefined))];
  const annotations: Record<string, string> = {
    'retry.linkerd.io/limit': String(retries.attempts),
    'retry.linkerd.io/timeout': gatewayDuration(perTryTimeout(timeout, retries)),
  };
  if (statuses.length > 0) annotations['retry.linkerd.io/http'] = statuses.join(',');
  return annotations;
}

/** Retry conditions of a service that Linkerd cannot express (connection-level ones). */
export function unexpressedRetryConditions(retries: ResolvedRetries): RetryCondition[] {
  return retries.attempts > 0 ? retries.on.filter(c => LINKERD_RETRY_STATUS[c] === undefined && !LINKERD_IMPLICIT_RETRY.has(c)) : [];
}


function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_MATCHES) out.push(items.slice(i, i + MAX_MATCHES));
  return out;
}
