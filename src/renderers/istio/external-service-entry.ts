import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
// Types only: the generated networking module (1.2 MB) is not loaded on the synth path.
import type { ServiceEntrySpec } from '../../../imports/istio-networking.istio.io';
import type { ExternalHost } from '../../model/external-host';
import type { MeshNamespace } from '../../model/mesh-namespace';

/** Where an ExternalServiceEntry makes its host known. */
export interface ExternalServiceEntryProps {
  /** The external host. */
  readonly host: ExternalHost;
  /** The callers' namespace: the entry is exported there only. */
  readonly namespace: MeshNamespace;
  /**
   * The egress gateway's namespace, when calls leave through it (it must see the host too).
   * @default - calls leave from the callers' proxies
   */
  readonly egressGatewayNamespace?: string;
}

/**
 * The ServiceEntry of an external host in one namespace of its callers. It is exported to that namespace
 * only (`exportTo: ["."]`), and each caller's Sidecar imports it by `namespace/host`, so exactly the
 * workloads that call the host see it. Callers speak TLS themselves: the port is TLS (routed by SNI); a plain HTTP
 * host's port is HTTP (routed by the Host header).
 * A wildcard host cannot be resolved by DNS ahead of time, so it uses resolution NONE (the caller's own
 * DNS answer is kept); a plain host uses DNS.
 */
export class ExternalServiceEntry extends Construct {
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, props: ExternalServiceEntryProps) {
    super(scope, id);
    const { host, namespace, egressGatewayNamespace } = props;
    const spec: ServiceEntrySpec = {
      hosts: [host.host],
      exportTo: egressGatewayNamespace ? ['.', egressGatewayNamespace] : ['.'],
      location: 'MESH_EXTERNAL' as ServiceEntrySpec['location'],
      resolution: (host.isWildcard ? 'NONE' : 'DNS') as ServiceEntrySpec['resolution'],
      // Plain HTTP is declared as HTTP: a TLS port would make the proxies wait for a TLS hello that never comes.
      ports: [host.speaksTls
        ? { number: host.port, name: `tls-${host.port}`, protocol: 'TLS' }
        : { number: host.port, name: `http-${host.port}`, protocol: 'HTTP' }],
    };
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: serviceEntryName(host.host), namespace: namespace.name, labels: { 'soma-mesh.io/external-host': 'true' } },
      spec,
    });
  }
}

/** `api.openai.com` -> `external-api-openai-com`; `*.amazonaws.com` -> `external-wildcard-amazonaws-com`. */
export function serviceEntryName(host: string): string {
  return `external-${host.replace(/^\*\./, 'wildcard.').replace(/\./g, '-')}`.slice(0, 63).replace(/-+$/, '');
}
