import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules,
} from '../../../imports/istio-security.istio.io';
import type { Call } from '../../model/call';
import type { ExternalHost } from '../../model/external-host';
import { Mesh } from '../../model/mesh';
import type { MeshNamespace } from '../../model/mesh-namespace';
import { fail } from '../../model/validation';
import type { IMeshWorkload } from '../../model/workload';
import { callerRules } from '../istio/caller-policy';
import type { Waypoint } from './waypoint';

/**
 * The L4 policy of a workload, enforced by the ztunnel of its node (`selector`): it may name principals, namespaces and
 * ports only. ztunnel drops from an ALLOW policy every rule that names a method or a path (such a rule never matches),
 * so no call here ever depends on one. Without a waypoint it admits each caller on the called ports; with one, every
 * request arrives from the waypoint's identity, so it admits the waypoint on the called ports and nobody else: a
 * caller that bypasses the waypoint (to the pod's address) is refused.
 * Built by the ambient renderer: TypeScript only.
 * @jsii ignore
 */
export class ZtunnelPolicy extends Construct {
  public readonly resource: AuthorizationPolicy;

  public constructor(scope: Construct, id: string, private readonly workload: IMeshWorkload, private readonly waypointOf: () => Waypoint | undefined) {
    super(scope, id);
    const graph = Mesh.of(workload).callGraph;
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: `${workload.name}-callers`, namespace: workload.namespace.name, labels: { app: workload.name } },
      spec: {
        selector: { matchLabels: { ...workload.selector } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => this.rules(graph.callsTo(this.workload)) }),
      },
    });
  }

  private rules(calls: readonly Call[]): AuthorizationPolicySpecRules[] | undefined {
    if (calls.length === 0) return undefined; // an ALLOW policy without rules matches nothing: the workload is closed
    const waypoint = this.waypointOf();
    if (waypoint) {
      // ztunnel sees the waypoint's connection to the pod: the container port.
      const ports = [...new Set(calls.map(c => c.targetPort))].sort((a, b) => a - b).map(String);
      return [{ from: [{ source: { principals: [waypoint.principal] } }], to: [{ operation: { ports } }] }];
    }
    const l7 = calls.find(c => c.methods.length > 0 || c.paths.length > 0);
    if (l7) {
      // The renderer sends every workload with such a call through a waypoint; reaching here is a renderer bug, said plainly.
      fail(this.workload.node.path, `the call from ${l7.caller.name} names methods or paths, which ztunnel cannot enforce, and ${this.workload.name} has no waypoint: give it one`);
    }
    return callerRules(calls);
  }
}

/**
 * The L7 policy of a workload whose Service uses a waypoint, attached to the Service with `targetRefs` and enforced by
 * the waypoint for every request addressed to the Service: each caller's principal with its ports, methods and paths in
 * one rule, as the sidecar render writes them, except that its ports are Service ports: the waypoint matches the port
 * the request was addressed to (its listener is the Service's), not the container port behind it.
 * Built by the ambient renderer: TypeScript only.
 * @jsii ignore
 */
export class WaypointPolicy extends Construct {
  public readonly resource: AuthorizationPolicy;

  public constructor(scope: Construct, id: string, workload: IMeshWorkload) {
    super(scope, id);
    const graph = Mesh.of(workload).callGraph;
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: `${workload.name}-waypoint-callers`, namespace: workload.namespace.name, labels: { app: workload.name } },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: workload.name }],
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => callerRules(graph.callsTo(workload).map(c => ({ ...c, targetPort: c.port }))) }),
      },
    });
  }
}

/**
 * The policy of an external host reached through its callers' namespace waypoint (an egress waypoint): attached to the
 * host's ServiceEntry with `targetRefs`, it admits the principals of that namespace's callers of the host on its port.
 * Callers speak TLS to the host themselves, so the rule is L4 (principals and port).
 */
export class EgressWaypointPolicy extends Construct {
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, host: ExternalHost, namespace: MeshNamespace, serviceEntryName: string) {
    super(scope, id);
    const graph = Mesh.of(namespace).callGraph;
    const principals = () => [...new Set(graph.externalCallsTo(host).filter(c => c.caller.namespace === namespace).map(c => c.caller.principal))];
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: `${serviceEntryName}-callers`, namespace: namespace.name, labels: { 'soma-mesh.io/external-host': 'true' } },
      spec: {
        targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: serviceEntryName }],
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => [{ from: [{ source: { principals: principals() } }], to: [{ operation: { ports: [String(host.port)] } }] }] }),
      },
    });
  }
}
