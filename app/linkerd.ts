import type { LinkerdRendererProps } from '../src';

/**
 * What SomaAgentHub's Linkerd render needs to know about the cluster, beyond the call graph. Placeholders to be set per
 * installation, like the public host.
 * - probeNetworks. Choice: the node CIDR 10.0.0.0/16 and the pod CIDR 10.244.0.0/16 (kubeadm's flannel default): the
 *   kubelet probes from the node's address, or from the node's bridge address in the pod network on bridge CNIs. Set
 *   Linkerd's own `policyController.probeNetworks` to the same values.
 * - prometheus. Choice: the `prometheus` ServiceAccount of the observability namespace, where the NetworkPolicies
 *   already expect Prometheus; its pods must be meshed (linkerd.io/inject) so that they carry that identity.
 * - edge. Choice: Traefik as the Gateway API controller (GatewayClass `traefik`, one Deployment in the `traefik`
 *   namespace running as ServiceAccount `traefik`, meshed with `linkerd.io/inject: ingress`), whose listeners bind its
 *   entry points 8000 (web) and 8443 (websecure). The host's TLS Secret (SOMA_INGRESS.credentialName) lives in that
 *   namespace under Linkerd. Traefik's open-source edition validates no JWTs, so no `tokenValidation` is named: the
 *   render reports the missing token check until the controller does one.
 */
export const SOMA_LINKERD: LinkerdRendererProps = {
  probeNetworks: ['10.0.0.0/16', '10.244.0.0/16'],
  prometheus: { serviceAccount: 'prometheus', namespace: 'observability', name: 'prometheus' },
  edge: {
    gatewayClassName: 'traefik',
    controllerNamespace: 'traefik',
    controllerServiceAccount: 'traefik',
    controllerLabels: { 'app.kubernetes.io/name': 'traefik' },
    httpsPort: 8443,
    httpPort: 8000,
  },
};
