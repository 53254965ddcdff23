// Linkerd's own constructs (what the Linkerd renderer builds), as the `linkerd` namespace of the public API.
// `export *` (not `export { X }`) so that jsii places them in the submodule; the generated Linkerd classes
// (imports/) stay internal.
export * from './port-server';
export * from './service-routes';
export * from './edge';
export * from './egress';
export * from './proxy-admin';
