import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { MeshService } from '../../model/mesh-service';

/** The method every gRPC health probe calls, whatever service it asks about. */
export const GRPC_HEALTH_CHECK = '/grpc.health.v1.Health/Check';

/** What the kubelet probes on a service's pods, read from its Deployments. */
export interface ServiceProbes {
  /**
   * Paths the kubelet requests, by port: GET paths of the HTTP liveness and readiness probes, and the gRPC health
   * method's path of the gRPC probes (a POST, as every gRPC request).
   */
  readonly httpPaths: Map<number, string[]>;
  /** Whether a liveness or readiness probe opens a TCP connection. */
  readonly tcp: boolean;
}

/** The probes of every version of a service. */
export function serviceProbes(service: MeshService): ServiceProbes {
  return probesOf(service.versions.map(v => v.deployment));
}

/** The probes of workloads' pod templates (Deployments, StatefulSets): HTTP GET paths by container port, and any TCP check. */
export function probesOf(workloads: readonly ApiObject[]): ServiceProbes {
  const httpPaths = new Map<number, string[]>();
  let tcp = false;
  for (const workload of workloads) {
    const containers: any[] = workload.toJson().spec?.template?.spec?.containers ?? [];
    for (const container of containers) {
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        if (probe?.tcpSocket) tcp = true;
        const get = probe?.httpGet;
        const grpc = probe?.grpc;
        const [port, path] = get && typeof get.port === 'number' ? [get.port, get.path]
          : grpc && typeof grpc.port === 'number' ? [grpc.port, GRPC_HEALTH_CHECK] : [undefined, undefined];
        if (port === undefined) continue;
        const paths = httpPaths.get(port) ?? [];
        if (!paths.includes(path)) paths.push(path);
        httpPaths.set(port, paths);
      }
    }
  }
  return { httpPaths, tcp };
}

/**
 * A TCP check always succeeds behind the Linkerd proxy, which accepts the kubelet's connection itself. Where the service
 * serves an HTTP endpoint soma-mesh knows (its metrics path), its TCP checks become GETs of that path on that port, with
 * the same timings. Returns whether the deployment had a TCP check left that could not be replaced.
 */
export function replaceTcpProbes(service: MeshService, deployment: ApiObject): boolean {
  const containers: any[] = deployment.toJson().spec?.template?.spec?.containers ?? [];
  const metrics = service.metrics;
  let left = false;
  containers.forEach((container, i) => {
    for (const kind of ['livenessProbe', 'readinessProbe']) {
      if (!container[kind]?.tcpSocket) continue;
      if (!metrics) { left = true; continue; }
      const at = `/spec/template/spec/containers/${i}/${kind}`;
      // A Kube* object maps its JSON once more after the patches: the port goes in as the IntOrString it expects there.
      deployment.addJsonPatch(JsonPatch.remove(`${at}/tcpSocket`), JsonPatch.add(`${at}/httpGet`, { path: metrics.path, port: k8s.IntOrString.fromNumber(metrics.port) }));
    }
  });
  return left;
}
