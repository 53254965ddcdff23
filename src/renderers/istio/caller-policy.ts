import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesTo,
} from '../../../imports/istio-security.istio.io';
import { Call } from '../../model/call';
import { Mesh } from '../../model/mesh';
import type { IMeshWorkload } from '../../model/workload';

/**
 * The one ALLOW AuthorizationPolicy of a workload, derived from the calls that reach it:
 * one rule per caller, whose source principal and operations sit in the same rule (so they AND).
 * Ports are container ports; methods and paths appear only where the call names them.
 */
export class CallerPolicy extends Construct {
  /**
   * The AuthorizationPolicy of its callers rendered for `workload`, typed, to change a field the props do not
   * offer; undefined when none is rendered.
   * Renders the mesh first when it is not yet: make escape hatches after the last declaration.
   */
  public static of(workload: IConstruct): CallerPolicy | undefined {
    Mesh.of(workload).render();
    const found = workload.node.tryFindChild(CallerPolicy.ID);
    return found instanceof CallerPolicy ? found : undefined;
  }

  /**
   * @internal the construct id under the workload
   * @jsii ignore
   */
  public static readonly ID = 'CallerPolicy';

  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, private readonly workload: IMeshWorkload) {
    super(scope, id);
    const mesh = Mesh.of(workload);
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: `${workload.name}-callers`, namespace: workload.namespace.name, labels: { app: workload.name } },
      spec: {
        selector: { matchLabels: { ...workload.selector } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({ produce: () => callerRules(mesh.callGraph.callsTo(this.workload)) }),
      },
    });
  }
}

/**
 * The ALLOW rules that admit exactly these calls: one rule per caller, its principal and its operations in the same rule
 * (so they AND); methods and paths only where a call names them. Undefined when there are no calls: an ALLOW policy
 * without rules matches nothing, so the workload is closed.
 */
export function callerRules(calls: readonly Call[]): AuthorizationPolicySpecRules[] | undefined {
  // Per caller, operations that name methods or paths go in a rule of their own: on a TCP port Istio drops an ALLOW
  // rule with any HTTP-only field whole, which would take the caller's port-only operations with it.
  const byRule = new Map<string, { principal: string; to: AuthorizationPolicySpecRulesTo[] }>();
  for (const call of calls) {
    const http = call.methods.length > 0 || call.paths.length > 0;
    const key = `${call.caller.principal} ${http ? 'http' : 'ports'}`;
    const rule = byRule.get(key) ?? { principal: call.caller.principal, to: [] };
    rule.to.push({
      operation: {
        ports: [String(call.targetPort)],
        methods: call.methods.length > 0 ? [...call.methods] : undefined,
        paths: call.paths.length > 0 ? [...call.paths] : undefined,
      },
    });
    byRule.set(key, rule);
  }
  if (byRule.size === 0) return undefined; // an ALLOW policy without rules matches nothing: the workload is closed
  return [...byRule.values()].map(({ principal, to }) => ({ from: [{ source: { principals: [principal] } }], to }));
}
