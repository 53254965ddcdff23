/** SomaAgentHub's public API: gateway-api behind Istio's ingress gateway, with identity-service's JWTs. */
export interface SomaIngressSettings {
  /** The public host of the API. */
  readonly host: string;
  /** The TLS Secret of the host's certificate, in istio-system (where the ingress gateway runs). */
  readonly credentialName: string;
  /** The `iss` claim of the tokens identity-service issues. */
  readonly issuer: string;
  /** identity-service's JWKS document (`/.well-known/jwks.json`), reachable by istiod over HTTPS. */
  readonly jwksUri: string;
  /** Paths of gateway-api reachable without a token: its liveness and readiness endpoints. */
  readonly openPaths: string[];
}

/**
 * Choice: placeholders under `somaagent.example`, to be set per installation. identity-service announces its
 * issuer from OIDC_ISSUER_URL and serves its keys under `<issuer>/.well-known/jwks.json`; the in-cluster URL
 * (http://identity-service:10002) cannot serve as the JWKS URI, because istiod fetches it without a sidecar,
 * over plain HTTP, from a workload that is STRICT mTLS and deny-by-default. So the issuer is identity-service's
 * public URL, and OIDC_ISSUER_URL must be set to the same value.
 */
export const SOMA_INGRESS: SomaIngressSettings = {
  host: 'api.somaagent.example',
  credentialName: 'somaagent-api-tls',
  issuer: 'https://identity.somaagent.example',
  jwksUri: 'https://identity.somaagent.example/.well-known/jwks.json',
  openPaths: ['/healthz', '/ready'],
};
