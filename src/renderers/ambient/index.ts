// Istio ambient's own constructs (what the ambient renderer builds, for charts that reach into its output).
export { ZtunnelPolicy, WaypointPolicy } from './ambient-policies';
export { AmbientTrafficRoutes } from './ambient-routes';
export { Waypoint, WAYPOINT_CLASS, HBONE_PORT, USE_WAYPOINT, INGRESS_USE_WAYPOINT } from './waypoint';
export { GatewayApiIngress, ISTIO_GATEWAY_CLASS } from './gateway-api-ingress';
