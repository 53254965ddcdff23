import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/** Kinds whose pods a namespace's deny-by-default closes. */
const POD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'Job', 'CronJob']);

/**
 * Objects of the App that run pods in one of `namespaces` (which deny by default) without the mesh knowing them:
 * not built by a mesh workload, not adopted. Their pods would be denied every request and closed in.
 */
export function unknownWorkloads(root: IConstruct, namespaces: ReadonlySet<string>, known: (object: ApiObject) => boolean): Array<{ object: ApiObject; namespace: string }> {
  const found: Array<{ object: ApiObject; namespace: string }> = [];
  for (const construct of root.node.findAll()) {
    if (!(construct instanceof ApiObject) || !POD_KINDS.has(construct.kind)) continue;
    const namespace = construct.metadata.namespace ?? chartNamespace(construct);
    if (namespace === undefined || !namespaces.has(namespace) || known(construct)) continue;
    found.push({ object: construct, namespace });
  }
  return found;
}

function chartNamespace(object: ApiObject): string | undefined {
  try {
    return Chart.of(object).namespace;
  } catch {
    return undefined; // an ApiObject outside any Chart: it has no namespace to compare
  }
}
