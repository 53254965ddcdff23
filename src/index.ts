// The public API: the constructs, their props, the renderers, and the review functions. Everything else is internal.

// The mesh-neutral model: a mesh, its namespaces and workloads, and the call graph between them.
export { Mesh } from './model/mesh';
export type { MeshProps } from './model/mesh';
export { MeshNamespace } from './model/mesh-namespace';
export type { MeshNamespaceProps } from './model/mesh-namespace';
export { MeshService } from './model/mesh-service';
export type { MeshServiceProps, MetricsEndpoint, ServiceVersion, ServiceVersionOptions } from './model/mesh-service';
export { AdoptedWorkload } from './model/adopted-workload';
export type { AdoptedWorkloadProps } from './model/adopted-workload';
export { ExistingWorkload } from './model/existing-workload';
export type { ExistingWorkloadProps } from './model/existing-workload';
export { ExternalHost } from './model/external-host';
export type { ExternalCall, ExternalHostProps, UnlistedEgress } from './model/external-host';
export type { IMeshWorkload, MeshWorkload, WorkloadPort } from './model/workload';
export type { Call, CallOptions, DiscoveryEnv } from './model/call';
export type { CallGraph } from './model/call-graph';
export { HealthCheck } from './model/health-check';
export type { GrpcHealthCheckOptions, HealthCheckOptions, PortHealthCheckOptions } from './model/health-check';
export { Protocol } from './model/protocol';
export { PropsCheck } from './model/props-check';
export type { AutoscalingOptions, DisruptionBudgetOptions } from './model/workload-scaling';
export { LoadBalancing, RetryCondition } from './model/resilience';
export type {
  ConnectionPoolOptions, FaultInjection, OutlierDetectionOptions, Resilience, ResilienceOptions, RetryOptions,
} from './model/resilience';
export type { CanaryRelease, TrafficMirror, TrafficRouting, VersionMatch, WeightedVersion } from './model/routing';
export type { ServiceTraffic } from './model/service-traffic';
export type { IDataPlaneReservations, IMeshRenderer, IWarningSink } from './model/mesh-renderer';
export { MeshModel } from './model/mesh-model';
export type { MeshModelProps } from './model/mesh-model';
export { PublicIngress } from './model/public-ingress';
export type { JwtIssuer, PublicIngressProps } from './model/public-ingress';
export { MeshTelemetry } from './model/mesh-telemetry';
export type { GoldenSignalOptions, MeshTelemetryProps } from './model/mesh-telemetry';

// Releases: canaries, splits and rollbacks kept in a release file.
export { applyReleases, parseReleaseFile, readReleaseFile } from './model/release-file';
export type { ReleaseFile } from './model/release-file';
export { releaseFileProblems } from './model/release-schema';
export type { ReleaseFileProblem } from './model/release-schema';
export { nextStep, promote, rollback, setCanaryWeight, setSplit, setStable, startCanary } from './model/release';
export type { ReleaseVersion, ServiceRelease } from './model/release';
export { resolveSplit } from './model/routing';

// How new versions reach their traffic: the release file, or a progressive-delivery controller.
export { deliveredVersion, Delivery, DeliveryController } from './model/delivery';
export type { CanaryAnalysisOptions, CanaryJudgement } from './model/delivery';

// Renderers: one per mesh, and what every mesh shares.
export { IstioRenderer, ISTIO_DATA_PLANE } from './renderers/istio/istio-renderer';
export type { IstioRendererProps } from './renderers/istio/istio-renderer';
export type { IstioTrafficOptions } from './renderers/istio/service-routes';
export type { EgressGatewayOptions } from './renderers/istio/egress-gateway-route';
export type { MeshNetworkPolicyOptions, NetworkPolicySettings, PodsInNamespace } from './renderers/kubernetes/network-policies';
export { LinkerdRenderer } from './renderers/linkerd/linkerd-renderer';
export type { LinkerdRendererProps } from './renderers/linkerd/linkerd-renderer';
export { IstioAmbientRenderer, AMBIENT_DATA_PLANE } from './renderers/ambient/ambient-renderer';
export type { IstioAmbientRendererProps } from './renderers/ambient/ambient-renderer';
export { MeshTarget, parseMeshTarget, rendererFor } from './renderers/mesh-target';
export type { LinkerdEdgeProps } from './renderers/linkerd/edge';
export type { LinkerdPrometheusIdentity } from './renderers/linkerd/proxy-admin';
export { GoldenSignalDashboards, GRAFANA_DASHBOARD_LABEL } from './renderers/kubernetes/golden-signal-dashboards';
export type { GoldenSignalQueries } from './renderers/kubernetes/golden-signal-dashboards';
export { WorkloadNetworkPolicy } from './renderers/kubernetes/network-policies';
export type { NamespaceNetworkPolicies } from './renderers/kubernetes/network-policies';
export { Analyzer } from './renderers/istio/analyzer-validation';
export type { ConstructFinding } from './renderers/istio/analyzer-validation';
// Each mesh's own constructs (what its renderer builds, for typed escape hatches) and its generated classes.
export * as istio from './renderers/istio';
export * as linkerd from './renderers/linkerd';
export * as ambient from './renderers/ambient';

// Synthesis as a transaction: every output folder (and a release file) whole and new, or all as they were.
export { synthesizeAtomically, synthesizeTransaction, withOutputLock } from './synthesize';
export type { FileChange, OutputLock, OutputLockOptions, SynthTarget } from './synthesize';

// Review: plain Kubernetes objects in, findings, access matrices, diffs and pictures out.
export { ACKNOWLEDGE_ANNOTATION, analyze } from './review/analyze';
export type { AnalyzeOptions } from './review/analyze';
export { CODE_LIST, CODES, Severity } from './review/codes';
export type { AnalyzerCode } from './review/codes';
export type { Finding } from './review/finding';
export type { KubeObject, PeerWorkload, ServedPort, Workload } from './review/inventory';
export { accessMatrix, allows, decide } from './review/matrix';
export type {
  AccessDecision, AccessEntry, AccessException, AccessMatrix, AccessMatrixOptions, AccessRequest, MatrixWorkload, UnenforcedPolicy,
} from './review/matrix';
export { linkerdAccessMatrix } from './review/linkerd/access';
export type { LinkerdMatrixOptions } from './review/linkerd/access';
export { detectMesh, MeshDetectionError } from './review/mesh-detection';
export type { MeshName } from './review/mesh-detection';
export type { IstioMeshConfig } from './review/istio/mesh-config';
export { validateObjects } from './review/object-validation';
export type { ObjectProblem } from './review/object-validation';
export { diffMatrices, diffObjects } from './review/diff';
export type { AccessDiff, MtlsChange } from './review/diff';
export { edgesOfMatrix, toDot, toMermaid } from './review/diagram';
export type { DiagramEdge } from './review/diagram';
