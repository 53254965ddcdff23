// Istio's own constructs (what the Istio renderer builds, for charts that reach into its output), as the `istio`
// namespace of the public API. `export *` (not `export { X }`) so that jsii places them in the submodule; the
// generated Istio classes (imports/) stay internal: escape hatches are typed as cdk8s ApiObjects.
export * from './argo-rollout';
export * from './caller-policy';
export * from './egress-gateway-route';
export * from './external-service-entry';
export * from './host-check';
export * from './ingress-gateway';
export * from './istio-telemetry';
export * from './service-routes';
export * from './workload-sidecar';
export * from './analysis-template';
