import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  Gateway, GatewaySpecListenersAllowedRoutesNamespacesFrom, GatewaySpecListenersTlsMode, HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType,
} from '../../../imports/gateway-api-gateway.networking.k8s.io';
import type { PublicIngress } from '../../model/public-ingress';
import { edgeMatches } from '../gateway-api/route-match';
import { checkDnsLabel, checkPort, fail } from '../../model/validation';

/**
 * The meshed Gateway API controller that serves the public edge under Linkerd (Linkerd has no ingress of its own):
 * its GatewayClass, and the namespace and ServiceAccount its Linkerd-injected proxy pods run as, whose identity is the
 * only one authorized from the edge on the backend.
 */
export interface LinkerdEdgeProps {
  /** The GatewayClass of the controller, for example `traefik` or `envoy-gateway`. */
  readonly gatewayClassName: string;
  /** The controller's namespace, where the Gateway and the host's TLS Secret live. */
  readonly controllerNamespace: string;
  /** The ServiceAccount of the controller's pods (the pods that proxy the requests), whose Linkerd identity calls the backend. */
  readonly controllerServiceAccount: string;
  /**
   * Labels of the controller's pods, for the NetworkPolicy that admits them to the backend.
   * @default - every pod of the controller's namespace
   */
  readonly controllerLabels?: Record<string, string>;
  /**
   * The Gateway's HTTPS listener port (some controllers bind listeners to their own entry points, such as 8443).
   * @default 443
   */
  readonly httpsPort?: number;
  /**
   * The Gateway's plain HTTP listener port, which redirects to HTTPS.
   * @default 80
   */
  readonly httpPort?: number;
  /**
   * The controller feature that validates the ingress's JWTs (Linkerd validates no tokens), named so that the
   * render can say who does, for example `Envoy Gateway SecurityPolicy jwt`. It is annotated on the route; configuring
   * it stays with the controller.
   * @default - none: the missing token check is reported at synth
   */
  readonly tokenValidation?: string;
}

/**
 * A PublicIngress under Linkerd: a Gateway API `Gateway` for the public host in the controller's namespace (HTTPS
 * with the host's certificate; plain HTTP answers with a redirect), an `HTTPRoute` from it to the backend's Service,
 * and a NetworkPolicy admitting the controller's pods to the backend port. The backend's Linkerd policy admits the
 * controller's identity in place of the ingress gateway workload of the call graph.
 */
export class LinkerdEdge extends Construct {
  public constructor(scope: Construct, id: string, ingress: PublicIngress, props: LinkerdEdgeProps) {
    super(scope, id);
    validateEdge(ingress.node.path, props);
    const backend = ingress.backend;
    const backendNs = backend.namespace.name;
    const httpsPort = props.httpsPort ?? 443;
    const httpPort = props.httpPort ?? 80;
    const port = Lazy.any({ produce: () => ingress.entry?.port }) as unknown as number;
    const allowedRoutes = {
      namespaces: {
        from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR,
        selector: { matchLabels: { 'kubernetes.io/metadata.name': backendNs } },
      },
    };
    new Gateway(this, 'Gateway', {
      metadata: { name: ingress.name, namespace: props.controllerNamespace },
      spec: {
        gatewayClassName: props.gatewayClassName,
        listeners: [
          {
            name: 'https', port: httpsPort, protocol: 'HTTPS', hostname: ingress.host, allowedRoutes,
            tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: ingress.credentialName }] },
          },
          { name: 'http', port: httpPort, protocol: 'HTTP', hostname: ingress.host, allowedRoutes },
        ],
      },
    });
    const parent = (sectionName: string) => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: ingress.name, namespace: props.controllerNamespace, sectionName });
    // A plain object: the typed class maps its rules before synth, when the gateway's call may not be declared yet.
    new ApiObject(this, 'Route', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name: ingress.name, namespace: backendNs, labels: { app: backend.name },
        annotations: props.tokenValidation && ingress.jwt
          ? { 'soma-mesh.io/token-validation': `${props.tokenValidation}: issuer ${ingress.jwt.issuer}, keys ${ingress.jwt.jwksUri}` }
          : undefined,
      },
      spec: {
        parentRefs: [parent('https')],
        hostnames: [ingress.host],
        // Only the gateway's declared operations are routed: anything else gets a 404 at the controller.
        rules: Lazy.any({ produce: () => [{
          matches: ingress.entry ? edgeMatches(ingress.entry) : undefined,
          backendRefs: [{ group: '', kind: 'Service', name: backend.name, port }],
        }] }),
      },
    });
    new HttpRoute(this, 'Redirect', {
      metadata: { name: `${ingress.name}-redirect`, namespace: backendNs, labels: { app: backend.name } },
      spec: {
        parentRefs: [parent('http')],
        hostnames: [ingress.host],
        rules: [{
          filters: [{
            type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
            requestRedirect: { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS, statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301 },
          }],
        }],
      },
    });
    // NetworkPolicies add up: this one admits the controller's pods beside the callers the call graph names.
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: `${backend.name}-edge`, namespace: backendNs, labels: { app: backend.name } },
      spec: {
        podSelector: { matchLabels: { ...backend.selector } },
        policyTypes: ['Ingress'],
        // Read at synth: the gateway's call to the backend may be declared after the ingress.
        ingress: Lazy.any({
          produce: () => [{
            from: [{
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.controllerNamespace } },
              podSelector: props.controllerLabels ? { matchLabels: { ...props.controllerLabels } } : undefined,
            }],
            ports: ingress.entry ? [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(ingress.entry.port) }] : [],
          }],
        }),
      },
    });
  }
}

function validateEdge(where: string, props: LinkerdEdgeProps): void {
  const error = checkDnsLabel('edge.controllerNamespace', props.controllerNamespace)
    ?? (props.httpsPort === undefined ? undefined : checkPort(props.httpsPort))
    ?? (props.httpPort === undefined ? undefined : checkPort(props.httpPort));
  if (error) fail(where, error);
  if (!props.gatewayClassName) fail(where, 'edge.gatewayClassName is empty: give the GatewayClass of your meshed Gateway API controller');
  if (!props.controllerServiceAccount) fail(where, 'edge.controllerServiceAccount is empty: give the ServiceAccount of the controller\'s proxy pods, whose Linkerd identity reaches the backend');
  if (props.httpsPort !== undefined && props.httpsPort === props.httpPort) fail(where, `edge.httpsPort and edge.httpPort are both ${props.httpPort}: give the listeners different ports`);
}
