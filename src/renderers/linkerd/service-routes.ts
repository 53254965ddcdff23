import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpRoute, HttpRouteSpecRules, HttpRouteSpecRulesMatches } from '../../../imports/linkerd-gateway.networking.k8s.io';
import type { Call } from '../../model/call';
import { HTTP_METHODS } from '../../http/methods';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { carriesHttp } from '../../model/protocol';
import { perTryTimeout, ResolvedRetries, RetryCondition } from '../../model/resilience';
import type { WeightedVersion } from '../../model/routing';
import { callRouteClass } from '../gateway-api/call-route-class';
import { gatewayDuration } from '../gateway-api/duration';
import { gatewayMatch, matchKey, RouteMatch } from '../gateway-api/route-match';
import { versionService } from '../kubernetes/version-service';

/** Gateway API limits: 8 matches per rule, 16 rules per route. */
const MAX_MATCHES = 8;
const METHOD_ORDER = [...HTTP_METHODS];

/** The retry conditions Linkerd can express: it retries by response status (`retry.linkerd.io/http`). */
const LINKERD_RETRY_STATUS: Partial<Record<RetryCondition, string>> = {
  [RetryCondition.UNAVAILABLE]: '503',
  [RetryCondition.GATEWAY_ERROR]: 'gateway-error',
};

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
 * - a call with its own timeout or retries gets routes matching its methods and paths. Linkerd routes match requests,
 *   not callers; the call's methods and paths are authorized for its caller alone, so in effect they are its own.
 * Circuit breaking is failure accrual on the Services (`balancer.linkerd.io/failure-accrual`).
 */
export class LinkerdTrafficRoutes extends Construct {
  private readonly versionServices = new Map<string, ApiObject>();
  private readonly callMatches = new Map<string, string>();
  /** Idempotent methods the calls without settings of their own use, per port: retried with the service's retries. */
  private readonly sharedRetryable = new Map<number, Set<string>>();

  public constructor(scope: Construct, id: string, private readonly service: MeshService, private readonly warn: (message: string) => void) {
    super(scope, id);
    if (service.service) annotateFailureAccrual(service.service, service);
    for (const port of service.ports.filter(p => carriesHttp(p.protocol))) {
      this.route(port.port, { id: 'default', name: this.routeName(port.port), matches: () => [], timeout: () => service.traffic.resilience.timeout });
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
    if (cls.kind === 'indistinct') {
      this.warn(`[${service.node.path}] Linkerd: the timeout or retries of the call from ${call.caller.name} are not rendered: Linkerd routes match requests, not callers, and this call names no methods or paths to tell its requests apart; ${service.name}'s own timeout and retries apply to it`);
      return;
    }
    const { all, retried, rest, timeout, retries } = cls;
    for (const m of all) {
      const key = matchKey(m);
      const other = this.callMatches.get(key);
      if (other && other !== call.caller.name) {
        this.warn(`[${service.node.path}] Linkerd: the calls from ${other} and ${call.caller.name} share the request ${key}, and Linkerd picks one route per request: both get the timeout and retries of ${other}'s route`);
      }
      this.callMatches.set(key, call.caller.name);
    }
    const base = `from-${call.caller.name}`;
    if (retried.length > 0) this.route(call.port, { id: `${base}-retry`, name: this.routeName(call.port, `${base}-retry`), matches: () => retried, timeout: () => timeout, retries: () => retries });
    if (rest.length > 0) this.route(call.port, { id: base, name: this.routeName(call.port, base), matches: () => rest, timeout: () => timeout });
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
    this.route(port, {
      id: 'idempotent', name: this.routeName(port, 'idempotent'),
      matches: () => METHOD_ORDER.filter(m => methods.has(m)).map(method => ({ method })),
      timeout: () => this.service.traffic.resilience.timeout, retries: () => this.service.traffic.resilience.retries,
    });
  }

  private route(port: number, cls: RouteClass): HttpRoute {
    const service = this.service;
    const retries = cls.retries?.();
    const annotations = retries && retries.attempts > 0 ? retryAnnotations(retries, cls.timeout()) : undefined;
    return new HttpRoute(this, `Route-${port}-${cls.id}`, {
      metadata: { name: cls.name, namespace: service.namespace.name, labels: { app: service.name }, annotations },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: service.name, port }],
        rules: Lazy.any({ produce: () => this.rules(port, cls) }) as unknown as HttpRouteSpecRules[],
      },
    });
  }

  /** A/B header rules first (each crossed with the class's matches), then the split. */
  private rules(port: number, cls: RouteClass): HttpRouteSpecRules[] {
    const traffic = this.service.traffic;
    const timeouts = { request: gatewayDuration(cls.timeout()) };
    const matches = cls.matches();
    const rules: HttpRouteSpecRules[] = [];
    for (const m of traffic.routing.match ?? []) {
      const headers = Object.entries(m.headers ?? {}).map(([name, value]) => ({ type: 'Exact', name, value }));
      if (headers.length === 0) continue; // A/B by caller alone: reported by the renderer
      const crossed = (matches.length > 0 ? matches : [{}]).map(x => ({ ...gatewayMatch(x), headers }));
      for (const chunk of chunks(crossed)) rules.push({ matches: chunk as HttpRouteSpecRulesMatches[], backendRefs: this.backends(port, [{ version: m.version, weight: 100 }]), timeouts });
    }
    const split = this.backends(port, traffic.split);
    if (matches.length === 0) rules.push({ backendRefs: split, timeouts });
    else for (const chunk of chunks(matches.map(gatewayMatch))) rules.push({ matches: chunk as HttpRouteSpecRulesMatches[], backendRefs: split, timeouts });
    return rules;
  }

  private backends(port: number, split: readonly WeightedVersion[]) {
    if (this.service.versions.length < 2) return [{ group: '', kind: 'Service', name: this.service.name, port, weight: 100 }];
    return split.map(s => ({ group: '', kind: 'Service', name: `${this.service.name}-${s.version}`, port, weight: s.weight }));
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
  return retries.attempts > 0 ? retries.on.filter(c => LINKERD_RETRY_STATUS[c] === undefined) : [];
}


function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_MATCHES) out.push(items.slice(i, i + MAX_MATCHES));
  return out;
}
