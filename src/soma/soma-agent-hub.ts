import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { ExistingWorkload } from '../mesh/existing-workload';
import { ExternalHost } from '../mesh/external-host';
import { HealthCheck } from '../mesh/health-check';
import { Mesh, MeshProps } from '../mesh/mesh';
import { MeshNamespace } from '../mesh/mesh-namespace';
import { MeshService } from '../mesh/mesh-service';
import { Protocol } from '../mesh/protocol';
import { GoldenSignalDashboards } from '../mesh/istio/golden-signal-dashboards';
import { MeshTelemetry } from '../mesh/istio/mesh-telemetry';
import { PublicIngress } from '../mesh/istio/public-ingress';
import { SOMA_CALLS } from './calls';
import { SOMA_EXTERNAL_CALLS, SOMA_UNLISTED_EGRESS } from './egress';
import { SOMA_INGRESS_GATEWAY, SOMA_PEERS } from './infrastructure';
import { SOMA_INGRESS, SomaIngressSettings } from './ingress';
import { SOMA_IMAGE_TAG, SOMA_NAMESPACE, SOMA_SERVICES, SomaService } from './services';
import { SOMA_METRICS_PATHS, SOMA_TRACING } from './telemetry';

/** Options of the SomaAgentHub render. */
export interface SomaAgentHubProps extends ChartProps {
  /**
   * Mesh-wide settings (trust domain, renderer).
   * @default - Istio, trust domain cluster.local
   */
  readonly mesh?: MeshProps;
  /**
   * The public API's host, certificate, token issuer and open paths.
   * @default - SOMA_INGRESS (placeholders under somaagent.example)
   */
  readonly ingress?: Partial<SomaIngressSettings>;
}

/** SomaAgentHub's services, infrastructure peers and call graph, as one zero-trust mesh. */
export class SomaAgentHub extends Chart {
  public readonly mesh: Mesh;
  public readonly publicApi: PublicIngress;

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

    for (const call of SOMA_CALLS) {
      this.mesh.workload(call.to).allowFrom(this.mesh.workload(call.from), {
        port: call.port, methods: call.methods, paths: call.paths,
      });
    }

    const externalHosts = new Map<string, ExternalHost>();
    for (const call of SOMA_EXTERNAL_CALLS) {
      const host = externalHosts.get(call.host)
        ?? externalHosts.set(call.host, new ExternalHost(this.mesh, call.host, { host: call.host, port: call.port })).get(call.host)!;
      host.allowFrom(this.mesh.workload(call.from));
    }
    for (const egress of SOMA_UNLISTED_EGRESS) {
      this.mesh.callGraph.allowUnlistedEgress(this.mesh.workload(egress.from), { reason: egress.reason, ports: egress.ports });
    }

    const ingress = { ...SOMA_INGRESS, ...props.ingress };
    this.publicApi = new PublicIngress(this.mesh, 'PublicApi', {
      gateway: this.mesh.workload(`${SOMA_INGRESS_GATEWAY.namespace}/${SOMA_INGRESS_GATEWAY.name}`),
      backend: this.mesh.workload('gateway-api'),
      host: ingress.host,
      credentialName: ingress.credentialName,
      jwt: { issuer: ingress.issuer, jwksUri: ingress.jwksUri },
      openPaths: ingress.openPaths,
    });

    new MeshTelemetry(this.mesh, 'Telemetry', { tracingProvider: SOMA_TRACING.provider, samplingPercentage: SOMA_TRACING.samplingPercentage });
    new GoldenSignalDashboards(this.mesh, 'GoldenSignals', this.mesh);
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
    metrics: SOMA_METRICS_PATHS[spec.name] ? { path: SOMA_METRICS_PATHS[spec.name] } : undefined,
  });
}
