import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: the generated Gateway API module (0.8 MB) is not loaded on the synth path.
import type { HttpRouteSpec, HttpRouteSpecRules } from '../../../imports/gateway-api-gateway.networking.k8s.io';
import { Mesh } from '../../model/mesh';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { HTTP_METHODS } from '../../http/methods';
import { carriesHttp } from '../../model/protocol';
import { perTryTimeout, ResolvedRetries, RetryCondition } from '../../model/resilience';
import type { WeightedVersion } from '../../model/routing';
import { callRouteClass } from '../gateway-api/call-route-class';
import { gatewayDuration } from '../gateway-api/duration';
import { gatewayMatch } from '../gateway-api/route-match';
import { trafficPolicy } from '../istio/service-routes';
import { versionService } from '../kubernetes/version-service';

/** Matches per rule written here (Gateway API allows 64 per rule, 128 per route); rules per route (Gateway API's limit). */
const MAX_MATCHES = 8;
const MAX_RULES = 16;

/** Options of the ambient routes. */
export interface AmbientRouteOptions {
  /**
   * Write each rule's retries (`retry`, Gateway API's experimental channel, GEP-1731): idempotent requests with the
   * declared retries, every other request with `attempts: 0`.
   * @default false - standard channel: no `retry`, so a waypoint applies meshConfig.defaultHttpRetryPolicy to every rule
   */
  readonly retries?: boolean;
}

/**
 * How requests reach one service's versions in ambient mode, enforced by its waypoint: one Gateway API `HTTPRoute` per
 * HTTP port whose parent is the service's own Service (Istio's mesh routing), derived at synth from `service.traffic`:
 * - the split (a canary, weights) and A/B header rules as `backendRefs` to one Service per version (HTTPRoute routes to
 *   Services, not DestinationRule subsets);
 * - the request timeout as `timeouts.request`; a call with its own timeout gets a rule matching its methods and paths
 *   (Gateway API routes match requests, not callers; the call's methods and paths are authorized for its caller alone);
 * - mirroring as a `RequestMirror` filter.
 * A `DestinationRule` per backend host carries the connection pool and outlier detection, which the waypoint applies.
 */
export class AmbientTrafficRoutes extends Construct {
  public readonly routes: ApiObject[] = [];
  private readonly destinationRules = new Map<string, ApiObject>();
  private readonly versionServices = new Map<string, ApiObject>();

  public constructor(scope: Construct, id: string, private readonly service: MeshService, private readonly options: AmbientRouteOptions = {}) {
    super(scope, id);
    for (const port of service.ports.filter(p => carriesHttp(p.protocol))) {
      const spec: HttpRouteSpec = {
        parentRefs: [{ group: '', kind: 'Service', name: service.name, port: port.port }],
        rules: Lazy.any({ produce: () => this.rules(port.port) }) as unknown as HttpRouteSpecRules[],
      };
      const multiPort = service.ports.filter(p => carriesHttp(p.protocol)).length > 1;
      this.routes.push(new ApiObject(this, `Route-${port.port}`, {
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
        metadata: { name: multiPort ? `${service.name}-${port.port}` : service.name, namespace: service.namespace.name, labels: { app: service.name } },
        spec,
      }));
    }
    this.destinationRule(service.name);
    this.addVersion();
    this.node.addValidation({ validate: () => this.service.ports.filter(p => carriesHttp(p.protocol)).flatMap(p => {
      const count = this.rules(p.port).length;
      return count > MAX_RULES ? [`the HTTPRoute of ${service.name} port ${p.port} needs ${count} rules, more than Gateway API's ${MAX_RULES}: give fewer calls their own timeout, or fewer A/B header rules`] : [];
    }) });
  }

  /** Called for each version: with two or more, each gets its own Service (a backend of the split) and DestinationRule. */
  public addVersion(): void {
    if (this.service.versions.length < 2) return;
    for (const version of this.service.versions) {
      if (this.versionServices.has(version.name)) continue;
      this.versionServices.set(version.name, versionService(this, `Service-${version.name}`, this.service, version));
      this.destinationRule(versionHostName(this.service, version));
    }
  }

  private destinationRule(name: string): void {
    const service = this.service;
    this.destinationRules.set(name, new ApiObject(this, `DestinationRule-${name}`, {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
      metadata: { name, namespace: service.namespace.name, labels: { app: service.name } },
      spec: { host: `${name}.${service.namespace.name}.svc.${Mesh.of(service).clusterDomain}`, trafficPolicy: trafficPolicy(service, {}) },
    }));
  }

  /**
   * Calls with settings of their own (and their A/B variants), then the A/B header rules, the idempotent methods other
   * calls use (with retries, when rendered), then the split. With `retry` rendered (Gateway API's experimental channel),
   * every rule says its retries: `attempts: 0` where a request may not be idempotent, since a rule without `retry` gets
   * Istio's default retries, POSTs included.
   */
  private rules(port: number): HttpRouteSpecRules[] {
    const traffic = this.service.traffic;
    const resilience = traffic.resilience;
    const withRetry = this.options.retries;
    const headerRules = (traffic.routing.match ?? []).filter(m => m.headers && Object.keys(m.headers).length > 0 && (m.callers ?? []).length === 0);
    const rules: HttpRouteSpecRules[] = [];
    const add = (matches: Array<Record<string, unknown>>, split: readonly WeightedVersion[], timeout: Duration, mirror: boolean, retries?: ResolvedRetries) => {
      for (let i = 0; i < Math.max(matches.length, 1); i += MAX_MATCHES) {
        const retried = retries && retries.attempts > 0 ? retries : undefined;
        rules.push({
          matches: matches.length > 0 ? matches.slice(i, i + MAX_MATCHES) as HttpRouteSpecRules['matches'] : undefined,
          backendRefs: this.backends(port, split),
          filters: mirror ? this.mirror(port) : undefined,
          timeouts: { request: gatewayDuration(timeout), backendRequest: retried ? gatewayDuration(perTryTimeout(timeout, retried)) : undefined },
          ...(withRetry ? { retry: retried ? { attempts: retried.attempts, codes: retryCodes(retried) } : { attempts: 0 } } : {}),
        } as HttpRouteSpecRules);
      }
    };
    const shared = new Set<string>();
    for (const call of traffic.callsOn(port).filter(c => carriesHttp(c.protocol))) {
      const cls = callRouteClass(this.service, call);
      if (cls.kind === 'shared' && cls.sharedRetryable !== 'any') for (const m of cls.sharedRetryable) shared.add(m);
      if (cls.kind !== 'own' || (!withRetry && call.timeout === undefined)) continue;
      const own = [...(withRetry ? [{ matches: cls.retried, retries: cls.retries }] : []), { matches: withRetry ? cls.rest : cls.all, retries: undefined }];
      for (const { matches, retries } of own.filter(o => o.matches.length > 0)) {
        const gatewayMatches = matches.map(gatewayMatch);
        for (const m of headerRules) add(gatewayMatches.map(x => ({ ...x, headers: headerMatches(m.headers!) })), [{ version: m.version, weight: 100 }], cls.timeout, false, retries);
        add(gatewayMatches, traffic.split, cls.timeout, true, retries);
      }
    }
    for (const m of headerRules) add([{ headers: headerMatches(m.headers!) }], [{ version: m.version, weight: 100 }], resilience.timeout, false);
    if (withRetry && resilience.retries.attempts > 0 && shared.size > 0) {
      add([...HTTP_METHODS].filter(m => shared.has(m)).map(method => ({ method })), traffic.split, resilience.timeout, true, resilience.retries);
    }
    add([], traffic.split, resilience.timeout, true);
    return rules;
  }

  private backends(port: number, split: readonly WeightedVersion[]) {
    if (this.service.versions.length < 2) return [{ group: '', kind: 'Service', name: this.service.name, port, weight: 100 }];
    return split.map(s => ({ group: '', kind: 'Service', name: `${this.service.name}-${s.version}`, port, weight: s.weight }));
  }

  private mirror(port: number) {
    const mirror = this.service.traffic.routing.mirror;
    if (!mirror) return undefined;
    // Gateway API takes a whole percent, or a fraction for anything finer (0.5% is 5/1000).
    const share = Number.isInteger(mirror.percent) ? { percent: mirror.percent } : { fraction: { numerator: Math.round(mirror.percent * 1000), denominator: 100_000 } };
    return [{ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: `${this.service.name}-${mirror.version}`, port }, ...share } }] as HttpRouteSpecRules['filters'];
  }
}

/** The Service name of one version: `<service>-<version>`. */
function versionHostName(service: MeshService, version: ServiceVersion): string {
  return `${service.name}-${version.name}`;
}

/** The statuses a retry is for; Istio adds connect-failure, refused-stream, unavailable and cancelled to any `retry`. */
function retryCodes(retries: ResolvedRetries): number[] | undefined {
  const codes = new Set<number>();
  if (retries.on.includes(RetryCondition.UNAVAILABLE)) codes.add(503);
  if (retries.on.includes(RetryCondition.GATEWAY_ERROR)) for (const c of [502, 503, 504]) codes.add(c);
  return codes.size > 0 ? [...codes].sort((a, b) => a - b) : undefined;
}

function headerMatches(headers: Record<string, string>) {
  return Object.entries(headers).map(([name, value]) => ({ type: 'Exact', name, value }));
}
