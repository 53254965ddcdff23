import { App, Chart } from 'cdk8s';
import { IstioRenderer } from '../src/renderers/istio/istio-renderer';
import { Mesh } from '../src/model/mesh';
import { MeshNamespace } from '../src/model/mesh-namespace';
import { MeshService } from '../src/model/mesh-service';
import { SyntheticMesh } from './synthetic-mesh';

/** The benchmark's image for a service: a pinned tag, as the library requires. */
export const benchImage = (name: string) => `registry.example/bench/${name}:1.0.0`;

/** Declares the synthetic mesh through the library, the way a user's chart would: services, then calls. */
export function libraryChart(app: App, mesh: SyntheticMesh): Chart {
  const chart = new Chart(app, 'bench', { disableResourceNameHashes: true });
  // The comparison is over the kinds issue 7 names (ServiceAccount, Deployment, Service, AuthorizationPolicy,
  // VirtualService, DestinationRule, plus the Sidecars the floor mirrors): NetworkPolicies, the L3/L4 defense in
  // depth, are left out on both sides.
  const m = new Mesh(chart, 'Mesh', { renderer: new IstioRenderer({ networkPolicies: false }) });
  const namespaces = new Map<string, MeshNamespace>(mesh.namespaces.map(name => [name, m.addNamespace(name)]));
  const services = mesh.services.map(s => new MeshService(namespaces.get(s.namespace)!, s.name, {
    image: benchImage(s.name),
    ports: s.ports.map(p => ({ port: p.port, protocol: p.protocol })),
  }));
  for (const call of mesh.calls) {
    services[call.to].allowFrom(services[call.from], { port: call.port, methods: call.methods, paths: call.paths });
  }
  return chart;
}
