import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: the generated Gateway API module (0.8 MB) is not loaded on the synth path.
import type { GatewaySpec, HttpRouteSpec } from '../../../imports/gateway-api-gateway.networking.k8s.io';
import { AuthorizationPolicy, AuthorizationPolicySpecAction, RequestAuthentication } from '../../../imports/istio-security.istio.io';
import { Mesh } from '../../model/mesh';
import type { PublicIngress } from '../../model/public-ingress';
import { edgeMatches } from '../gateway-api/route-match';
import { jwtRule, requireJwtRule } from '../istio/ingress-gateway';

/** The GatewayClass of Istio's Gateway API gateways. */
export const ISTIO_GATEWAY_CLASS = 'istio';

/** How the Gateway API ingress routes. */
export interface GatewayApiIngressOptions {
  /**
   * Write the route's `retry` (Gateway API's experimental channel): none unless every request is idempotent.
   * @default false
   */
  readonly retries?: boolean;
}

/**
 * A PublicIngress as Gateway API objects on Istio's ingress gateway, for the ambient render:
 * - a `Gateway` of class `istio` in the gateway's namespace, bound to the existing gateway Deployment through its Service
 *   (`addresses`, Istio's manual deployment), so that the gateway keeps the identity the call graph names; an HTTPS
 *   listener with the host's certificate, an HTTP one that only redirects, routes admitted from the backend's namespace;
 * - an `HTTPRoute` binding the public host to the backend, and one redirecting plain HTTP to HTTPS;
 * - a `RequestAuthentication` and a DENY `AuthorizationPolicy` attached to the Gateway (`targetRefs`): an invalid token is
 *   refused, and a request without one is refused except on the open paths.
 */
export class GatewayApiIngress extends Construct {
  public readonly gatewayResource: ApiObject;
  public readonly route: ApiObject;
  public readonly redirect: ApiObject;
  /** The token check; undefined on an anonymous host. */
  public readonly requestAuthentication?: ApiObject;
  /** The refusal of requests without a token; undefined on an anonymous host. */
  public readonly requireJwt?: ApiObject;

  /** @param options.retries write the route's `retry` (Gateway API's experimental channel): none unless every request is idempotent */
  public constructor(ingress: PublicIngress, id: string, options: GatewayApiIngressOptions = {}) {
    super(ingress, id);
    const { gateway, backend, host, name } = ingress;
    const mesh = Mesh.of(backend);
    const gatewayNamespace = gateway.namespace.name;
    const backendNamespace = backend.namespace.name;
    const fromBackend = { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': backendNamespace } } } };
    const gatewaySpec: GatewaySpec = {
      gatewayClassName: ISTIO_GATEWAY_CLASS,
      addresses: [{ type: 'Hostname', value: `${gateway.name}.${gatewayNamespace}.svc.${mesh.clusterDomain}` }],
      listeners: [
        { name: 'https', hostname: host, port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: ingress.credentialName }] }, allowedRoutes: fromBackend },
        { name: 'http', hostname: host, port: 80, protocol: 'HTTP', allowedRoutes: fromBackend },
      ] as GatewaySpec['listeners'],
    };
    this.gatewayResource = new ApiObject(this, 'Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: gatewayNamespace, labels: { app: backend.name } }, spec: gatewaySpec,
    });
    const parent = (sectionName: string) => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name, namespace: gatewayNamespace, sectionName });
    const routeSpec: HttpRouteSpec = {
      parentRefs: [parent('https')],
      hostnames: [host],
      rules: Lazy.any({ produce: () => {
        const call = ingress.entry;
        if (!call) return undefined;
        // Only the call's operations are routed (anything else gets a 404 at the gateway). Istio retries twice by
        // default: a call whose requests are not all idempotent must not be replayed.
        const retry = options.retries && !mesh.callGraph.isIdempotent(call) ? { retry: { attempts: 0 } } : {};
        const backendRefs = [{ group: '', kind: 'Service', name: backend.name, port: call.port }];
        return [{ matches: edgeMatches(call), backendRefs, ...retry }];
      } }) as unknown as HttpRouteSpec['rules'],
    };
    this.route = new ApiObject(this, 'Route', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: backendNamespace, labels: { app: backend.name } }, spec: routeSpec,
    });
    const redirectSpec: HttpRouteSpec = {
      parentRefs: [parent('http')],
      hostnames: [host],
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }] as HttpRouteSpec['rules'],
    };
    this.redirect = new ApiObject(this, 'Redirect', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: `${name}-https-redirect`, namespace: backendNamespace, labels: { app: backend.name } }, spec: redirectSpec,
    });
    if (!ingress.jwt) return; // anonymous: served to anyone, as declared
    const targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name }];
    this.requestAuthentication = new RequestAuthentication(this, 'Jwt', {
      metadata: { name: `${name}-jwt`, namespace: gatewayNamespace },
      spec: { targetRefs, jwtRules: [jwtRule(ingress.jwt)] },
    });
    this.requireJwt = new AuthorizationPolicy(this, 'RequireJwt', {
      metadata: { name: `${name}-require-jwt`, namespace: gatewayNamespace },
      spec: { targetRefs, action: AuthorizationPolicySpecAction.DENY, rules: [requireJwtRule(ingress)] },
    });
  }
}
