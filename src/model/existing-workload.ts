import type { MeshNamespace } from './mesh-namespace';
import { checkDnsLabel, fail } from './validation';
import { checkPorts, checkScopeAndName, isNamespace } from './declaration-checks';
import { MeshWorkload, WorkloadPort } from './workload';

/** A workload deployed by another chart, declared so that it can call and be called. */
export interface ExistingWorkloadProps {
  /** Labels that select its pods, as its own chart sets them. */
  readonly selector: Record<string, string>;
  /** The ServiceAccount its pods run as: its mTLS identity. */
  readonly serviceAccountName: string;
  /**
   * Ports it serves: its Service port, and the container port behind it when they differ (`targetPort`).
   * @default - none: it only calls others (an ingress gateway, for example)
   */
  readonly ports?: WorkloadPort[];
}

/**
 * A peer that already exists elsewhere (Redis, Kafka, Temporal, an ingress gateway, ...).
 * Nothing is deployed for it, yet it can call and be called, and when it serves ports it is guarded:
 * its own ALLOW policy, rendered into its namespace, admits exactly the calls declared to it.
 */
export class ExistingWorkload extends MeshWorkload {
  public readonly serviceAccountName: string;
  public readonly selector: Readonly<Record<string, string>>;
  public readonly deployed = false;

  public constructor(namespace: MeshNamespace, name: string, props: ExistingWorkloadProps) {
    super(namespace, name, checkedProps(namespace, name, props).ports ?? []);
    this.serviceAccountName = props.serviceAccountName;
    this.selector = { ...props.selector };
    const where = this.node.path;
    if (Object.keys(this.selector).length === 0) {
      fail(where, 'selector is empty, so a policy for it would select every pod of its namespace: give the labels of its pods');
    }
    for (const [key, value] of Object.entries(this.selector)) {
      if (!key || key.includes('*') || value.includes('*')) fail(where, `selector ${key}=${value} has an empty key or a '*': Istio selectors take exact labels`);
    }
    const saError = checkDnsLabel('service account name', this.serviceAccountName);
    if (saError) fail(where, saError);
    this.mesh._registerWorkload(this);
  }
}

/** Every prop's type, before anything is made. */
function checkedProps(namespace: MeshNamespace, name: string, props: ExistingWorkloadProps): ExistingWorkloadProps {
  const at = checkScopeAndName(namespace, 'MeshNamespace', isNamespace, name, 'name', 'new ExistingWorkload(namespace, "redis", {...})');
  const p = at.object<ExistingWorkloadProps>('props', props, '{ selector: { app: "redis" }, serviceAccountName: "redis", ports: [{ port: 6379, protocol: Protocol.TCP }] }');
  at.knownKeys('', p, 'ExistingWorkloadProps');
  at.record('selector', p.selector, '{ app: "redis" }', (_key, value, item) => at.string(item, value, '"redis"'), false);
  at.string('serviceAccountName', p.serviceAccountName, '"redis"', false);
  checkPorts(at, 'ports', p.ports);
  at.declaredTypes('', p, 'ExistingWorkloadProps');
  return p;
}
