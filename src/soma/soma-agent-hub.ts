import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { ExistingWorkload } from '../mesh/existing-workload';
import { HealthCheck } from '../mesh/health-check';
import { Mesh, MeshProps } from '../mesh/mesh';
import { MeshNamespace } from '../mesh/mesh-namespace';
import { MeshService } from '../mesh/mesh-service';
import { Protocol } from '../mesh/protocol';
import { applyReleases, ReleaseFile } from '../mesh/release-file';
import { SOMA_CALLS } from './calls';
import { SOMA_INGRESS_GATEWAY, SOMA_PEERS } from './infrastructure';
import { SOMA_IMAGE_TAG, SOMA_NAMESPACE, SOMA_SERVICES, SomaService } from './services';
import { SOMA_CALL_TRAFFIC, SOMA_RESILIENCE } from './traffic';

/** Options of the SomaAgentHub render. */
export interface SomaAgentHubProps extends ChartProps {
  /**
   * Mesh-wide settings (trust domain, renderer).
   * @default - Istio, trust domain cluster.local
   */
  readonly mesh?: MeshProps;
  /**
   * Releases (canaries, splits, A/B, mirroring) read from a release file, and the file's name for errors.
   * @default - none: every service sends 100% to its v1
   */
  readonly releases?: { readonly file: ReleaseFile; readonly source: string };
}

/** SomaAgentHub's services, infrastructure peers and call graph, as one zero-trust mesh. */
export class SomaAgentHub extends Chart {
  public readonly mesh: Mesh;

  public constructor(scope: Construct, id: string, props: SomaAgentHubProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    this.mesh = new Mesh(this, 'Mesh', props.mesh);

    const apps = this.mesh.addNamespace(SOMA_NAMESPACE);
    for (const spec of SOMA_SERVICES) addService(apps, spec);

    // Namespaces of other charts: guarded, not created. istio-system keeps its own mTLS settings
    // (the ingress gateway terminates outside traffic), so it is declared only to name the gateway's identity.
    const existing = new Map<string, MeshNamespace>();
    const namespaceOf = (name: string) => existing.get(name)
      ?? existing.set(name, this.mesh.addNamespace(name, { create: false })).get(name)!;
    for (const peer of SOMA_PEERS) {
      new ExistingWorkload(namespaceOf(peer.namespace), peer.name, {
        selector: peer.selector, serviceAccountName: peer.serviceAccount, ports: [...peer.ports],
      });
    }
    const istioSystem = this.mesh.addNamespace(SOMA_INGRESS_GATEWAY.namespace, { create: false, strictMtls: false });
    new ExistingWorkload(istioSystem, SOMA_INGRESS_GATEWAY.name, {
      selector: SOMA_INGRESS_GATEWAY.selector, serviceAccountName: SOMA_INGRESS_GATEWAY.serviceAccount,
    });

    const callTraffic = new Map(SOMA_CALL_TRAFFIC.map(t => [`${t.from}>${t.to}`, t]));
    for (const call of SOMA_CALLS) {
      const traffic = callTraffic.get(`${call.from}>${call.to}`);
      this.mesh.workload(call.to).allowFrom(this.mesh.workload(call.from), {
        port: call.port, methods: call.methods, paths: call.paths, timeout: traffic?.timeout, retries: traffic?.retries,
      });
    }
    if (props.releases) applyReleases(this.mesh, props.releases.file, props.releases.source);
  }
}

function addService(namespace: MeshNamespace, spec: SomaService): MeshService {
  const repository = spec.repository ?? `somaagent/soma-${spec.name}`;
  const liveness = spec.port === undefined
    // Choice: the worker has no endpoint; this check fails when its code can no longer be imported.
    ? HealthCheck.command(['python', '-c', 'import app.worker'], { periodSeconds: 30, timeoutSeconds: 10 })
    : spec.liveness ? HealthCheck.http(spec.liveness) : HealthCheck.tcp();
  return new MeshService(namespace, spec.name, {
    image: `${repository}:${SOMA_IMAGE_TAG}`,
    ports: spec.port === undefined ? [] : [{ port: spec.port, protocol: Protocol.HTTP }],
    command: spec.command,
    liveness,
    readiness: spec.readiness ? HealthCheck.http(spec.readiness) : liveness,
    resilience: SOMA_RESILIENCE[spec.name],
  });
}
