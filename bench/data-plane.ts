import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { synthesizeAtomically } from '../src/synthesize';
import { libraryChart } from './library-mesh';
import { syntheticMesh } from './synthetic-mesh';
import { DataPlane, dataPlane, Manifest, RegistryHost } from './visible-hosts';

/** Hosts every Istio cluster has beside the rendered ones: the control plane and the ingress gateway. */
export const ISTIO_SYSTEM_HOSTS: readonly RegistryHost[] = [
  { host: 'istiod.istio-system.svc.cluster.local', namespace: 'istio-system' },
  { host: 'istio-ingressgateway.istio-system.svc.cluster.local', namespace: 'istio-system' },
];

/**
 * SomaAgentHub's data plane, read from its render. The infrastructure peers' Services are deployed by
 * other charts, so they are not in the YAML; they are in the cluster's registry, so they are counted.
 */
export function somaDataPlane(): DataPlane {
  let hub: SomaAgentHub | undefined;
  const objects = renderAndRead(app => { hub = new SomaAgentHub(app, 'soma-agent-hub'); });
  const peers = hub!.mesh.workloads
    .filter(w => !w.deployed && w.ports.length > 0)
    .map(w => ({ host: w.host, namespace: w.namespace.name }));
  return dataPlane(objects, [...peers, ...ISTIO_SYSTEM_HOSTS]);
}

/** A synthetic mesh's data plane, read from the library's render of it. */
export function syntheticDataPlane(services: number, callsPerService = 10): DataPlane {
  const mesh = syntheticMesh(services, callsPerService);
  return dataPlane(renderAndRead(app => { libraryChart(app, mesh); }), ISTIO_SYSTEM_HOSTS);
}

/** Synthesizes into a temporary folder, as synth does, and reads every document back. */
function renderAndRead(build: (app: App) => void): Manifest[] {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'soma-bench-dp-')), 'dist');
  try {
    synthesizeAtomically(outdir, build);
    return fs.readdirSync(outdir).sort().flatMap(file => fs.readFileSync(path.join(outdir, file), 'utf8')
      .split(/^---$/m)
      .map(doc => parse(doc) as Manifest)
      .filter(o => o !== null && typeof o === 'object'));
  } finally {
    fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  }
}
