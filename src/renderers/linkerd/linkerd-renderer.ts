import { ApiObject, Lazy } from 'cdk8s';
import { MeshTlsAuthentication, NetworkAuthentication } from '../../../imports/linkerd-policy.linkerd.io';
import { PropsCheck } from '../../model/props-check';
import { Call } from '../../model/call';
import type { ExternalCall, ExternalHost, UnlistedEgress } from '../../model/external-host';
import { IMeshRenderer } from '../../model/mesh-renderer';
import type { MeshModel } from '../../model/mesh-model';
import { RendererWarnings } from '../renderer-warnings';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { Mesh } from '../../model/mesh';
import { AdoptedWorkload } from '../../model/adopted-workload';
import { MeshService } from '../../model/mesh-service';
import { MeshTelemetry } from '../../model/mesh-telemetry';
import { carriesHttp } from '../../model/protocol';
import type { PublicIngress } from '../../model/public-ingress';
import { fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';
import { GoldenSignalDashboards } from '../kubernetes/golden-signal-dashboards';
import { MeshNetworkPolicies, MeshNetworkPolicyOptions, networkPolicyDefaults } from '../kubernetes/network-policies';
import { LINKERD_GOLDEN_SIGNALS } from './golden-signal-queries';
import { LinkerdEdge, LinkerdEdgeProps } from './edge';
import { annotateUnlistedEgress, NamespaceEgress } from './egress';
import { PortServer, Authentication } from './port-server';
import { probesOf, replaceTcpProbes, serviceProbes } from './probes';
import { LinkerdPrometheusIdentity, ProxyAdminServer } from './proxy-admin';
import { LINKERD_ADMIN_PORT, LINKERD_DATA_PLANE } from './proxy-protocol';
import { routeMatches } from '../gateway-api/route-match';
import { LinkerdTrafficRoutes, unexpressedRetryConditions } from './service-routes';

const TRAFFIC_ID = 'LinkerdTraffic';
/** Linkerd's own default probe networks (the install's `policyController.probeNetworks`): every address. */
const EVERY_NETWORK = ['0.0.0.0/0', '::/0'];
const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-f:]+\/\d{1,3})$/i;

/** Options of the Linkerd render. */
export interface LinkerdRendererProps extends MeshNetworkPolicyOptions {
  /**
   * The networks the kubelet's probes come from: the nodes' CIDRs, and the pod CIDRs where the CNI sources probes
   * from a pod-network address. Probe routes admit only GET on each workload's own probe paths (and the proxy's
   * `/live` and `/ready`) from these networks, unauthenticated: the kubelet has no mesh identity. Set the install's
   * `policyController.probeNetworks` to the same values for the ports Linkerd's default probe route still covers
   * (peers of other charts, gRPC ports).
   * @default - every address (`0.0.0.0/0`, `::/0`, Linkerd's own default), reported once at synth
   */
  readonly probeNetworks?: string[];
  /**
   * Prometheus's identity, authorized for GET on every proxy's admin `/metrics` and on each service's declared
   * metrics port and path. Prometheus must run with a Linkerd proxy, so that it has this identity.
   * @default - ServiceAccount `prometheus` in the namespace of the NetworkPolicies' Prometheus pods
   */
  readonly prometheus?: LinkerdPrometheusIdentity;
  /**
   * The meshed Gateway API controller that serves each PublicIngress (Linkerd has no ingress of its own).
   * @default - none: a PublicIngress is reported at synth and not rendered
   */
  readonly edge?: LinkerdEdgeProps;
}

/**
 * Renders the mesh for Linkerd: namespaces meshed (`linkerd.io/inject`) with default inbound policy `deny`;
 * a `Server` per workload port with its proxy protocol; a `MeshTLSAuthentication` per caller identity
 * (its ServiceAccount); and an `AuthorizationPolicy` per call, on the Server, or on the HTTPRoutes that
 * carry the call's methods and paths. Peers are guarded in their own namespaces, like the Istio render.
 * Around the calls: kubelet probes and Prometheus scrapes authorized route by route (the proxies' admin ports
 * included), egress denied outside the declared hosts (`EgressNetwork` and TLSRoutes), and the public edge as a
 * Gateway API Gateway whose controller's identity is the only one admitted from outside.
 */
export class LinkerdRenderer implements IMeshRenderer {
  public readonly dataPlane = LINKERD_DATA_PLANE;
  private readonly report = new RendererWarnings('Linkerd');
  private readonly networkPolicies: MeshNetworkPolicies;
  private readonly probeNetworks: string[];
  private readonly probeNetworksDeclared: boolean;
  private readonly prometheus: Required<LinkerdPrometheusIdentity>;
  private readonly edge?: LinkerdEdgeProps;
  private readonly servers = new Map<IMeshWorkload, Map<number, PortServer>>();
  private readonly identities = new Map<string, Authentication>();
  private traffic: MeshService[] = [];
  private readonly egress = new Map<MeshNamespace, NamespaceEgress>();
  private readonly unlisted = new Map<IMeshWorkload, UnlistedEgress>();
  private readonly edgeGateways = new Set<IMeshWorkload>();

  public constructor(props: LinkerdRendererProps = {}) {
    const at = new PropsCheck('LinkerdRenderer');
    const p = at.object<LinkerdRendererProps>('props', props, '{ probeNetworks: ["10.0.0.0/8"] }', true);
    at.knownKeys('', p, 'LinkerdRendererProps');
    at.array('probeNetworks', p.probeNetworks, '["10.0.0.0/8"]', (n, item) => at.string(item, n, '"10.0.0.0/8"'));
    at.declaredTypes('', p, 'LinkerdRendererProps');
    this.probeNetworksDeclared = props.probeNetworks !== undefined;
    this.probeNetworks = props.probeNetworks ?? EVERY_NETWORK;
    if (this.probeNetworks.length === 0) fail('LinkerdRenderer', 'probeNetworks is empty, so no kubelet probe could reach a pod: give the nodes\' (and pods\') CIDRs');
    const badCidr = this.probeNetworks.find(n => !CIDR.test(n));
    if (badCidr) fail('LinkerdRenderer', `probeNetworks: "${badCidr}" is not a CIDR: write a network such as "10.0.0.0/16"`);
    this.prometheus = {
      serviceAccount: props.prometheus?.serviceAccount ?? 'prometheus',
      namespace: props.prometheus?.namespace ?? props.networkPolicySettings?.prometheus?.namespace ?? 'observability',
      name: props.prometheus?.name ?? 'prometheus',
    };
    this.edge = props.edge;
    const needs = {
      controlPlane: { namespace: 'linkerd', labels: { 'linkerd.io/control-plane-ns': 'linkerd' } },
      // 8080: identity (certificates); 8086: destination (discovery); 8090: policy.
      controlPlanePorts: [8080, 8086, 8090],
      scrapePorts: [LINKERD_ADMIN_PORT],
      // Linkerd does not merge the application's metrics into the proxy's: Prometheus scrapes the app's port itself.
      workloadScrapePorts: (workload: IMeshWorkload) => (workload instanceof MeshService && workload.metrics ? [workload.metrics.port] : []),
    };
    this.networkPolicies = new MeshNetworkPolicies(props, networkPolicyDefaults(needs, props.networkPolicySettings));
  }

  /** Every warning of this render, in order. */
  public get warnings(): string[] {
    return this.report.messages;
  }

  /**
   * Namespaces (annotations, proxy admin), each workload's Servers with its versions' probes and routes, every call's
   * authorization, egress, the edge and telemetry; then what Linkerd cannot express of the declared model, reported.
   */
  public render(model: MeshModel): void {
    this.report.sendTo(model.warnings);
    for (const namespace of model.namespaces) this.renderNamespace(namespace, model.telemetry);
    if (model.strictMtlsMeshWide) this.renderMeshWideStrictMtls(model.mesh);
    for (const workload of model.workloads) {
      this.renderWorkload(workload);
      if (workload instanceof MeshService) this.renderTraffic(workload);
    }
    for (const call of model.calls) this.renderCall(call);
    for (const call of model.externalCalls) this.renderExternalCall(call);
    for (const grant of model.unlistedEgress) this.renderUnlistedEgress(grant);
    for (const ingress of model.ingresses) this.renderIngress(ingress);
    if (model.telemetry) this.renderTelemetry(model.telemetry, model.services);
    this.reportUnexpressed();
  }

  private renderNamespace(namespace: MeshNamespace, telemetry: MeshTelemetry | undefined): void {
    this.networkPolicies.renderNamespace(namespace);
    // Linkerd reads injection and default policy from annotations. A namespace of another chart cannot be
    // annotated here: there each declared port is closed by its own Server (deny unless authorized).
    if (!namespace.resource) return;
    namespace.resource.metadata.addAnnotation('linkerd.io/inject', 'enabled');
    // deny: nothing undeclared is admitted. Without it, STRICT still refuses clients without a mesh identity, as Istio's
    // PeerAuthentication does: the cluster's default (often all-unauthenticated) would admit plain text.
    const inbound = namespace.defaultDeny ? 'deny' : namespace.strictMtls ? 'all-authenticated' : undefined;
    if (inbound) namespace.resource.metadata.addAnnotation('config.linkerd.io/default-inbound-policy', inbound);
    if (namespace.defaultDeny && !namespace.strictMtls) {
      this.report.about(namespace, `strictMtls: false in ${namespace.name} is not rendered: its default inbound policy `
        + 'is deny, and its Servers admit mesh identities only, so clients without one are refused anyway; declare the '
        + 'callers without a mesh identity as workloads of the mesh, or set defaultDeny: false (with strictMtls: false, '
        + 'the cluster\'s default inbound policy applies)');
    }
    ProxyAdminServer.forNamespace(namespace, namespace.name, this.prometheusIn(namespace), this.kubelet(namespace));
    // Linkerd writes an access log per request when the proxy is injected with this annotation.
    if (telemetry?.accessLogs) namespace.resource.metadata.addAnnotation('config.linkerd.io/access-log', 'json');
  }

  private renderWorkload(workload: IMeshWorkload): void {
    this.networkPolicies.renderWorkload(workload);
    // A peer of another chart, in a namespace of another chart: its own proxy's admin port, for Prometheus and the kubelet.
    if (!workload.deployed && !workload.namespace.created && workload.ports.length > 0) {
      ProxyAdminServer.forPeer(workload, workload.name, workload.namespace.name, { ...workload.selector },
        this.prometheusIn(workload.namespace), this.kubelet(workload.namespace));
    }
    const servers = new Map<number, PortServer>();
    this.servers.set(workload, servers);
    // A TCP check proves nothing behind the proxy: a GET of the metrics path where the service serves one, else reported.
    const tcpLeft = workload instanceof MeshService && workload.versions.map(v => replaceTcpProbes(workload, v.deployment)).some(Boolean);
    const probes = workload instanceof MeshService ? serviceProbes(workload)
      : workload instanceof AdoptedWorkload ? probesOf([ApiObject.of(workload.workload)]) : undefined;
    if (tcpLeft) {
      this.warn(`[${workload.node.path}] Linkerd: the TCP probe of ${workload.name} always succeeds behind the Linkerd proxy, which accepts the kubelet's connection itself (linkerd/linkerd2#7777), and ${workload.name} declares no HTTP endpoint to probe instead: give it an HTTP check (HealthCheck.http) on an endpoint it serves, metrics, or a command (HealthCheck.command)`);
    }
    const metrics = workload instanceof MeshService ? workload.metrics : undefined;
    for (const port of workload.ports) {
      servers.set(port.port, new PortServer(workload, `LinkerdServer-${port.port}`, workload, port, {
        identityOf: caller => this.identityOf(workload.namespace, caller),
        kubelet: () => this.kubelet(workload.namespace),
        prometheus: () => this.prometheusIn(workload.namespace),
        probePaths: probes?.httpPaths.get(port.targetPort) ?? [],
        metricsPath: metrics?.port === port.targetPort ? metrics.path : undefined,
        warn: (path, message) => this.warn(`[${path}] ${message}`),
      }));
    }
  }

  private renderCall(call: Call): void {
    const server = this.servers.get(call.callee)?.get(call.port);
    if (!server) fail(call.callee.node.path, `no Linkerd Server for port ${call.port}: declare the workload before its calls`);
    if (call.methods.length === 0 && call.paths.length === 0) server.allowAll(call.caller);
    else server.allowMatches(call.caller, routeMatches(call.methods, call.paths), `${call.callee.node.path} <- ${call.caller.node.path}`);
    const traffic = call.callee.node.tryFindChild(TRAFFIC_ID);
    if (traffic instanceof LinkerdTrafficRoutes) traffic.addCall(call);
  }

  /** Routes over the versions (each a Service of its own when there are two or more); a controller's delivery, reported. */
  private renderTraffic(service: MeshService): void {
    if (service.delivery.controller) {
      this.report.warn(`[${service.node.path}] Linkerd: delivery by ${service.delivery.description} is not rendered: the Linkerd render has no Rollout yet (the controller would step its HTTPRoute through the Gateway API traffic-router plugin, argoproj-labs/gatewayAPI, between a stable and a canary Service), so ${service.name} is delivered by the release file here: move its canary with npm run release, or use the Istio render`);
    }
    if (service.ports.length === 0) return; // a worker: nothing routes to it
    this.traffic.push(service);
    new LinkerdTrafficRoutes(service, TRAFFIC_ID, service, message => this.report.warn(message)).addVersion();
  }

  /** The caller's namespace denies egress outside the declared hosts; the host gets a route admitting its SNI there. */
  private renderExternalCall(call: ExternalCall): void {
    const namespace = call.caller.namespace;
    const egress = this.egress.get(namespace) ?? NamespaceEgress.of(namespace);
    this.egress.set(namespace, egress);
    egress.allow(call.host, call.caller);
  }

  /** Mesh-wide mTLS-only is a setting of the Linkerd install, not an object a chart can render: said once. */
  private renderMeshWideStrictMtls(mesh: Mesh): void {
    this.warn(`[${mesh.node.path}] Linkerd: mesh-wide strict mTLS is not rendered: it is the install's default inbound policy; install Linkerd with proxy.defaultInboundPolicy=all-authenticated (or deny). Namespaces declared here are already closed to unauthenticated clients`);
  }

  /** The workload's proxy passes its traffic on the granted ports untouched, with the reason on its pods. */
  private renderUnlistedEgress(grant: UnlistedEgress): void {
    this.unlisted.set(grant.caller, grant);
    annotateUnlistedEgress(grant);
  }

  /** A Gateway API Gateway and HTTPRoute on the meshed controller named in `edge`, or one warning without it. */
  private renderIngress(ingress: PublicIngress): void {
    if (!this.edge) {
      this.warn(`[${ingress.node.path}] Linkerd: the public host ${ingress.host} is not rendered (no Gateway, no token check): Linkerd has no ingress of its own; name your meshed Gateway API controller in LinkerdRendererProps.edge (gateway class, namespace, ServiceAccount), or route ${ingress.host} to ${ingress.backend.name} with your ingress controller and validate tokens there`);
      return;
    }
    new LinkerdEdge(ingress, 'LinkerdEdge', ingress, this.edge);
    this.edgeGateways.add(ingress.gateway);
    if (ingress.jwt && !this.edge.tokenValidation) {
      // What only the token check would use is named with it, so that it is not dropped without a word.
      const alsoNot = [
        ...(ingress.openPaths.length > 0 ? [`its open paths ${ingress.openPaths.join(', ')}`] : []),
        ...(ingress.gatewayHttpsPort !== undefined ? [`its gatewayHttpsPort ${ingress.gatewayHttpsPort}`] : []),
      ];
      const extra = alsoNot.length > 0 ? `, with ${alsoNot.join(' and ')},` : '';
      this.warn(`[${ingress.node.path}] Linkerd: the JWT check of ${ingress.host} (issuer ${ingress.jwt.issuer})${extra} is not rendered: Linkerd validates no tokens, so requests reach ${ingress.backend.name} through the Gateway without one; configure your controller's JWT feature and name it in LinkerdRendererProps.edge.tokenValidation, or use the Istio render`);
    }
  }

  /** Golden-signal dashboards from the Linkerd proxy's metrics; access logs by annotation; tracing is the install's. */
  private renderTelemetry(telemetry: MeshTelemetry, services: MeshService[]): void {
    GoldenSignalDashboards.render(telemetry, LINKERD_GOLDEN_SIGNALS, services);
    if (telemetry.samplingPercentage > 0) {
      this.warn(`[${telemetry.node.path}] Linkerd: tracing to "${telemetry.tracingProvider}" at ${telemetry.samplingPercentage}% is not rendered: Linkerd's proxies trace when the install enables it (linkerd-jaeger) and follow the caller's sampling decision; set the collector and the sampling rate there`);
    }
  }

  /** Warns, naming the feature and the services, about every part of the declared traffic model Linkerd cannot express. */
  private reportUnexpressed(): void {
    const named = (what: (s: MeshService) => boolean) => this.traffic.filter(what).map(s => `${s.namespace.name}/${s.name}`);
    const report = (services: string[], message: string) => {
      if (services.length > 0) this.warn(`Linkerd: ${message} (${services.join(', ')})`);
    };
    const callFault = (s: MeshService) => Mesh.of(s).callGraph.callsTo(s).some(c => c.fault !== undefined);
    report(named(s => !!s.traffic.resilience.fault || callFault(s)), 'fault injection (of the service or of a call to it) is not rendered: Linkerd has no fault injection filter; run the drill on the Istio render, or route a share of requests to a failing backend');
    report(named(s => !!s.traffic.routing.mirror), 'traffic mirroring is not rendered: Linkerd\'s HTTPRoute has no RequestMirror filter');
    // A/B by caller from other namespaces becomes consumer routes there (created now: releases apply late).
    const unscopedAb = new Set(this.traffic.filter(s => {
      const traffic = s.node.tryFindChild(TRAFFIC_ID);
      return traffic instanceof LinkerdTrafficRoutes && traffic.addCallerRoutes();
    }));
    report(named(s => unscopedAb.has(s)), 'A/B routing by a caller in the service\'s own namespace is not rendered: Linkerd routes match requests (headers, paths), not callers, and a route there applies to every client; route by a header instead, or call from another namespace (consumer routes)');
    report(named(s => s.versions.length > 1 && s.ports.some(p => !carriesHttp(p.protocol)) && s.traffic.split.length > 1), 'the version split of TCP ports is not rendered: Gateway API HTTPRoute carries HTTP only');
    // Only what was declared: a default nobody chose is not news to anyone.
    const declared = (s: MeshService) => s.traffic.declaredResilience;
    const declaredRetryConditions = (s: MeshService) => {
      const on = declared(s).retries?.on;
      return on !== undefined && unexpressedRetryConditions({ ...s.traffic.resilience.retries, on }).length > 0;
    };
    report(named(declaredRetryConditions), 'retries on connect-failure and reset are not rendered: Linkerd\'s proxy retries a route\'s requests on the statuses of retry.linkerd.io/http (503 and gateway-error are rendered), on HTTP/2 refused streams, on fail-fast and on the per-try timeout, but never after a failed or reset connection');
    report(named(s => declared(s).connectionPool !== undefined), 'connection-pool limits (maxConnections, maxPendingRequests, maxRequests, maxRequestsPerConnection) are not rendered: Linkerd has no client-side connection limits; its circuit breaking is failure accrual');
    report(named(s => declared(s).outlierDetection?.interval !== undefined || declared(s).outlierDetection?.maxEjectionPercent !== undefined), 'outlier detection interval and maxEjectionPercent are not rendered: Linkerd\'s failure accrual probes each endpoint on its own, with no share cap');
    report(named(s => declared(s).loadBalancing !== undefined), 'the load-balancing algorithm is not rendered: Linkerd always balances by latency (EWMA)');
    for (const service of this.traffic) {
      const traffic = service.node.tryFindChild(TRAFFIC_ID);
      if (traffic instanceof LinkerdTrafficRoutes) traffic.reportSharedRoutes();
    }
    for (const [namespace, egress] of this.egress) this.reportSharedEgress(namespace, egress);
    for (const grant of this.unlisted.values()) {
      const inside = Mesh.of(grant.caller).callGraph.callsFrom(grant.caller).filter(c => grant.ports.includes(c.port));
      if (inside.length === 0) continue;
      this.warn(`[${grant.caller.node.path}] Linkerd: ${grant.caller.name}'s unlisted egress skips its proxy on port ${grant.ports.join(', ')}, which its calls to ${inside.map(c => c.callee.name).join(', ')} also use: they leave without mTLS and their Servers refuse them; give those calls another port`);
    }
  }

  /**
   * Linkerd applies a namespace's egress routes to every client of the namespace, and the NetworkPolicies open the
   * outside by port: a workload that calls one host reaches the others of its namespace on the same port. Said once
   * per namespace, naming who reaches what beyond the call graph.
   */
  private reportSharedEgress(namespace: MeshNamespace, egress: NamespaceEgress): void {
    const hosts = [...egress.callers.keys()];
    const workloads = [...new Set([...egress.callers.values()].flat())].filter(w => !this.unlisted.has(w));
    const extra: string[] = [];
    for (const workload of workloads) {
      const own = hosts.filter(h => egress.callers.get(h)!.includes(workload));
      const ports = new Set(own.map(h => h.port));
      const more = hosts.filter((h: ExternalHost) => !own.includes(h) && ports.has(h.port));
      if (more.length > 0) extra.push(`${workload.name} also reaches ${more.map(h => h.host).join(', ')}`);
    }
    if (extra.length === 0) return;
    this.warn(`[${namespace.node.path}] Linkerd: egress is allowed per namespace (an EgressNetwork's routes admit every client of its namespace; the NetworkPolicies, only per port), so in ${namespace.name} ${extra.join('; ')}; give the callers of different hosts their own namespaces, or use the Istio render, whose Sidecars list each workload's own hosts`);
  }

  private warn(message: string): void {
    this.report.warn(message);
  }

  /**
   * The caller's MeshTLSAuthentication in `namespace`: its ServiceAccount, by reference (no trust domain to get wrong).
   * The gateway of a PublicIngress is the edge controller's identity instead, which is known once the ingress is
   * declared (usually after its call), so names and references are read at synth.
   */
  private identityOf(namespace: MeshNamespace, caller: IMeshWorkload): Authentication {
    const key = `${namespace.name}/${caller.namespace.name}/${caller.name}`;
    const known = this.identities.get(key);
    if (known) return known;
    const account = () => (this.edge && this.edgeGateways.has(caller)
      ? { name: this.edge.controllerServiceAccount, namespace: this.edge.controllerNamespace }
      : { name: caller.serviceAccountName, namespace: caller.namespace.name });
    const name = () => (this.edge && this.edgeGateways.has(caller)
      ? `${this.edge.controllerServiceAccount}.${this.edge.controllerNamespace}`
      : `${caller.name}.${caller.namespace.name}`);
    new MeshTlsAuthentication(namespace, `MeshTls-${caller.name}.${caller.namespace.name}`, {
      metadata: { name: lazy(name), namespace: namespace.name },
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: lazy(() => account().name), namespace: lazy(() => account().namespace) }] },
    });
    const identity: Authentication = { kind: 'MeshTLSAuthentication', key: `${caller.namespace.name}/${caller.name}`, name };
    this.identities.set(key, identity);
    return identity;
  }

  /** Prometheus's MeshTLSAuthentication in `namespace`. */
  private prometheusIn(namespace: MeshNamespace): Authentication {
    const key = `${namespace.name}/prometheus`;
    const known = this.identities.get(key);
    if (known) return known;
    const { name, serviceAccount } = this.prometheus;
    new MeshTlsAuthentication(namespace, 'MeshTls-prometheus', {
      metadata: { name, namespace: namespace.name },
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: this.prometheus.namespace }] },
    });
    const prometheus: Authentication = { kind: 'MeshTLSAuthentication', key: 'prometheus', name: () => name };
    this.identities.set(key, prometheus);
    return prometheus;
  }

  private kubelet(namespace: MeshNamespace): Authentication {
    const key = `${namespace.name}/kubelet`;
    const known = this.identities.get(key);
    if (known) return known;
    if (!this.probeNetworksDeclared) {
      this.warn('Linkerd: probeNetworks is not set, so the kubelet\'s probe routes admit GET on the probe paths from every address (0.0.0.0/0, ::/0): set LinkerdRendererProps.probeNetworks to your nodes\' CIDRs (and the pod CIDRs where probes come from the pod network)');
    }
    new NetworkAuthentication(namespace, 'KubeletNetworks', {
      metadata: { name: 'kubelet', namespace: namespace.name },
      spec: { networks: this.probeNetworks.map(cidr => ({ cidr })) },
    });
    const kubelet: Authentication = { kind: 'NetworkAuthentication', key: 'kubelet', name: () => 'kubelet' };
    this.identities.set(key, kubelet);
    return kubelet;
  }
}

function lazy(produce: () => string): string {
  return Lazy.any({ produce }) as unknown as string;
}
