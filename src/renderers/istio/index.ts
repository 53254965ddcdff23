// Istio's own constructs (what the Istio renderer builds, for charts that reach into its output) and the generated
// Istio classes (imports/), as the `istio` namespace of the public API.
export { ArgoRollout } from './argo-rollout';
export { CanaryAnalysisTemplate } from './analysis-template';
export { CallerPolicy } from './caller-policy';
export { EgressGatewayRoute } from './egress-gateway-route';
export type { EgressGatewayRouteProps } from './egress-gateway-route';
export { ExternalServiceEntry } from './external-service-entry';
export type { ExternalServiceEntryProps } from './external-service-entry';
export { IstioHostCheck } from './host-check';
export { IstioIngressGateway } from './ingress-gateway';
export { IstioTelemetry } from './istio-telemetry';
export { IstioTrafficRoutes } from './service-routes';
export { WorkloadSidecar } from './workload-sidecar';
export * from './imports';
