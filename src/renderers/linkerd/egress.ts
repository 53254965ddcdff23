import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpRoute, TlsRoute } from '../../../imports/gateway-api-gateway.networking.k8s.io';
import { EgressNetwork, EgressNetworkSpecTrafficPolicy } from '../../../imports/linkerd-policy.linkerd.io';
import type { ExternalHost, UnlistedEgress } from '../../model/external-host';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { MeshService } from '../../model/mesh-service';
import type { IMeshWorkload } from '../../model/workload';

const POLICY_GROUP = 'policy.linkerd.io';
const ID = 'LinkerdEgress';
/** Why a workload's outbound ports bypass its proxy, on its pods. */
export const UNLISTED_EGRESS_REASON_ANNOTATION = 'soma-mesh.io/unlisted-egress-reason';

/**
 * Egress control of one namespace under Linkerd: an `EgressNetwork` with traffic policy `Deny` (every destination
 * outside the cluster that no route names is refused by the clients' proxies), and one route per external host its
 * workloads call: a TLSRoute matching the host's SNI on its port, or for plain HTTP an HTTPRoute matching its Host
 * header. Linkerd applies a namespace's EgressNetwork to the clients of
 * that namespace only; which workloads reach outside at all (and on which ports) is the NetworkPolicies' part.
 */
export class NamespaceEgress extends Construct {
  /** The namespace's egress control, created with its first external call. */
  public static of(namespace: MeshNamespace): NamespaceEgress {
    const existing = namespace.node.tryFindChild(ID);
    return existing instanceof NamespaceEgress ? existing : new NamespaceEgress(namespace, namespace.name);
  }

  public readonly networkName = 'external';
  /**
   * The callers of each host routed here, in the order declared.
   * @jsii ignore
   */
  public readonly callers = new Map<ExternalHost, IMeshWorkload[]>();

  private constructor(scope: Construct, private readonly namespace: string) {
    super(scope, ID);
    new EgressNetwork(this, 'Network', {
      metadata: { name: this.networkName, namespace },
      // No networks: Linkerd's default, every address outside the install's cluster networks.
      spec: { trafficPolicy: EgressNetworkSpecTrafficPolicy.DENY },
    });
  }

  /** Admits `caller`'s connections to `host` (TLS, by SNI) through the namespace's EgressNetwork. */
  public allow(host: ExternalHost, caller: IMeshWorkload): void {
    const known = this.callers.get(host);
    if (known) {
      if (!known.includes(caller)) known.push(caller);
      return;
    }
    this.callers.set(host, [caller]);
    const ref = { group: POLICY_GROUP, kind: 'EgressNetwork', name: this.networkName, port: host.port };
    const props = {
      metadata: {
        name: `${host.host.replace(/^\*\./, 'any.')}-${host.port}`,
        namespace: this.namespace,
        annotations: { 'soma-mesh.io/callers': Lazy.any({ produce: () => this.callers.get(host)!.map(c => c.name).join(', ') }) as unknown as string },
      },
      spec: {
        parentRefs: [{ ...ref, namespace: this.namespace }],
        hostnames: [host.host],
        rules: [{ backendRefs: [ref] }],
      },
    };
    // Plain HTTP carries no SNI: a TLSRoute would never match it.
    if (host.speaksTls) new TlsRoute(this, `Route-${host.host}`, props);
    else new HttpRoute(this, `Route-${host.host}`, props);
  }
}

/**
 * A workload whose destinations cannot be listed: its proxy lets its outbound traffic on those ports pass untouched
 * (`config.linkerd.io/skip-outbound-ports`), so its namespace's `Deny` does not apply to it, and its NetworkPolicy
 * bounds it to those ports outside the cluster. Linkerd has no per-workload egress policy: an `Allow` EgressNetwork
 * would open every host to every client of the namespace. The reason is annotated on its pods.
 */
export function annotateUnlistedEgress(grant: UnlistedEgress): void {
  if (!(grant.caller instanceof MeshService)) return;
  for (const version of grant.caller.versions) annotatePods(version.deployment, grant);
}

/** The same, for a version added after the grant. */
export function annotatePods(deployment: ApiObject, grant: UnlistedEgress): void {
  const annotations: Record<string, string> = {
    'config.linkerd.io/skip-outbound-ports': grant.ports.join(','),
    [UNLISTED_EGRESS_REASON_ANNOTATION]: grant.reason,
  };
  const existing = deployment.toJson().spec?.template?.metadata?.annotations;
  if (!existing) {
    deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', annotations));
    return;
  }
  for (const [key, value] of Object.entries(annotations)) {
    deployment.addJsonPatch(JsonPatch.add(`/spec/template/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value));
  }
}
