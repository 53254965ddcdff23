import { Construct } from 'constructs';
import {
  AuthorizationPolicy, HttpRouteV1Beta3, HttpRouteV1Beta3SpecRulesMatchesMethod, HttpRouteV1Beta3SpecRulesMatchesPathType,
  ServerV1Beta3, ServerV1Beta3SpecPodSelectorMatchExpressionsOperator,
} from '../../../imports/linkerd-policy.linkerd.io';
import type { Authentication } from './port-server';

const POLICY_GROUP = 'policy.linkerd.io';

/** The Linkerd proxy's admin port, by the name the injected proxy container gives it. */
export const LINKERD_ADMIN_PORT_NAME = 'linkerd-admin';
/** The proxy's own probe endpoints on its admin port (its container's liveness and readiness). */
export const LINKERD_PROXY_PROBE_PATHS = ['/live', '/ready'];

/** Prometheus's Linkerd identity: the ServiceAccount its meshed pods run as. */
export interface LinkerdPrometheusIdentity {
  /**
   * Prometheus's ServiceAccount.
   * @default 'prometheus'
   */
  readonly serviceAccount?: string;
  /**
   * Prometheus's namespace.
   * @default - the namespace of the NetworkPolicies' Prometheus pods (`observability` unless set)
   */
  readonly namespace?: string;
  /**
   * The name of the MeshTLSAuthentication rendered for it in each namespace.
   * @default 'prometheus'
   */
  readonly name?: string;
}

/**
 * What a ProxyAdminServer authorizes.
 * TypeScript only.
 * @jsii ignore
 */
export interface ProxyAdminServerOptions {
  /** The Server's name. */
  readonly name: string;
  readonly namespace: string;
  /** The pods whose proxies it covers: every meshed pod of the namespace, or one peer's pods. */
  readonly podSelector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: ServerV1Beta3SpecPodSelectorMatchExpressionsOperator }> };
  readonly prometheus: Authentication;
  readonly kubelet: Authentication;
}

/**
 * Every proxy's admin port (4191) under a Server with two routes, as `linkerd viz allow-scrapes` renders it, narrowed
 * to GET: `/metrics` for Prometheus's identity alone, and the proxy's own `/live` and `/ready` for the kubelet's
 * networks. Nothing else reaches the admin port (its other endpoints, such as `/shutdown`, stay denied).
 * Built by the Linkerd renderer: TypeScript only.
 * @jsii ignore
 */
export class ProxyAdminServer extends Construct {
  /** Covers every meshed pod of a namespace created here (Linkerd's injector labels them with its control-plane namespace). */
  public static forNamespace(scope: Construct, namespace: string, prometheus: Authentication, kubelet: Authentication): ProxyAdminServer {
    return new ProxyAdminServer(scope, 'LinkerdProxyAdmin', {
      name: 'proxy-admin', namespace, prometheus, kubelet,
      podSelector: { matchExpressions: [{ key: 'linkerd.io/control-plane-ns', operator: ServerV1Beta3SpecPodSelectorMatchExpressionsOperator.EXISTS }] },
    });
  }

  /** Covers one peer's pods, in a namespace of another chart whose other pods are not ours to govern. */
  public static forPeer(scope: Construct, peer: string, namespace: string, selector: Record<string, string>, prometheus: Authentication, kubelet: Authentication): ProxyAdminServer {
    return new ProxyAdminServer(scope, 'LinkerdProxyAdmin', { name: `${peer}-proxy-admin`, namespace, prometheus, kubelet, podSelector: { matchLabels: { ...selector } } });
  }

  private constructor(scope: Construct, id: string, options: ProxyAdminServerOptions) {
    super(scope, id);
    const { name, namespace } = options;
    new ServerV1Beta3(this, 'Server', {
      metadata: { name, namespace },
      spec: { podSelector: options.podSelector, port: LINKERD_ADMIN_PORT_NAME, proxyProtocol: 'HTTP/1', accessPolicy: 'deny' },
    });
    this.route(`${name}-metrics`, namespace, name, ['/metrics'], options.prometheus);
    this.route(`${name}-probes`, namespace, name, LINKERD_PROXY_PROBE_PATHS, options.kubelet);
  }

  private route(routeName: string, namespace: string, server: string, paths: string[], authentication: Authentication): void {
    new HttpRouteV1Beta3(this, `Route-${routeName}`, {
      metadata: { name: routeName, namespace },
      spec: {
        parentRefs: [{ group: POLICY_GROUP, kind: 'Server', name: server }],
        rules: [{
          matches: paths.map(value => ({
            method: HttpRouteV1Beta3SpecRulesMatchesMethod.GET,
            path: { type: HttpRouteV1Beta3SpecRulesMatchesPathType.EXACT, value },
          })),
        }],
      },
    });
    new AuthorizationPolicy(this, `Authorization-${routeName}`, {
      metadata: { name: `${routeName}.from.${authentication.name()}`, namespace },
      spec: {
        targetRef: { group: POLICY_GROUP, kind: 'HTTPRoute', name: routeName },
        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: authentication.kind, name: authentication.name() }],
      },
    });
  }
}
