import { Construct } from 'constructs';
import {
  ServiceEntry, ServiceEntrySpecLocation, ServiceEntrySpecResolution,
} from '../../../imports/istio-networking.istio.io';
import type { ExternalHost } from '../external-host';
import type { MeshNamespace } from '../mesh-namespace';

/**
 * The ServiceEntry of an external host in one namespace of its callers. It is exported to that namespace
 * only (`exportTo: ["."]`), and each caller's Sidecar imports it by `namespace/host`, so exactly the
 * workloads that call the host see it. Callers speak TLS themselves: the port is TLS (routed by SNI).
 * A wildcard host cannot be resolved by DNS ahead of time, so it uses resolution NONE (the caller's own
 * DNS answer is kept); a plain host uses DNS.
 */
export class ExternalServiceEntry extends Construct {
  public readonly resource: ServiceEntry;

  /** `exportTo` also lists the egress gateway's namespace when calls leave through it. */
  public constructor(scope: Construct, id: string, host: ExternalHost, namespace: MeshNamespace, egressGatewayNamespace?: string) {
    super(scope, id);
    this.resource = new ServiceEntry(this, 'Resource', {
      metadata: { name: serviceEntryName(host.host), namespace: namespace.name, labels: { 'soma-mesh.io/external-host': 'true' } },
      spec: {
        hosts: [host.host],
        exportTo: egressGatewayNamespace ? ['.', egressGatewayNamespace] : ['.'],
        location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
        resolution: host.isWildcard ? ServiceEntrySpecResolution.NONE : ServiceEntrySpecResolution.DNS,
        ports: [{ number: host.port, name: `tls-${host.port}`, protocol: 'TLS' }],
      },
    });
  }
}

/** `api.openai.com` -> `external-api-openai-com`; `*.amazonaws.com` -> `external-wildcard-amazonaws-com`. */
export function serviceEntryName(host: string): string {
  return `external-${host.replace(/^\*\./, 'wildcard.').replace(/\./g, '-')}`.slice(0, 63).replace(/-+$/, '');
}
