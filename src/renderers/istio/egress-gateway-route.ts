import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: the generated networking module (1.2 MB) is not loaded on the synth path.
import type { GatewaySpec, GatewaySpecServersTlsMode, VirtualServiceSpec } from '../../../imports/istio-networking.istio.io';
import type { ExternalHost } from '../../model/external-host';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { serviceEntryName } from './external-service-entry';

/** Istio's egress gateway, through which calls to external hosts leave the cluster. */
export interface EgressGatewayOptions {
  /**
   * The gateway's namespace.
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the gateway's pods.
   * @default { istio: 'egressgateway' }
   */
  readonly selector?: Record<string, string>;
  /**
   * The gateway's Service name (in its namespace).
   * @default 'istio-egressgateway'
   */
  readonly serviceName?: string;
  /**
   * The container port of the gateway's TLS listener behind Service port 443 (for the NetworkPolicies).
   * @default 8443
   */
  readonly containerPort?: number;
}

/** The options with their defaults. */
export function egressGatewayDefaults(options: EgressGatewayOptions): Required<EgressGatewayOptions> {
  return {
    namespace: options.namespace ?? 'istio-system',
    selector: options.selector ?? { istio: 'egressgateway' },
    serviceName: options.serviceName ?? 'istio-egressgateway',
    containerPort: options.containerPort ?? 8443,
  };
}

/**
 * What an EgressGatewayRoute sends through the egress gateway.
 * TypeScript only.
 * @jsii ignore
 */
export interface EgressGatewayRouteProps {
  /** The external host. */
  readonly host: ExternalHost;
  /** The callers' namespace, where the route lives. */
  readonly namespace: MeshNamespace;
  /** The egress gateway. */
  readonly gateway: Required<EgressGatewayOptions>;
}

/**
 * Sends one external host through the egress gateway, TLS untouched (SNI passthrough): a Gateway server for
 * the host on the egress gateway, and a VirtualService that routes the callers' sidecars to the gateway and
 * the gateway to the host. Only for a plain host: a wildcard cannot be forwarded by SNI without a custom proxy.
 * Built by the Istio renderer: TypeScript only.
 * @jsii ignore
 */
export class EgressGatewayRoute extends Construct {
  public constructor(scope: Construct, id: string, props: EgressGatewayRouteProps) {
    super(scope, id);
    const { host, namespace, gateway: options } = props;
    const clusterDomain = host.mesh.clusterDomain;
    const name = `${serviceEntryName(host.host)}-egress`;
    const gatewayRef = `${options.namespace}/${name}`;
    const gatewaySpec: GatewaySpec = {
      selector: { ...options.selector },
      servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: [host.host], tls: { mode: 'PASSTHROUGH' as GatewaySpecServersTlsMode } }],
    };
    new ApiObject(this, 'Gateway', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace: options.namespace }, spec: gatewaySpec });
    const routeSpec: VirtualServiceSpec = {
        hosts: [host.host],
        // The callers' namespace and the gateway's: nobody else needs the route.
        exportTo: ['.', options.namespace],
        gateways: ['mesh', gatewayRef],
        tls: [
          {
            match: [{ gateways: ['mesh'], port: host.port, sniHosts: [host.host] }],
            route: [{ destination: { host: `${options.serviceName}.${options.namespace}.svc.${clusterDomain}`, port: { number: 443 } } }],
          },
          {
            match: [{ gateways: [gatewayRef], port: 443, sniHosts: [host.host] }],
            route: [{ destination: { host: host.host, port: { number: host.port } } }],
          },
        ],
    };
    new ApiObject(this, 'Route', { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: namespace.name }, spec: routeSpec });
  }
}
