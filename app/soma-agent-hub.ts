import { Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  Delivery, ExistingWorkload, ExternalHost, HealthCheck, IstioRenderer, Mesh, MeshNamespace, MeshProps,
  MeshService, MeshTelemetry, PropsCheck, Protocol, PublicIngress, Release, ReleaseFile,
} from '../src';
import { SOMA_CALLS } from './calls';
import { SOMA_CONFIGURATION, SOMA_SECRET, SomaServiceConfig } from './configuration';
import { SomaDelivery, somaDeliveryOf } from './delivery';
import { SOMA_EXTERNAL_CALLS, SOMA_UNLISTED_EGRESS } from './egress';
import { SOMA_INGRESS_GATEWAY, SOMA_PEERS } from './infrastructure';
import { SOMA_INGRESS, SomaIngressSettings } from './ingress';
import { SOMA_IMAGE_TAG, SOMA_NAMESPACE, SOMA_SERVICES, SomaService } from './services';
import { SOMA_METRICS_PATHS, SOMA_TRACING } from './telemetry';
import { SOMA_CALL_TRAFFIC, SOMA_RESILIENCE } from './resilience';

/** Options of the SomaAgentHub render. */
export interface SomaAgentHubProps extends ChartProps {
  /**
   * Mesh-wide settings (trust domain, renderer).
   * @default - Istio, trust domain cluster.local
   */
  readonly mesh?: Partial<MeshProps>;
  /**
   * The public API's host, certificate, token issuer and open paths.
   * @default - SOMA_INGRESS (placeholders under somaagent.example)
   */
  readonly ingress?: Partial<SomaIngressSettings>;
  /**
   * Releases (canaries, splits, A/B, mirroring) read from a release file, and the file's name for errors.
   * @default - none: every service sends 100% to its v1
   */
  readonly releases?: { readonly file: ReleaseFile; readonly source: string };
  /**
   * How canaries are delivered: by the release file, or by Argo Rollouts for the services in SOMA_CANARY_ANALYSIS.
   * @default SomaDelivery.RELEASE_FILE
   */
  readonly delivery?: SomaDelivery;
}

/** SomaAgentHub's services, infrastructure peers and call graph, as one zero-trust mesh. */
export class SomaAgentHub extends Chart {
  public readonly mesh: Mesh;
  /** The public API on the cluster's ingress gateway. */
  public readonly publicApi: PublicIngress;

  public constructor(scope: Construct, id: string, props: SomaAgentHubProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    checkReleases(new PropsCheck(this.node.path), props.releases);
    this.mesh = new Mesh(this, 'Mesh', { renderer: new IstioRenderer(), ...props.mesh });

    const apps = this.mesh.addNamespace(SOMA_NAMESPACE);
    for (const spec of SOMA_SERVICES) addService(this, apps, spec, props.delivery ?? SomaDelivery.RELEASE_FILE);

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
      // The caller's variable for this callee's address, when its configuration has one: derived from this call.
      const discovery = SOMA_CONFIGURATION[call.from]?.discovery?.find(d => d.to === call.to);
      this.mesh.workload(call.to).allowFrom(this.mesh.workload(call.from), {
        port: call.port, methods: call.methods, paths: call.paths, timeout: traffic?.timeout, retries: traffic?.retries,
        env: discovery && { name: discovery.env, scheme: discovery.scheme, path: discovery.path },
      });
    }
    for (const [from, config] of Object.entries(SOMA_CONFIGURATION)) {
      for (const d of config.discovery ?? []) {
        if (!SOMA_CALLS.some(c => c.from === from && c.to === d.to)) {
          throw new Error(`[${this.node.path}] ${from}'s ${d.env} names ${d.to}, which ${from} may not call: remove it, or declare the call`);
        }
      }
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

    // The public API behind a token check, on the cluster's ingress gateway.
    const ingress = { ...SOMA_INGRESS, ...props.ingress };
    this.publicApi = new PublicIngress(this.mesh, 'PublicApi', {
      gateway: this.mesh.workload(`${SOMA_INGRESS_GATEWAY.namespace}/${SOMA_INGRESS_GATEWAY.name}`),
      backend: this.mesh.workload('gateway-api'),
      host: ingress.host,
      credentialName: ingress.credentialName,
      jwt: { issuer: ingress.issuer, jwksUri: ingress.jwksUri },
      openPaths: ingress.openPaths,
    });
    // Metrics, access logs, traces, and the golden-signal dashboards and alerts of every service.
    new MeshTelemetry(this.mesh, 'Telemetry', { tracingProvider: SOMA_TRACING.provider, samplingPercentage: SOMA_TRACING.samplingPercentage });
    if (props.releases) Release.apply(this.mesh, props.releases.file, props.releases.source);
  }
}

/** `releases` holds the release file as read, not its path: `loadReleases(path)` (app/synth.ts) gives both fields. */
function checkReleases(at: PropsCheck, releases: SomaAgentHubProps['releases']): void {
  if (releases === undefined) return;
  const example = '{ file: Release.readFile("releases.json"), source: "releases.json" }';
  const r = at.object('releases', releases, example);
  if (typeof r.file === 'string') {
    const path = JSON.stringify(r.file);
    at.fail('releases.file', `${path} (a string) is not a release file`,
      `pass what the file holds: releases: { file: Release.readFile(${path}), source: ${path} }`);
  }
  at.object('releases.file', r.file, 'Release.readFile("releases.json")');
  at.string('releases.source', r.source, '"releases.json"');
}

function addService(chart: Chart, namespace: MeshNamespace, spec: SomaService, delivery: SomaDelivery): MeshService {
  const repository = spec.repository ?? `somaagent/soma-${spec.name}`;
  const liveness = spec.port === undefined
    // Choice: the worker has no endpoint; this check fails when its code can no longer be imported.
    ? HealthCheck.command(['python', '-c', 'import app.worker'], { period: Duration.seconds(30), timeout: Duration.seconds(10) })
    : spec.liveness ? HealthCheck.http(spec.liveness) : HealthCheck.tcp();
  const config = SOMA_CONFIGURATION[spec.name] ?? {};
  return new MeshService(namespace, spec.name, {
    image: `${repository}:${SOMA_IMAGE_TAG}`,
    ports: spec.port === undefined ? [] : [{ port: spec.port, protocol: Protocol.HTTP }],
    command: spec.command,
    liveness,
    readiness: spec.readiness ? HealthCheck.http(spec.readiness) : liveness,
    metrics: SOMA_METRICS_PATHS[spec.name] ? { path: SOMA_METRICS_PATHS[spec.name] } : undefined,
    resilience: SOMA_RESILIENCE[spec.name],
    ...workloadSettings(chart, spec.name, config, somaDeliveryOf(spec.name, delivery)),
  });
}

/** A service's configuration as MeshService props: env, Secret references, volumes, resources and scaling. */
function workloadSettings(chart: Chart, name: string, config: SomaServiceConfig, delivery: Delivery) {
  const secret = () => (chart.node.tryFindChild('SomaSecrets') as kplus.ISecret | undefined) ?? kplus.Secret.fromSecretName(chart, 'SomaSecrets', SOMA_SECRET);
  const env: Record<string, string | kplus.EnvValue> = { ...config.env };
  for (const [variable, key] of Object.entries(config.secretEnv ?? {})) env[variable] = kplus.EnvValue.fromSecretValue({ secret: secret(), key });
  for (const [variable, fieldPath] of Object.entries(config.fieldEnv ?? {})) env[variable] = kplus.EnvValue.fromFieldRef(fieldPath as kplus.EnvFieldPaths);
  const mounts: kplus.VolumeMount[] = [
    ...(config.scratch ?? []).map(path => ({ path, volume: kplus.Volume.fromEmptyDir(chart, `${name}${path}`, path.slice(1).replace(/\//g, '-')) })),
    ...Object.entries(config.claims ?? {}).map(([path, claim]) => ({
      path, readOnly: true,
      volume: kplus.Volume.fromPersistentVolumeClaim(chart, `${name}${path}`, kplus.PersistentVolumeClaim.fromClaimName(chart, `${name}${path}-claim`, claim), { readOnly: true }),
    })),
  ];
  const resources = config.resources && {
    cpu: { request: kplus.Cpu.millis(config.resources.cpu[0]), limit: kplus.Cpu.millis(config.resources.cpu[1]) },
    memory: { request: Size.mebibytes(config.resources.memoryMi[0]), limit: Size.mebibytes(config.resources.memoryMi[1]) },
  };
  const scaling = config.scaling;
  return {
    env: Object.keys(env).length > 0 ? env : undefined,
    envFrom: config.envFromSecret ? [kplus.Env.fromSecret(secret())] : undefined,
    volumeMounts: mounts.length > 0 ? mounts : undefined,
    resources,
    replicas: scaling?.minReplicas,
    delivery,
    // Under Argo Rollouts the same autoscaler targets the Rollout, which runs the pods.
    autoscaling: scaling
      && { minReplicas: scaling.minReplicas, maxReplicas: scaling.maxReplicas, cpuUtilization: scaling.cpuUtilization },
    disruptionBudget: scaling && { minAvailable: scaling.minAvailable },
  };
}
