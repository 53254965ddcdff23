// Linkerd's own constructs (what the Linkerd renderer builds) and the generated Linkerd classes (imports/), grouped by
// API group since policy.linkerd.io and the Gateway API both define an HTTPRoute, as the `linkerd` namespace.
export { PortServer } from './port-server';
export { LinkerdTrafficRoutes } from './service-routes';
export { LinkerdEdge } from './edge';
export type { LinkerdEdgeProps } from './edge';
export { NamespaceEgress } from './egress';
export { ProxyAdminServer } from './proxy-admin';
export type { LinkerdPrometheusIdentity } from './proxy-admin';
export * from './imports';
