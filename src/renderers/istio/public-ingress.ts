import { ApiObject, Lazy } from 'cdk8s';
import { checkWorkload, pathOf } from '../../model/declaration-checks';
import { PropsCheck } from '../../model/props-check';
import { Construct } from 'constructs';
// Types only: the generated networking module (1.2 MB) is not loaded on the synth path.
import type {
  GatewaySpec, GatewaySpecServersTlsMinProtocolVersion, GatewaySpecServersTlsMode, VirtualServiceSpec,
} from '../../../imports/istio-networking.istio.io';
import { AuthorizationPolicy, AuthorizationPolicySpecAction, RequestAuthentication } from '../../../imports/istio-security.istio.io';
import { checkPath } from '../../model/http-rules';
import { Mesh } from '../../model/mesh';
import { checkDnsLabel, checkPort, fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';

/** The issuer of the JWTs the ingress accepts. */
export interface JwtIssuer {
  /** The `iss` claim of its tokens. */
  readonly issuer: string;
  /** Where istiod fetches its public keys (a JWKS document over HTTPS). */
  readonly jwksUri: string;
  /**
   * Accepted `aud` claims.
   * @default - any audience
   */
  readonly audiences?: string[];
}

/** A public HTTPS entry point to one workload, through an Istio ingress gateway, behind JWT authentication. */
export interface PublicIngressProps {
  /** The ingress gateway's pods (an ExistingWorkload): they serve the public host. */
  readonly gateway: IMeshWorkload;
  /** The workload the public host routes to. Its calls must allow the gateway: `backend.allowFrom(gateway)`. */
  readonly backend: IMeshWorkload;
  /** The public host name, for example `api.example.com`. */
  readonly host: string;
  /** The Kubernetes TLS Secret of the host's certificate, in the ingress gateway's namespace. */
  readonly credentialName: string;
  /** Who issues the tokens requests must carry. */
  readonly jwt: JwtIssuer;
  /**
   * Exact paths reachable without a token (health checks). Every other path needs a valid JWT.
   * @default - none: every path needs a token
   */
  readonly openPaths?: string[];
  /**
   * The backend port the gateway routes to.
   * @default - the port of the gateway's call to the backend
   */
  readonly port?: number;
  /**
   * The container port of the gateway's HTTPS listener (AuthorizationPolicy ports are container ports; Istio's
   * gateway charts map 443 to 8443). Set it when the gateway also serves TCP listeners: the JWT rule is then bound
   * to this port, since a DENY rule with HTTP-only fields on a TCP listener would deny every connection there.
   * Declare the gateway's ports to the analyzer before setting it (it checks that policy ports are served).
   * @default - no port: the rule covers the gateway's HTTP(S) listeners for the host
   */
  readonly gatewayHttpsPort?: number;
  /**
   * The name of the Gateway and VirtualService; the JWT resources are named after it.
   * @default - `<backend>-public`
   */
  readonly name?: string;
}

const HOST = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The public edge of the mesh: an Istio `Gateway` (HTTPS with the host's certificate; HTTP answers with a
 * redirect to HTTPS), a `VirtualService` binding the public host to the backend, a `RequestAuthentication`
 * on the gateway that validates tokens of the issuer (an invalid token is refused), and a DENY
 * `AuthorizationPolicy` on the gateway that refuses requests for the host without a valid token, except on
 * the open paths. The gateway reaches the backend with its own identity, as the call graph allows.
 */
export class PublicIngress extends Construct {
  public readonly gatewayResource: ApiObject;
  public readonly virtualService: ApiObject;
  public readonly requestAuthentication: RequestAuthentication;
  public readonly requireJwt: AuthorizationPolicy;
  public readonly name: string;

  public constructor(scope: Construct, id: string, props: PublicIngressProps) {
    checkProps(pathOf(scope, id), props);
    super(scope, id);
    const where = this.node.path;
    const { gateway, backend, host } = props;
    this.name = props.name ?? `${backend.name}-public`;
    const openPaths = [...new Set(props.openPaths ?? [])];
    validate(where, props, this.name, openPaths);
    const graph = Mesh.of(backend).callGraph;
    const namespace = backend.namespace.name;
    const entry = () => {
      const calls = graph.callsTo(backend).filter(c => c.caller === gateway && (props.port === undefined || c.port === props.port));
      return calls[0];
    };
    this.node.addValidation({
      validate: () => entry() ? [] : [`${gateway.name} may not call ${backend.name}${props.port ? ` on port ${props.port}` : ''}: declare ${backend.name}.allowFrom(${gateway.name})`],
    });

    const gatewaySpec: GatewaySpec = {
        selector: { ...gateway.selector },
        servers: [
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: [host],
            tls: { mode: 'SIMPLE' as GatewaySpecServersTlsMode, credentialName: props.credentialName, minProtocolVersion: 'TLSV1_2' as GatewaySpecServersTlsMinProtocolVersion },
          },
          { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host], tls: { httpsRedirect: true } },
        ],
    };
    this.gatewayResource = new ApiObject(this, 'Gateway', {
      apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: this.name, namespace, labels: { app: backend.name } }, spec: gatewaySpec,
    });

    const routesSpec: VirtualServiceSpec = {
        hosts: [host],
        gateways: [`${namespace}/${this.name}`],
        http: Lazy.any({ produce: () => {
          const call = entry();
          if (!call) return undefined;
          return [{
            route: [{ destination: { host: backend.host, port: { number: call.port } } }],
            // Istio retries twice by default; a call whose requests are not all idempotent must not be replayed.
            retries: graph.isIdempotent(call) ? undefined : { attempts: 0 },
          }];
        } }),
    };
    this.virtualService = new ApiObject(this, 'Routes', {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: this.name, namespace, labels: { app: backend.name } }, spec: routesSpec,
    });

    const gatewayNamespace = gateway.namespace.name;
    this.requestAuthentication = new RequestAuthentication(this, 'Jwt', {
      metadata: { name: `${this.name}-jwt`, namespace: gatewayNamespace },
      spec: {
        selector: { matchLabels: { ...gateway.selector } },
        jwtRules: [{
          issuer: props.jwt.issuer,
          // Rendered as `jwks_uri`, the field's proto name, which the CRD accepts like `jwksUri`.
          jwksUri: props.jwt.jwksUri,
          audiences: props.jwt.audiences && props.jwt.audiences.length > 0 ? [...props.jwt.audiences] : undefined,
          // The backend reads the caller's claims from the same token.
          forwardOriginalToken: true,
        }],
      },
    });

    // RequestAuthentication alone lets a request without a token through: this DENY refuses it for the host.
    // Hosts match the Host header case-insensitively; `host:*` covers a header that carries the port.
    this.requireJwt = new AuthorizationPolicy(this, 'RequireJwt', {
      metadata: { name: `${this.name}-require-jwt`, namespace: gatewayNamespace },
      spec: {
        selector: { matchLabels: { ...gateway.selector } },
        action: AuthorizationPolicySpecAction.DENY,
        rules: [{
          from: [{ source: { notRequestPrincipals: ['*'] } }],
          to: [{ operation: { ports: props.gatewayHttpsPort === undefined ? undefined : [String(props.gatewayHttpsPort)], hosts: [host, `${host}:*`], notPaths: openPaths.length > 0 ? openPaths : undefined } }],
        }],
      },
    });
  }
}

function validate(where: string, props: PublicIngressProps, name: string, openPaths: string[]): void {
  if (props.gateway.deployed || props.gateway.ports.length > 0) {
    fail(where, `${props.gateway.name} is not an ingress gateway: pass the gateway's pods as an ExistingWorkload without ports`);
  }
  if (!HOST.test(props.host) || props.host.length > 253) {
    fail(where, `host "${props.host}" is not a DNS name: write the public host, such as "api.example.com" (no wildcard, no port)`);
  }
  const portError = props.gatewayHttpsPort === undefined ? undefined : checkPort(props.gatewayHttpsPort);
  if (portError) fail(where, portError);
  const nameError = checkDnsLabel('name', name) ?? checkDnsLabel('credentialName', props.credentialName);
  if (nameError) fail(where, nameError);
  if (!props.jwt.issuer) fail(where, 'jwt.issuer is empty: give the `iss` claim of the tokens');
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(props.jwt.jwksUri)) {
    fail(where, `jwt.jwksUri "${props.jwt.jwksUri}" is not an https:// URL with a path: istiod fetches the signing keys from it and must be able to trust them`);
  }
  for (const path of openPaths) {
    const error = checkPath(path);
    if (error) fail(where, error);
    if (path.includes('*') || path.includes('{')) fail(where, `open path "${path}" is a pattern: list exact paths, so that no API route opens by accident`);
  }
}

/** Every prop's type, before anything is made. */
function checkProps(path: string, props: PublicIngressProps): void {
  const at = new PropsCheck(path);
  const p = at.object<PublicIngressProps>('props', props, '{ gateway, backend, host: "api.example.com", credentialName: "api-tls", jwt: {...} }');
  checkWorkload(at, 'gateway', p.gateway, 'pass the ingress gateway, declared as an ExistingWorkload');
  checkWorkload(at, 'backend', p.backend, 'pass the MeshService the gateway forwards to');
  at.string('host', p.host, '"api.example.com"');
  at.string('credentialName', p.credentialName, '"api-example-com-tls"');
  const jwt = at.object<JwtIssuer>('jwt', p.jwt, '{ issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/.well-known/jwks.json" }');
  at.string('jwt.issuer', jwt.issuer, '"https://issuer.example.com"');
  at.string('jwt.jwksUri', jwt.jwksUri, '"https://issuer.example.com/.well-known/jwks.json"');
  at.array('jwt.audiences', jwt.audiences, '["api.example.com"]', (a, item) => at.string(item, a, '"api.example.com"'));
  at.array('openPaths', p.openPaths, '["/healthz"]', (o, item) => at.string(item, o, '"/healthz"'));
  at.integer('port', p.port, 1, 65535);
  at.integer('gatewayHttpsPort', p.gatewayHttpsPort, 1, 65535);
  at.string('name', p.name, '"api-public"', true);
}
