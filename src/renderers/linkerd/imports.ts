// The generated Linkerd classes (imports/), for charts that need raw resources. Grouped by API group,
// since policy.linkerd.io and the Gateway API both define an HTTPRoute.
export * as policy from '../../../imports/linkerd-policy.linkerd.io';
export * as gateway from '../../../imports/linkerd-gateway.networking.k8s.io';
export * as serviceProfile from '../../../imports/linkerd-linkerd.io';
