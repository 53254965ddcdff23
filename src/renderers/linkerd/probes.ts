import type { MeshService } from '../../model/mesh-service';

/** What the kubelet probes on a service's pods, read from its Deployments. */
export interface ServiceProbes {
  /** GET paths of the HTTP liveness and readiness probes, by port. */
  readonly httpPaths: Map<number, string[]>;
  /** Whether a liveness or readiness probe opens a TCP connection. */
  readonly tcp: boolean;
}

/** The probes of every version of a service. */
export function serviceProbes(service: MeshService): ServiceProbes {
  const httpPaths = new Map<number, string[]>();
  let tcp = false;
  for (const version of service.versions) {
    const containers: any[] = version.deployment.toJson().spec?.template?.spec?.containers ?? [];
    for (const container of containers) {
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        if (probe?.tcpSocket) tcp = true;
        const get = probe?.httpGet;
        if (!get || typeof get.port !== 'number') continue;
        const paths = httpPaths.get(get.port) ?? [];
        if (!paths.includes(get.path)) paths.push(get.path);
        httpPaths.set(get.port, paths);
      }
    }
  }
  return { httpPaths, tcp };
}
