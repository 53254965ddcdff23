// The model: mesh-neutral declarations.
export * from './model/call';
export * from './model/call-graph';
export * from './model/call-resilience';
export * from './model/delivery';
export * from './model/existing-workload';
export * from './model/external-host';
export * from './model/health-check';
export * from './model/http-rules';
export * from './http/methods';
export * from './model/mesh';
export * from './model/mesh-namespace';
export * from './model/mesh-renderer';
export * from './model/mesh-service';
export * from './model/mesh-telemetry';
export * from './model/protocol';
export { PropsCheck, describeValue } from './model/props-check';
export * from './model/public-ingress';
export * from './model/release';
export * from './model/release-file';
export * from './model/resilience';
export * from './model/routing';
export * from './model/service-traffic';
export * from './model/workload';

// Renderers: one per mesh, and what every mesh shares.
export { IstioRenderer, ISTIO_DATA_PLANE } from './renderers/istio/istio-renderer';
export type { IstioRendererProps } from './renderers/istio/istio-renderer';
export type { EgressGatewayOptions } from './renderers/istio/egress-gateway-route';
export type { IstioTrafficOptions } from './renderers/istio/service-routes';
export { Analyzer } from './renderers/istio/analyzer-validation';
export type { ConstructFinding } from './renderers/istio/analyzer-validation';
export { peerOf } from './renderers/istio/analyzer-peers';
export { LinkerdRenderer } from './renderers/linkerd/linkerd-renderer';
export type { LinkerdRendererProps } from './renderers/linkerd/linkerd-renderer';
export { IstioAmbientRenderer, AMBIENT_DATA_PLANE } from './renderers/ambient/ambient-renderer';
export type { IstioAmbientRendererProps } from './renderers/ambient/ambient-renderer';
export { GoldenSignalDashboards, GRAFANA_DASHBOARD_LABEL } from './renderers/kubernetes/golden-signal-dashboards';
export type { GoldenSignalQueries } from './renderers/kubernetes/golden-signal-dashboards';
export type { MeshNetworkPolicyOptions, NetworkPolicySettings, PodsInNamespace } from './renderers/kubernetes/network-policies';
export * from './renderers/mesh-target';
export * as istio from './renderers/istio';
export * as linkerd from './renderers/linkerd';
export * as ambient from './renderers/ambient';

// Review: plain Kubernetes objects in, findings out.
export * from './review/analyze';
export * from './review/codes';
export * from './review/finding';
export { Inventory } from './review/inventory';
export type { KubeObject, PeerWorkload, ServedPort, Workload } from './review/inventory';
export * from './review/matrix';
export * from './review/diff';
export * from './review/diagram';

export * from './synthesize';
