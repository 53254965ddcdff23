import { Construct } from 'constructs';
import { AuthorizationPolicy, HttpRouteV1Beta3, HttpRouteV1Beta3SpecRulesMatchesMethod, HttpRouteV1Beta3SpecRulesMatchesPathType, ServerV1Beta3 } from '../../../imports/linkerd-policy.linkerd.io';
import { fail } from '../../model/validation';
import { carriesHttp, portName } from '../../model/protocol';
import type { IMeshWorkload, WorkloadPort } from '../../model/workload';
import { proxyProtocol } from './proxy-protocol';
import { covers, matchKey, matchSlug, RouteMatch } from '../gateway-api/route-match';

const POLICY_GROUP = 'policy.linkerd.io';

/** Who may be authorized on a port: a mesh identity (MeshTLSAuthentication) or the kubelet's network. */
export interface Authentication {
  readonly kind: 'MeshTLSAuthentication' | 'NetworkAuthentication';
  /** Its name in the port's namespace. */
  readonly name: string;
}

/** What a PortServer needs from its renderer. */
export interface PortServerOptions {
  /** The MeshTLSAuthentication of a caller, created in the port's namespace on first use. */
  readonly identityOf: (caller: IMeshWorkload) => Authentication;
  /** The kubelet's NetworkAuthentication in the port's namespace, created on first use. */
  readonly kubelet: () => Authentication;
  /** GET paths of the workload's HTTP probes on this port (empty for a peer whose probes are unknown). */
  readonly probePaths: readonly string[];
  /** Reports what Linkerd renders differently from what was declared. */
  readonly warn: (path: string, message: string) => void;
}

interface Route {
  readonly name: string;
  readonly match: RouteMatch;
}

/**
 * One workload port under Linkerd: its `Server` (deny unless authorized), and the authorizations
 * derived from the calls to it. A caller allowed any request gets an AuthorizationPolicy on the Server;
 * a caller limited to methods and paths gets one on each HTTPRoute that holds one of its matches.
 * Linkerd sends each request to one route only (the most specific), so there is one HTTPRoute per
 * distinct match, and a caller is authorized on every route whose match its own matches cover.
 * Once a Server has routes, requests matching none are refused, and Linkerd's default probe route is
 * gone: a catch-all route keeps the Server-wide callers whole, and a probe route admits the kubelet.
 */
export class PortServer extends Construct {
  public readonly serverName: string;
  public readonly server: ServerV1Beta3;
  private readonly routes = new Map<string, Route>();
  private readonly callerMatches: Array<{ caller: IMeshWorkload; match: RouteMatch }> = [];
  private readonly routeNames = new Set<string>();
  private readonly authorized = new Set<string>();
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
        port: port.port,
        proxyProtocol: proxyProtocol(port.protocol),
        accessPolicy: 'deny',
      },
    });
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
    if (this.port.protocol === 'GRPC') {
      fail(where, `port ${this.port.port} of ${this.workload.name} is gRPC: Linkerd routes gRPC by GRPCRoute, which soma-mesh does not render yet; allow the call on the whole port (no methods or paths) or declare the port as HTTP2`);
    }
    const first = this.routes.size === 0;
    for (const match of matches) {
      this.callerMatches.push({ caller, match });
      this.routeFor(match);
      for (const route of this.routes.values()) {
        if (covers(match, route.match)) this.authorize('HTTPRoute', route.name, this.options.identityOf(caller));
      }
    }
    if (first) this.onFirstRoute();
  }

  private onFirstRoute(): void {
    this.ensureCatchAll();
    if (this.options.probePaths.length > 0) {
      for (const path of this.options.probePaths) {
        const route = this.routeFor({ method: 'GET', path: { type: 'Exact', value: path } });
        this.authorize('HTTPRoute', route.name, this.options.kubelet());
      }
    } else if (!this.workload.deployed) {
      this.options.warn(this.node.path, `Linkerd: port ${this.port.port} of ${this.workload.name} now has HTTPRoutes, so Linkerd no longer authorizes the kubelet's HTTP probes on it by default; soma-mesh does not know that chart's probe paths: authorize them (an HTTPRoute with a NetworkAuthentication) or probe another port`);
    }
  }

  /** The route holding `match`, created (and authorized for every caller whose matches cover it) when new. */
  private routeFor(match: RouteMatch): Route {
    const key = matchKey(match);
    const existing = this.routes.get(key);
    if (existing) return existing;
    const route = { name: this.uniqueRouteName(matchSlug(match)), match };
    this.routes.set(key, route);
    new HttpRouteV1Beta3(this, `Route-${key}`, {
      metadata: { name: route.name, namespace: this.workload.namespace.name, labels: { app: this.workload.name } },
      spec: {
        parentRefs: [{ group: POLICY_GROUP, kind: 'Server', name: this.serverName }],
        rules: [{ matches: [toMatch(match)] }],
      },
    });
    for (const other of this.callerMatches) {
      if (covers(other.match, match)) this.authorize('HTTPRoute', route.name, this.options.identityOf(other.caller));
    }
    return route;
  }

  /** With routes on the Server, a request that matches none is refused: this route keeps Server-wide callers whole. */
  private ensureCatchAll(): void {
    if (this.catchAll || this.routes.size === 0 || this.serverWideCallers === 0) return;
    this.catchAll = true;
    new HttpRouteV1Beta3(this, 'CatchAll', {
      metadata: { name: this.uniqueRouteName('any'), namespace: this.workload.namespace.name, labels: { app: this.workload.name } },
      spec: {
        parentRefs: [{ group: POLICY_GROUP, kind: 'Server', name: this.serverName }],
        rules: [{ matches: [{ path: { type: HttpRouteV1Beta3SpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }] }],
      },
    });
  }

  /** One AuthorizationPolicy per target and authentication; false when it already exists. */
  private authorize(kind: 'Server' | 'HTTPRoute', target: string, authentication: Authentication): boolean {
    const key = `${kind}/${target}/${authentication.kind}/${authentication.name}`;
    if (this.authorized.has(key)) return false;
    this.authorized.add(key);
    new AuthorizationPolicy(this, `Authorization-${key}`, {
      metadata: { name: `${target}.from.${authentication.name}`, namespace: this.workload.namespace.name, labels: { app: this.workload.name } },
      spec: {
        targetRef: { group: POLICY_GROUP, kind, name: target },
        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: authentication.kind, name: authentication.name }],
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
