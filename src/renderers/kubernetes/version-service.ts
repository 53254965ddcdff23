import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MeshService, ServiceVersion } from '../../model/mesh-service';
import { servicePorts } from '../../model/service-ports';

/**
 * The Kubernetes Service of one version of a service (`<service>-<version>`, selecting that version's pods), for
 * meshes whose routes split requests between Services rather than subsets: Gateway API `backendRefs` name Services.
 */
export function versionService(scope: Construct, id: string, service: MeshService, version: ServiceVersion): k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: { name: `${service.name}-${version.name}`, namespace: service.namespace.name, labels: { app: service.name, version: version.name } },
    spec: {
      selector: { ...version.podLabels },
      ports: servicePorts(service.ports),
    },
  });
}
