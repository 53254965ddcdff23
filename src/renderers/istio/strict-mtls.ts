import { PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../../../imports/istio-security.istio.io';
import type { Mesh } from '../../model/mesh';
import type { MeshNamespace } from '../../model/mesh-namespace';
import type { IMeshWorkload } from '../../model/workload';

/** The construct id of a namespace's or a workload's STRICT PeerAuthentication. */
export const STRICT_MTLS_ID = 'StrictMtls';

/**
 * Istio's STRICT mTLS, the same for sidecars and ambient: namespace-wide where the namespace asks for it, except in
 * Istio's root namespace, where a namespace-wide policy would be mesh-wide (that takes `mesh.enforceStrictMtlsMeshWide()`);
 * a workload whose namespace keeps other settings gets its own.
 */
export class IstioStrictMtls {
  public constructor(private readonly rootNamespace: string) {}

  public renderNamespace(namespace: MeshNamespace): void {
    if (!this.namespaceWide(namespace)) return;
    new PeerAuthentication(namespace, STRICT_MTLS_ID, {
      metadata: { name: 'default', namespace: namespace.name },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });
  }

  public renderWorkload(workload: IMeshWorkload): void {
    if (this.namespaceWide(workload.namespace)) return;
    new PeerAuthentication(workload, STRICT_MTLS_ID, {
      metadata: { name: `${workload.name}-strict`, namespace: workload.namespace.name },
      spec: { selector: { matchLabels: { ...workload.selector } }, mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });
  }

  /** The root namespace's PeerAuthentication: STRICT for the whole mesh, only when asked for by name. */
  public renderMeshWide(mesh: Mesh): void {
    new PeerAuthentication(mesh, 'MeshWideStrictMtls', {
      metadata: { name: 'default', namespace: this.rootNamespace },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });
  }

  private namespaceWide(namespace: MeshNamespace): boolean {
    return namespace.strictMtls && namespace.name !== this.rootNamespace;
  }
}
