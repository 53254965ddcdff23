import { Construct } from 'constructs';
import type { Call } from './call';
import { checkPath } from './http-rules';
import { Mesh } from './mesh';
import { checkDnsLabel, checkPort, fail } from './validation';
import { checkWorkload, pathOf } from './declaration-checks';
import { PropsCheck } from './props-check';
import type { IMeshWorkload } from './workload';

/** The issuer of the JWTs the ingress accepts. */
export interface JwtIssuer {
  /** The `iss` claim of its tokens. */
  readonly issuer: string;
  /** Where the gateway's control plane fetches its public keys (a JWKS document over HTTPS). */
  readonly jwksUri: string;
  /**
   * Accepted `aud` claims.
   * @default - any audience
   */
  readonly audiences?: string[];
}

/**
 * A public HTTPS entry point to one workload, through the cluster's ingress gateway: behind JWT authentication, or
 * open to anyone when declared `anonymous` (a public shop).
 */
export interface PublicIngressProps {
  /** The ingress gateway's pods (an ExistingWorkload without ports): they serve the public host. */
  readonly gateway: IMeshWorkload;
  /** The workload the public host routes to. Its calls must allow the gateway: `backend.allowFrom(gateway)`. */
  readonly backend: IMeshWorkload;
  /** The public host name, for example `api.example.com`. */
  readonly host: string;
  /** The Kubernetes TLS Secret of the host's certificate, in the ingress gateway's namespace. */
  readonly credentialName: string;
  /**
   * Who issues the tokens requests must carry. Give it, or declare the host `anonymous`.
   * @default - none: only with `anonymous: true`
   */
  readonly jwt?: JwtIssuer;
  /**
   * Serve the host to anyone, without any token check: no issuer, every path public (a shop's storefront). It must be
   * said here, so that a forgotten `jwt` never opens an API.
   * @default false - requests need a token of `jwt`
   */
  readonly anonymous?: boolean;
  /**
   * Paths reachable without a token: exact (`/healthz`), a `*` prefix or suffix (`/static/*`), or templates with `{*}`
   * (one segment) and `{**}` (the rest), as in `/product/{*}`. Every other path needs a valid JWT.
   * @default - none: every path needs a token
   */
  readonly openPaths?: string[];
  /**
   * The backend port the gateway routes to.
   * @default - the port of the gateway's call to the backend
   */
  readonly port?: number;
  /**
   * The container port of the gateway's HTTPS listener (gateway charts commonly map 443 to 8443). Set it when the
   * gateway also serves TCP listeners, so that the token rule binds to this port alone.
   * @default - no port: the rule covers the gateway's HTTP(S) listeners for the host
   */
  readonly gatewayHttpsPort?: number;
  /**
   * The name of the rendered gateway and route objects; the token resources are named after it.
   * @default - `<backend>-public`
   */
  readonly name?: string;
}

const HOST = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The public edge of the mesh, mesh-neutral: HTTPS for the host with its certificate (plain HTTP redirected), routed
 * to the backend, with requests that carry no valid token of the issuer refused except on the open paths. The gateway reaches the backend with its own
 * identity, as the call graph allows. The mesh's renderer turns it into that mesh's objects.
 */
export class PublicIngress extends Construct {
  public readonly gateway: IMeshWorkload;
  public readonly backend: IMeshWorkload;
  public readonly host: string;
  public readonly credentialName: string;
  /** The token issuer; undefined when the host is anonymous. */
  public readonly jwt?: JwtIssuer;
  /** Whether the host is served to anyone, without a token check. */
  public readonly anonymous: boolean;
  /** Paths reachable without a token, without repeats. */
  public readonly openPaths: string[];
  public readonly gatewayHttpsPort?: number;
  /** The name of the rendered objects. */
  public readonly name: string;
  private readonly port?: number;

  public constructor(scope: Construct, id: string, props: PublicIngressProps) {
    checkProps(pathOf(scope, id), props);
    Mesh.of(props.backend)._checkOpen(pathOf(scope, id));
    super(scope, id);
    this.name = props.name ?? `${props.backend?.name}-public`;
    this.openPaths = [...new Set(props.openPaths ?? [])];
    validate(this.node.path, props, this.name, this.openPaths);
    this.gateway = props.gateway;
    this.backend = props.backend;
    this.host = props.host;
    this.credentialName = props.credentialName;
    this.jwt = props.jwt;
    this.anonymous = props.anonymous === true;
    this.gatewayHttpsPort = props.gatewayHttpsPort;
    this.port = props.port;
    this.node.addValidation({
      validate: () => this.entry ? [] : [`${this.gateway.name} may not call ${this.backend.name}${this.port ? ` on port ${this.port}` : ''}: declare ${this.backend.name}.allowFrom(${this.gateway.name})`],
    });
    Mesh.of(props.backend)._registerIngress(this);
  }

  /** The gateway's call to the backend that public requests ride on, once declared. */
  public get entry(): Call | undefined {
    return Mesh.of(this.backend).callGraph.callsTo(this.backend)
      .find(c => c.caller === this.gateway && (this.port === undefined || c.port === this.port));
  }
}

/** Every prop's type, before anything is made. */
function checkProps(path: string, props: PublicIngressProps): void {
  const at = new PropsCheck(path);
  const p = at.object<PublicIngressProps>('props', props, '{ gateway, backend, host: "api.example.com", credentialName: "api-tls", jwt: {...} }');
  at.knownKeys('', p, 'PublicIngressProps');
  at.boolean('anonymous', p.anonymous);
  if (p.anonymous === true && p.jwt !== undefined) {
    at.fail('jwt', 'is given on an anonymous host',
      'leave jwt out to serve the host to anyone, or anonymous out to require its tokens');
  }
  if (p.anonymous !== true && p.jwt === undefined) {
    at.fail('jwt', 'is missing',
      'give the issuer of the tokens requests must carry, or declare anonymous: true to serve the host to anyone');
  }
  if (p.anonymous === true && p.openPaths !== undefined) {
    at.fail('openPaths', 'is given on an anonymous host, where every path is open', 'leave openPaths out');
  }
  checkWorkload(at, 'gateway', p.gateway, 'pass the ingress gateway, declared as an ExistingWorkload without ports');
  checkWorkload(at, 'backend', p.backend, 'pass the workload the public host routes to');
  at.string('host', p.host, '"api.example.com"');
  at.string('credentialName', p.credentialName, '"api-example-com-tls"');
  const jwtExample = '{ issuer: "https://issuer.example.com", '
    + 'jwksUri: "https://issuer.example.com/.well-known/jwks.json" }';
  const jwt = at.object<JwtIssuer>('jwt', p.jwt, jwtExample, p.anonymous === true);
  at.string('jwt.issuer', jwt.issuer, '"https://issuer.example.com"', p.anonymous === true);
  at.string('jwt.jwksUri', jwt.jwksUri, '"https://issuer.example.com/.well-known/jwks.json"', p.anonymous === true);
  at.array('jwt.audiences', jwt.audiences, '["api.example.com"]', (a, item) => at.string(item, a, '"api.example.com"'));
  at.array('openPaths', p.openPaths, '["/healthz"]', (o, item) => at.string(item, o, '"/healthz"'));
  at.integer('port', p.port, 1, 65535);
  at.integer('gatewayHttpsPort', p.gatewayHttpsPort, 1, 65535);
  at.string('name', p.name, '"api-public"', true);
  at.declaredTypes('', p, 'PublicIngressProps');
}

function validate(where: string, props: PublicIngressProps, name: string, openPaths: readonly string[]): void {
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
  if (props.jwt) {
    if (!props.jwt.issuer) fail(where, 'jwt.issuer is empty: give the `iss` claim of the tokens');
    if (!/^https:\/\/[^\s/]+\/\S*$/.test(props.jwt.jwksUri)) {
      fail(where, `jwt.jwksUri "${props.jwt.jwksUri}" is not an https:// URL with a path: the gateway fetches the signing keys from it and must be able to trust them`);
    }
  }
  for (const path of openPaths) {
    const error = checkPath(path);
    if (error) fail(where, `open path: ${error}`);
    // A bare "*" or a suffix pattern opens every API route at once: that is an anonymous host, said as such.
    if (path === '*' || path === '/*' || path.startsWith('*') || path === '/{**}') {
      fail(where, `open path "${path}" opens every path, or paths of any prefix: `
        + 'list the public prefixes ("/static/*") and templates ("/product/{*}"), or declare anonymous: true');
    }
  }
}
