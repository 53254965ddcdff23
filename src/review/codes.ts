/**
 * Every finding the analyzer can report, under a stable code. Codes never change meaning;
 * docs/analyzer.md documents each one (what, why, fix, and the istioctl/Kiali equivalent).
 */
export enum Severity {
  /** Breaks traffic or security: fails synth and `soma-mesh check`. */
  ERROR = 'error',
  /** Probably wrong: printed; acknowledge it with a reason when it is intended. */
  WARNING = 'warning',
}

/** One kind of finding. */
export interface AnalyzerCode {
  readonly code: string;
  readonly severity: Severity;
  /** A short title. */
  readonly title: string;
  /** How to fix it, in general. */
  readonly fix: string;
  /** The Kiali (KIA0xxx) equivalents, if any, and related istioctl analyze checks (IST0xxx), which are not equivalents. */
  readonly equivalent: string;
}

const E = Severity.ERROR;
const W = Severity.WARNING;
const code = (c: string, severity: Severity, title: string, fix: string, equivalent: string): AnalyzerCode =>
  ({ code: c, severity, title, fix, equivalent });

export const CODES = {
  DR_TLS_STRICT: code('SM1001', E, 'DestinationRule TLS mode turns off Istio mTLS to a STRICT workload',
    'remove `tls` or set `mode: ISTIO_MUTUAL`', 'none since IST0113 was removed; KIA0207/KIA0208, KIA0501'),
  DR_TLS_PERMISSIVE: code('SM1002', W, 'DestinationRule TLS mode turns off Istio mTLS to a mesh workload',
    'remove `tls` or set `mode: ISTIO_MUTUAL`', 'KIA0207/KIA0208'),
  SUBSET_NO_PODS: code('SM1003', E, 'DestinationRule subset labels match no pod',
    'use labels that the host\'s pods carry (for example `version: v1`)', 'KIA0203; related istioctl check, not equivalent: IST0173'),
  SUBSET_NO_LABELS: code('SM1004', W, 'DestinationRule subset has no labels',
    'give the subset the labels of its pods', 'KIA0209'),
  DR_HOST_UNKNOWN: code('SM1005', W, 'DestinationRule host matches no Service',
    'name a Service host, fully qualified (`name.namespace.svc.cluster.local`)', 'KIA0202; related istioctl check, not equivalent: IST0174'),
  DUPLICATE_SUBSET: code('SM1006', E, 'DestinationRule defines a subset name twice, or two DestinationRules share a host',
    'give each subset its own name and keep one DestinationRule per host', 'KIA0201'),
  HTTP_ON_TCP: code('SM1101', E, 'AuthorizationPolicy uses HTTP-only fields on a TCP port',
    'on a TCP port name only ports (and sources); declare the port as HTTP (`http-` name or appProtocol) to match methods and paths',
    'related istioctl check, not equivalent: IST0106/IST0133'),
  PORT_NOT_SERVED: code('SM1102', E, 'AuthorizationPolicy names a port that the selected workloads do not serve',
    'use the container port the workload serves (AuthorizationPolicy ports are container ports, not Service ports)', 'none (KIA0701 for Services)'),
  SELECTOR_NO_MATCH: code('SM1103', W, 'policy selector matches no workload',
    'fix the labels, or declare the workload (`--peers` for workloads of other charts)', 'KIA0004; related istioctl check, not equivalent: IST0127'),
  RULE_NEVER_MATCHES: code('SM1104', E, 'AuthorizationPolicy rule can never match',
    'remove the empty or contradictory condition, or the rule', 'KIA0102 (invalid methods)'),
  SPIFFE_PRINCIPAL: code('SM1105', E, 'principal starts with spiffe://', 'write `cluster.local/ns/<namespace>/sa/<service account>`: Istio adds the prefix', 'none'),
  PRINCIPAL_UNKNOWN: code('SM1106', W, 'principal names a service account that no workload runs as',
    'name the caller\'s real namespace and ServiceAccount, or declare the caller (`--peers`)', 'KIA0106'),
  DENY_WITHOUT_RULES: code('SM1107', E, 'DENY AuthorizationPolicy has no rules', 'add the rules to deny, or delete the policy', 'related istioctl check, not equivalent: IST0106'),
  SELECTOR_SYNTAX: code('SM1108', E, 'selector has an empty key, a `*`, or is combined with targetRef',
    'use exact labels, and only one of selector / targetRef / targetRefs', 'CRD CEL rule'),
  SERVICE_ACCOUNTS_MIXED: code('SM1109', E, 'AuthorizationPolicy source mixes serviceAccounts with principals or namespaces',
    'use serviceAccounts alone, or principals and namespaces', 'CRD CEL rule'),
  AMBIENT_L7_AT_ZTUNNEL: code('SM1110', E, 'ambient: a selector AuthorizationPolicy rule names HTTP attributes, which ztunnel cannot enforce',
    'attach the rule to the Service with `targetRefs` and send the Service through a waypoint (`istio.io/use-waypoint`)', 'istiod status message (ztunnel does not support HTTP attributes)'),
  PORT_NAME: code('SM1201', W, 'Service port has no protocol: unnamed or not named `<protocol>[-suffix]`, and no appProtocol',
    'name the port `http-...`, `http2-...`, `grpc-...` or `tcp-...`, or set appProtocol', 'KIA0601/KIA0602; related istioctl check, not equivalent: IST0118'),
  SERVICE_TARGET_NOT_SERVED: code('SM1202', W, 'Service targets a port that its pods do not declare',
    'declare the containerPort, or target a served port', 'KIA0701; related istioctl check, not equivalent: IST0137'),
  DEFAULT_SERVICE_ACCOUNT: code('SM1301', W, 'workload runs as the `default` ServiceAccount',
    'give the workload its own ServiceAccount, so that policies can tell it apart', 'none'),
  NO_AUTHORIZATION: code('SM1302', W, 'workload is covered by no AuthorizationPolicy', 'add an allow-nothing policy to its namespace and ALLOW its callers', 'KIA1301'),
  NOT_STRICT: code('SM1303', W, 'workload port accepts plaintext (mTLS not STRICT)',
    'add a PeerAuthentication with `mtls.mode: STRICT` for its namespace or workload', 'KIA0205/KIA0206'),
  PORT_LEVEL_MTLS_SELECTOR: code('SM1304', E, 'PeerAuthentication portLevelMtls without a selector',
    'add a selector for the workload the ports belong to', 'CRD CEL rule'),
  ROUTE_HOST_UNKNOWN: code('SM1401', E, 'VirtualService routes to a host that no Service or ServiceEntry defines',
    'route to an existing Service host, fully qualified', 'KIA1101; related istioctl check, not equivalent: IST0101'),
  ROUTE_SUBSET_UNKNOWN: code('SM1402', E, 'VirtualService routes to a subset that no DestinationRule defines',
    'define the subset in the host\'s DestinationRule, or route without it', 'KIA1107; related istioctl check, not equivalent: IST0101'),
  ROUTE_PORT_REQUIRED: code('SM1403', E, 'VirtualService routes to a multi-port Service without a destination port',
    'set `destination.port.number`', 'related istioctl check, not equivalent: IST0112'),
  VS_HOST_CONFLICT: code('SM1404', E, 'two VirtualServices claim the same host on the mesh', 'merge them into one VirtualService per host', 'KIA1106; related istioctl check, not equivalent: IST0109'),
  UNREACHABLE_ROUTE: code('SM1405', W, 'VirtualService route can never be reached: it follows a catch-all route, or earlier routes list all its matches',
    'move the catch-all route last, or remove the unreachable route', 'related istioctl check, not equivalent: IST0130'),
  RETRY_NON_IDEMPOTENT: code('SM1406', W, 'route that may carry non-idempotent requests (POST, PATCH) is retried',
    'set `retries: { attempts: 0 }` on that route (Istio retries twice by default), or match only idempotent methods', 'none'),
  ROUTE_WEIGHTS: code('SM1407', E, 'route weights do not sum to 100', 'make the weights of the route\'s destinations sum to 100', 'KIA1104'),
  ROLLOUT_REFERENCE_UNKNOWN: code('SM1501', E,
    'Argo Rollout names a Deployment, route, subset or AnalysisTemplate that does not exist',
    'render the object it names, or name an existing one (each stepped route must send to the stable and the canary subset)',
    'none'),
} as const;

/** Every code, by its code string. */
export const CODE_LIST: readonly AnalyzerCode[] = Object.values(CODES);
