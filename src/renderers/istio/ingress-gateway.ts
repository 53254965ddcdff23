import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: the generated networking module (1.2 MB) is not loaded on the synth path.
import type {
  GatewaySpec, GatewaySpecServersTlsMinProtocolVersion, GatewaySpecServersTlsMode, VirtualServiceSpec,
} from '../../../imports/istio-networking.istio.io';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, RequestAuthentication, RequestAuthenticationSpecJwtRules,
} from '../../../imports/istio-security.istio.io';
import { Mesh } from '../../model/mesh';
import { MeshService } from '../../model/mesh-service';
import type { JwtIssuer, PublicIngress } from '../../model/public-ingress';
import { callMatches, edgeRoutes } from './route-table';

/**
 * A PublicIngress on Istio's ingress gateway: a `Gateway` (HTTPS with the host's certificate; HTTP answers with a
 * redirect to HTTPS), a `VirtualService` binding the public host to the backend for the operations the gateway's call
 * allows, and unless the host is anonymous a `RequestAuthentication` on the gateway that validates tokens of the
 * issuer (an invalid token is refused), and a DENY `AuthorizationPolicy` on the gateway that refuses requests for the
 * host without a valid token, except on the open paths.
 */
export class IstioIngressGateway extends Construct {
  /**
   * The Istio objects of a PublicIngress rendered for Istio, to change a field the props do not offer.
   * Renders the mesh first when it is not yet: make escape hatches after the last declaration.
   */
  public static of(ingress: PublicIngress): IstioIngressGateway {
    Mesh.of(ingress).render();
    const rendered = ingress.node.tryFindChild(IstioIngressGateway.ID);
    if (!(rendered instanceof IstioIngressGateway)) throw new Error(`[${ingress.node.path}] is not rendered for Istio: its mesh has another renderer`);
    return rendered;
  }

  /**
   * @internal the construct id under the PublicIngress
   * @jsii ignore
   */
  public static readonly ID = 'Istio';

  public readonly gatewayResource: ApiObject;
  public readonly virtualService: ApiObject;
  /** The token check; undefined on an anonymous host. */
  public readonly requestAuthentication?: ApiObject;
  /** The refusal of requests without a token; undefined on an anonymous host. */
  public readonly requireJwt?: ApiObject;

  public constructor(ingress: PublicIngress) {
    super(ingress, IstioIngressGateway.ID);
    const { gateway, backend, host, name } = ingress;
    const graph = Mesh.of(backend).callGraph;
    const namespace = backend.namespace.name;

    const gatewaySpec: GatewaySpec = {
      selector: { ...gateway.selector },
      servers: [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: [host],
          tls: { mode: 'SIMPLE' as GatewaySpecServersTlsMode, credentialName: ingress.credentialName, minProtocolVersion: 'TLSV1_2' as GatewaySpecServersTlsMinProtocolVersion },
        },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host], tls: { httpsRedirect: true } },
      ],
    };
    this.gatewayResource = new ApiObject(this, 'Gateway', {
      apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace, labels: { app: backend.name } }, spec: gatewaySpec,
    });

    const routesSpec: VirtualServiceSpec = {
      hosts: [host],
      gateways: [`${namespace}/${name}`],
      http: Lazy.any({ produce: () => {
        const call = ingress.entry;
        if (!call) return undefined;
        // Only the call's operations are routed (anything else gets a 404 at the gateway). Istio retries twice by
        // default: a call whose requests are not all idempotent must not be replayed.
        const retries = graph.isIdempotent(call) ? undefined : { attempts: 0 };
        // A service of this mesh routes by version here too, so canary, split and rollback apply at the edge.
        if (backend instanceof MeshService) return edgeRoutes(backend, call).map(route => ({ ...route, retries }));
        const route = [{ destination: { host: backend.host, port: { number: call.port } } }];
        return [{ match: callMatches(call), route, retries }];
      } }),
    };
    this.virtualService = new ApiObject(this, 'Routes', {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace, labels: { app: backend.name } }, spec: routesSpec,
    });

    const gatewayNamespace = gateway.namespace.name;
    if (!ingress.jwt) return; // anonymous: served to anyone, as declared
    this.requestAuthentication = new RequestAuthentication(this, 'Jwt', {
      metadata: { name: `${name}-jwt`, namespace: gatewayNamespace },
      spec: {
        selector: { matchLabels: { ...gateway.selector } },
        jwtRules: [jwtRule(ingress.jwt)],
      },
    });

    this.requireJwt = new AuthorizationPolicy(this, 'RequireJwt', {
      metadata: { name: `${name}-require-jwt`, namespace: gatewayNamespace },
      spec: { selector: { matchLabels: { ...gateway.selector } }, action: AuthorizationPolicySpecAction.DENY, rules: [requireJwtRule(ingress)] },
    });
  }
}

/** The token check of a PublicIngress: tokens of its issuer (and audiences), forwarded to the backend for its claims. */
export function jwtRule(jwt: JwtIssuer): RequestAuthenticationSpecJwtRules {
  return {
    issuer: jwt.issuer,
    // Rendered as `jwks_uri`, the field's proto name, which the CRD accepts like `jwksUri`.
    jwksUri: jwt.jwksUri,
    audiences: jwt.audiences && jwt.audiences.length > 0 ? [...jwt.audiences] : undefined,
    // The backend reads the caller's claims from the same token.
    forwardOriginalToken: true,
  };
}

/**
 * The DENY rule that refuses a request for the public host without a valid token, except on the open paths:
 * RequestAuthentication alone lets a request without a token through. Hosts match the Host header case-insensitively;
 * `host:*` covers a header that carries the port. A DENY rule with HTTP-only fields on a TCP listener would deny every
 * connection there, hence the optional port binding.
 */
export function requireJwtRule(ingress: PublicIngress): AuthorizationPolicySpecRules {
  const { host, openPaths } = ingress;
  return {
    from: [{ source: { notRequestPrincipals: ['*'] } }],
    to: [{ operation: { ports: ingress.gatewayHttpsPort === undefined ? undefined : [String(ingress.gatewayHttpsPort)], hosts: [host, `${host}:*`], notPaths: openPaths.length > 0 ? [...openPaths] : undefined } }],
  };
}
