// Istio ambient's own constructs (what the ambient renderer builds, for charts that reach into its output).
// `export *` (not `export { X }`) so that jsii places them in the submodule.
export * from './ambient-policies';
export * from './ambient-routes';
export * from './waypoint';
export * from './gateway-api-ingress';
