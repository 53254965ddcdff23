// Linkerd's own constructs (what the Linkerd renderer builds) and the generated Linkerd classes (imports/), grouped by
// API group since policy.linkerd.io and the Gateway API both define an HTTPRoute, as the `linkerd` namespace.
export { PortServer } from './port-server';
export { LinkerdTrafficRoutes } from './service-routes';
export * from './imports';
