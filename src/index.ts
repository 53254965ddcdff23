// The public API: the constructs, their props, the renderers, and the review functions. Everything else is internal.

// The mesh-neutral model: a mesh, its namespaces and workloads, and the call graph between them.
export { Mesh } from './model/mesh';
export type { MeshProps } from './model/mesh';
export { MeshNamespace } from './model/mesh-namespace';
export type { MeshNamespaceProps } from './model/mesh-namespace';
export { MeshService } from './model/mesh-service';
export type {
  MeshServiceProps, MetricsEndpoint, ResolvedMetricsEndpoint, ServiceVersion, ServiceVersionOptions,
} from './model/mesh-service';
export { AdoptedWorkload } from './model/adopted-workload';
export type { AdoptedWorkloadProps } from './model/adopted-workload';
export { ExistingWorkload } from './model/existing-workload';
export type { ExistingWorkloadProps } from './model/existing-workload';
export { ExternalHost } from './model/external-host';
export type { ExternalCall, ExternalHostProps, UnlistedEgress } from './model/external-host';
// Classes as values (not `export type`): other languages' runtimes look each class up in the module.
export { MeshWorkload } from './model/workload';
export type { IMeshWorkload, ResolvedWorkloadPort, WorkloadPort } from './model/workload';
export type { Call, CallEnv, CallOptions, DiscoveryEnv } from './model/call';
export { CallGraph } from './model/call-graph';
export type { CallGraphEdge, UnlistedEgressOptions } from './model/call-graph';
export { HealthCheck } from './model/health-check';
export type { GrpcHealthCheckOptions, HealthCheckOptions, PortHealthCheckOptions } from './model/health-check';
export { Protocol } from './model/protocol';
export { PropsCheck } from './model/props-check';
export type { AutoscalingOptions, DisruptionBudgetOptions } from './model/workload-scaling';
export { LoadBalancing, RetryCondition } from './model/resilience';
export type {
  ConnectionPoolOptions, FaultAbort, FaultDelay, FaultInjection, OutlierDetectionOptions, ResolvedConnectionPool,
  ResolvedOutlierDetection, ResolvedRetries, Resilience, ResilienceOptions, RetryOptions,
} from './model/resilience';
export type { CanaryRelease, TrafficMirror, TrafficRouting, VersionMatch, WeightedVersion } from './model/routing';
export { ServiceTraffic } from './model/service-traffic';
export type { IDataPlaneReservations, IMeshRenderer, IWarningSink } from './model/mesh-renderer';
export { MeshModel } from './model/mesh-model';
export type { MeshModelProps } from './model/mesh-model';
export { PublicIngress } from './model/public-ingress';
export type { JwtIssuer, PublicIngressProps } from './model/public-ingress';
export { MeshTelemetry } from './model/mesh-telemetry';
export type { GoldenSignalOptions, MeshTelemetryProps, ResolvedGoldenSignals } from './model/mesh-telemetry';

// Releases: canaries, splits and rollbacks kept in a release file.
export { Release } from './model/release-steps';
export type { StartCanaryOptions } from './model/release-steps';
export type { ReleaseFile } from './model/release-file';
export type { ReleaseFileProblem } from './model/release-schema';
export type { ReleaseVersion, ServiceRelease } from './model/release';

// How new versions reach their traffic: the release file, or a progressive-delivery controller.
export { Delivery, DeliveryController } from './model/delivery';
export type { CanaryAnalysisOptions, CanaryJudgement, ResolvedCanaryAnalysis } from './model/delivery';

// Renderers: one per mesh, and what every mesh shares.
export { IstioRenderer } from './renderers/istio/istio-renderer';
export type { IstioRendererProps } from './renderers/istio/istio-renderer';
export type { MeshNetworkPolicyOptions, NetworkPolicySettings, PodsInNamespace } from './renderers/kubernetes/network-policies';
export { LinkerdRenderer } from './renderers/linkerd/linkerd-renderer';
export type { LinkerdRendererProps } from './renderers/linkerd/linkerd-renderer';
export { IstioAmbientRenderer } from './renderers/ambient/ambient-renderer';
export type { IstioAmbientRendererProps } from './renderers/ambient/ambient-renderer';
export { MeshTarget } from './renderers/mesh-target';
export { MeshTargets } from './renderers/mesh-targets';
export { GoldenSignalDashboards } from './renderers/kubernetes/golden-signal-dashboards';
export type { IGoldenSignalQueries } from './renderers/kubernetes/golden-signal-dashboards';
export { WorkloadNetworkPolicy } from './renderers/kubernetes/network-policies';
export type { NamespaceNetworkPolicies } from './renderers/kubernetes/network-policies';
export { Analyzer } from './renderers/istio/analyzer-validation';
export type { ConstructFinding } from './renderers/istio/analyzer-validation';
// Each mesh's own constructs (what its renderer builds, for typed escape hatches; their option types too).
// The generated CRD classes (imports/) are internal: escape hatches are cdk8s ApiObjects.
export * as istio from './renderers/istio';
export * as linkerd from './renderers/linkerd';
export * as ambient from './renderers/ambient';

// Synthesis as a transaction: every output folder (and a release file) whole and new, or all as they were.
export { Synthesis } from './synthesis';
export type { IAppBuilder, SynthesisOptions, SynthesisTarget } from './synthesis';
export type { FileChange, OutputLock, OutputLockOptions, SynthTarget } from './synthesize';

// Review: plain Kubernetes objects in, findings, access matrices, diffs and pictures out.
export { Codes, DetectedMesh, Review } from './review/review';
export type { AnalyzeOptions } from './review/analyze';
export { Severity } from './review/codes';
export type { AnalyzerCode } from './review/codes';
export type { Finding } from './review/finding';
export type { KubeObject, PeerPort, PeerWorkload, ServedPort, Workload } from './review/inventory';
export type {
  AccessDecision, AccessEntry, AccessException, AccessMatrix, AccessMatrixOptions, AccessRequest, MatrixPort, MatrixWorkload,
  UnenforcedPolicy,
} from './review/matrix';
export type { LinkerdMatrixOptions } from './review/linkerd/access';
export { MeshDetectionError } from './review/mesh-detection';
export type { IstioMeshConfig } from './review/istio/mesh-config';
export type { ObjectProblem } from './review/object-validation';
export type { AccessDiff, MtlsChange } from './review/diff';
export type { DiagramEdge } from './review/diagram';
