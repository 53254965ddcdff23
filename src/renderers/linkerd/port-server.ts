import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy, HttpRouteV1Beta3, HttpRouteV1Beta3SpecRulesMatchesMethod, HttpRouteV1Beta3SpecRulesMatchesPathType, ServerV1Beta3 } from '../../../imports/linkerd-policy.linkerd.io';
import { fail } from '../../model/validation';
import { grpcMethodMatch } from '../../model/grpc-operations';
import { carriesHttp, portName, Protocol } from '../../model/protocol';
import type { IMeshWorkload, WorkloadPort } from '../../model/workload';
import { proxyProtocol } from './proxy-protocol';
import { covers, intersect, matchKey, matchSlug, patternsOverlap, RouteMatch } from '../gateway-api/route-match';

const POLICY_GROUP = 'policy.linkerd.io';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/**
 * Who may be authorized on a port: a mesh identity (MeshTLSAuthentication) or the kubelet's network.
 * TypeScript only.
 * @jsii ignore
 */
export interface Authentication {
  readonly kind: 'MeshTLSAuthentication' | 'NetworkAuthentication';
  /** Stable while the render is built, to find what was already authorized. */
  readonly key: string;
  /** Its name in the port's namespace, read at synth (the edge's identity is known only once the ingress is declared). */
  name(): string;
}

/**
 * What a PortServer needs from its renderer.
 * TypeScript only.
 * @jsii ignore
 */
export interface PortServerOptions {
  /** The MeshTLSAuthentication of a caller, created in the port's namespace on first use. */
  readonly identityOf: (caller: IMeshWorkload) => Authentication;
  /** The kubelet's NetworkAuthentication in the port's namespace, created on first use. */
  readonly kubelet: () => Authentication;
  /** GET paths of the workload's HTTP probes on this port (empty for a peer whose probes are unknown). */
  readonly probePaths: readonly string[];
  /** The path Prometheus scrapes on this port, when the workload serves its metrics here. */
  readonly metricsPath?: string;
  /** Prometheus's MeshTLSAuthentication in the port's namespace, created on first use. */
  readonly prometheus: () => Authentication;
  /** Reports what Linkerd renders differently from what was declared. */
  readonly warn: (path: string, message: string) => void;
}

interface Route {
  readonly name: string;
  readonly match: RouteMatch;
  readonly object: ApiObject;
}

/**
 * One workload port under Linkerd: its `Server` (deny unless authorized), and the authorizations
 * derived from the calls to it. A caller allowed any request gets an AuthorizationPolicy on the Server;
 * a caller limited to methods and paths gets one on each HTTPRoute that holds one of its matches.
 * Linkerd sends each request to one route only (the most specific), so there is one HTTPRoute per
 * distinct match, and a caller is authorized on every route whose match its own matches cover.
 * Once a Server has routes, requests matching none are refused, and Linkerd's default probe route is
 * gone: a catch-all route keeps the Server-wide callers whole, and a probe route admits the kubelet.
 * The HTTP ports of a workload deployed here always get routes: a probe route (GET on the probe paths, from the
 * kubelet's networks) and a metrics route (GET on the metrics path, from Prometheus's identity), so that Linkerd's
 * default probe route, open to the install's probe networks, never applies to them.
 * Built by the Linkerd renderer: TypeScript only.
 * @jsii ignore
 */
export class PortServer extends Construct {
  public readonly serverName: string;
  public readonly server: ServerV1Beta3;
  private readonly routes = new Map<string, Route>();
  private readonly callerMatches: Array<{ caller: IMeshWorkload; match: RouteMatch }> = [];
  private readonly routeNames = new Set<string>();
  private readonly authorized = new Set<string>();
  private readonly overlaps = new Set<string>();
  private serverWideCallers = 0;
  private catchAll = false;

  public constructor(scope: Construct, id: string, private readonly workload: IMeshWorkload,
    private readonly port: Required<WorkloadPort>, private readonly options: PortServerOptions) {
    super(scope, id);
    this.serverName = `${workload.name}-${portName(port.protocol, port.port)}`;
    this.server = new ServerV1Beta3(this, 'Server', {
      metadata: { name: this.serverName, namespace: workload.namespace.name, labels: { app: workload.name } },
      spec: {
        podSelector: { matchLabels: { ...workload.selector } },
        // The Server selects the pod's port: the container port behind the Service port.
        port: port.targetPort,
        proxyProtocol: proxyProtocol(port.protocol),
        accessPolicy: 'deny',
      },
    });
    if (workload.deployed && carriesHttp(port.protocol)) this.addOwnRoutes();
  }

  private get grpc(): boolean {
    return this.port.protocol === Protocol.GRPC;
  }

  /** The kubelet's probe routes and Prometheus's metrics route, on a port of a workload deployed here. */
  private addOwnRoutes(): void {
    // The kubelet GETs an HTTP probe's path; a gRPC probe is the health method, which Linkerd's default probe route
    // never covered: without this route the kubelet's gRPC probe is refused.
    for (const path of this.options.probePaths) {
      const route = this.routeFor({ method: this.grpc ? undefined : 'GET', path: { type: 'Exact', value: path } });
      this.authorize(this.routeKind, route.name, this.options.kubelet());
    }
    const metrics = this.options.metricsPath;
    if (metrics && !this.grpc) this.authorize('HTTPRoute', this.routeFor({ method: 'GET', path: { type: 'Exact', value: metrics } }).name, this.options.prometheus());
  }

  /** Authorizes `caller` for every request on this port. */
  public allowAll(caller: IMeshWorkload): void {
    if (!this.authorize('Server', this.serverName, this.options.identityOf(caller))) return;
    this.serverWideCallers++;
    this.ensureCatchAll();
  }

  /** Authorizes `caller` for requests that match one of `matches` (method and path). */
  public allowMatches(caller: IMeshWorkload, matches: readonly RouteMatch[], where: string): void {
    if (!carriesHttp(this.port.protocol)) fail(where, `port ${this.port.port} of ${this.workload.name} is opaque TCP under Linkerd: no route can match methods or paths there`);
    const first = this.routes.size === 0;
    // gRPC requests are all POSTs: a GRPCRoute matches the service and method (the path) alone.
    for (const match of this.grpc ? matches.map(m => ({ path: m.path })) : matches) {
      this.callerMatches.push({ caller, match });
      this.routeFor(match);
      for (const route of this.routes.values()) {
        if (covers(match, route.match)) this.authorize(this.routeKind, route.name, this.options.identityOf(caller));
      }
      this.addIntersections(match, where);
    }
    if (first) this.onFirstRoute();
  }

  private onFirstRoute(): void {
    this.ensureCatchAll();
    if (!this.workload.deployed) {
      this.options.warn(this.node.path, `Linkerd: port ${this.port.port} of ${this.workload.name} now has HTTPRoutes, so Linkerd no longer authorizes the kubelet's HTTP probes on it by default; soma-mesh does not know that chart's probe paths: authorize them (an HTTPRoute with a NetworkAuthentication) or probe another port`);
    }
  }

  /**
   * Where the new match overlaps a route's without either covering the other (`DELETE` on any path and any method on
   * `/v1`), Linkerd sends their common requests to the more specific route, whose callers are not the other's: a route
   * for the intersection (`DELETE /v1`), more specific than both, admits every caller whose match covers it. Two
   * different regular expressions have no expressible intersection: their overlap is reported.
   */
  private addIntersections(match: RouteMatch, where: string): void {
    const pending = [match];
    while (pending.length > 0) {
      const current = pending.pop()!;
      for (const route of [...this.routes.values()]) {
        const common = intersect(current, route.match);
        if (common === undefined) continue;
        if (common === 'regex') {
          this.reportRegexOverlap(current, route.match, where);
          continue;
        }
        if (this.routes.has(matchKey(common))) continue;
        this.routeFor(common);
        pending.push(common);
      }
    }
  }

  private reportRegexOverlap(a: RouteMatch, b: RouteMatch, where: string): void {
    const key = [matchKey(a), matchKey(b)].sort().join(' & ');
    const callersOf = (m: RouteMatch) => [...new Set(this.callerMatches.filter(c => covers(c.match, m)).map(c => c.caller))];
    const same = (x: unknown[], y: unknown[]) => x.length === y.length && x.every(c => y.includes(c));
    if (this.overlaps.has(key) || same(callersOf(a), callersOf(b)) || !patternsOverlap(a.path!.value, b.path!.value)) return;
    this.overlaps.add(key);
    this.options.warn(where, `Linkerd: on port ${this.port.port} of ${this.workload.name}, the paths ${a.path!.value} and ${b.path!.value} can match the same request, and Linkerd sends it to one of their routes only: a caller allowed only the other path is refused it; give the calls paths that do not overlap`);
  }

  /** The route holding `match`, created (and authorized for every caller whose matches cover it) when new. */
  private routeFor(match: RouteMatch): Route {
    const key = matchKey(match);
    const existing = this.routes.get(key);
    if (existing) return existing;
    const name = this.uniqueRouteName(matchSlug(match));
    const metadata = { name, namespace: this.workload.namespace.name, labels: { app: this.workload.name } };
    const parentRefs = [{ group: POLICY_GROUP, kind: 'Server', name: this.serverName }];
    const id = `Route-${key}`;
    const object: ApiObject = this.grpc
      ? new ApiObject(this, id, {
        apiVersion: `${GATEWAY_GROUP}/v1`, kind: 'GRPCRoute', metadata,
        spec: { parentRefs, rules: [toGrpcRule(match)] },
      })
      : new HttpRouteV1Beta3(this, id, { metadata, spec: { parentRefs, rules: [{ matches: [toMatch(match)] }] } });
    // Where a broad route ties with a narrow one it covers, Linkerd prefers the older: the narrow one is applied first.
    for (const other of this.routes.values()) {
      if (covers(other.match, match)) other.object.addDependency(object);
      else if (covers(match, other.match)) object.addDependency(other.object);
    }
    const route = { name, match, object };
    this.routes.set(key, route);
    for (const other of this.callerMatches) {
      if (covers(other.match, match)) this.authorize(this.routeKind, route.name, this.options.identityOf(other.caller));
    }
    return route;
  }

  /** With routes on the Server, a request that matches none is refused: this route keeps Server-wide callers whole. */
  private ensureCatchAll(): void {
    if (this.catchAll || this.routes.size === 0 || this.serverWideCallers === 0) return;
    this.catchAll = true;
    if (this.grpc) {
      new ApiObject(this, 'CatchAll', {
        apiVersion: `${GATEWAY_GROUP}/v1`, kind: 'GRPCRoute',
        metadata: {
          name: this.uniqueRouteName('any'), namespace: this.workload.namespace.name,
          labels: { app: this.workload.name },
        },
        spec: { parentRefs: [{ group: POLICY_GROUP, kind: 'Server', name: this.serverName }], rules: [{}] },
      });
      return;
    }
    new HttpRouteV1Beta3(this, 'CatchAll', {
      // Named to sort after an exact route on `/` without a method, which it ties with (both match one character).
      metadata: { name: this.uniqueRouteName('prefix-all'), namespace: this.workload.namespace.name, labels: { app: this.workload.name } },
      spec: {
        parentRefs: [{ group: POLICY_GROUP, kind: 'Server', name: this.serverName }],
        rules: [{ matches: [{ path: { type: HttpRouteV1Beta3SpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }] }],
      },
    });
  }

  /** One AuthorizationPolicy per target and authentication; false when it already exists. */
  private get routeKind(): 'HTTPRoute' | 'GRPCRoute' {
    return this.grpc ? 'GRPCRoute' : 'HTTPRoute';
  }

  private authorize(kind: 'Server' | 'HTTPRoute' | 'GRPCRoute', target: string, authentication: Authentication): boolean {
    const key = `${kind}/${target}/${authentication.kind}/${authentication.key}`;
    if (this.authorized.has(key)) return false;
    this.authorized.add(key);
    new AuthorizationPolicy(this, `Authorization-${key}`, {
      metadata: {
        name: Lazy.any({ produce: () => `${target}.from.${authentication.name()}` }) as unknown as string,
        namespace: this.workload.namespace.name, labels: { app: this.workload.name },
      },
      spec: {
        targetRef: { group: kind === 'GRPCRoute' ? GATEWAY_GROUP : POLICY_GROUP, kind, name: target },
        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: authentication.kind, name: Lazy.any({ produce: () => authentication.name() }) as unknown as string }],
      },
    });
    return true;
  }

  private uniqueRouteName(slug: string): string {
    const base = `${this.serverName}-${slug}`.slice(0, 240).replace(/-+$/, '');
    let name = base;
    for (let n = 2; this.routeNames.has(name); n++) name = `${base}-${n}`;
    this.routeNames.add(name);
    return name;
  }
}

function toMatch(match: RouteMatch) {
  return {
    method: match.method as HttpRouteV1Beta3SpecRulesMatchesMethod | undefined,
    path: match.path
      ? { type: match.path.type === 'Exact' ? HttpRouteV1Beta3SpecRulesMatchesPathType.EXACT : HttpRouteV1Beta3SpecRulesMatchesPathType.REGULAR_EXPRESSION, value: match.path.value }
      : undefined,
  };
}


/** A gRPC match (a path `/package.Service/Method`, or the prefix of a service's methods) as a GRPCRoute rule. */
function toGrpcRule(match: RouteMatch) {
  if (!match.path) return {};
  const path = match.path.type === 'Exact' ? match.path.value
    : match.path.value.replace(/\\(.)/g, '$1').replace(/\.\*$/, '*');
  const method = grpcMethodMatch(path);
  return method ? { matches: [{ method: { type: 'Exact', ...method } }] } : {};
}
