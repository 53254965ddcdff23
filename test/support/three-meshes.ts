import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { IMeshRenderer, IstioAmbientRenderer, IstioRenderer, LinkerdRenderer, Mesh } from '../../src';
import { CrdSchemas } from './crd-schema';
import { KubernetesSchemas } from './k8s-schema';
import { K8sObject, SHARED } from './manifests';

/** The three renders, each with what a production cluster needs. */
export const MESHES = ['istio', 'linkerd', 'istio-ambient'] as const;
export type MeshName = typeof MESHES[number];

export function rendererFor(mesh: MeshName): IMeshRenderer {
  switch (mesh) {
    case 'istio': return new IstioRenderer();
    case 'linkerd': return new LinkerdRenderer({
      probeNetworks: ['10.0.0.0/16'],
      edge: { gatewayClassName: 'envoy-gateway', controllerNamespace: 'envoy-gateway-system', controllerServiceAccount: 'envoy' },
    });
    case 'istio-ambient': return new IstioAmbientRenderer();
  }
}

/** Declares with `declare` on a fresh mesh of that kind and synthesizes. */
export function renderOn(mesh: MeshName, declare: (m: Mesh) => void): { objects: K8sObject[]; warnings: string[] } {
  const warnings: string[] = [];
  const app = Testing.app();
  const chart = new Chart(app, 'c', { disableResourceNameHashes: true });
  const m = new Mesh(chart, 'Mesh', { renderer: rendererFor(mesh), warningSink: { warn: w => warnings.push(w) } });
  declare(m);
  app.synth();
  return { objects: chart.toJson() as K8sObject[], warnings };
}

let crds: CrdSchemas | undefined;
let kube: KubernetesSchemas | undefined;

/** Every object's schema errors: custom resources against the CRDs in ../shared, the rest against Kubernetes' own. */
export function schemaErrors(objects: K8sObject[]): string[] {
  crds ??= new CrdSchemas(
    path.join(SHARED, 'istio', 'crd-all.gen.yaml'),
    path.join(SHARED, 'linkerd', 'crds.yaml'),
    path.join(SHARED, 'gateway-api', 'standard-install.yaml'),
  );
  kube ??= new KubernetesSchemas();
  const [c, k] = [crds, kube];
  return objects.flatMap(o => (c.knows(o) ? c.errors(o) : k.knows(o) ? k.errors(o) : [`${o.apiVersion} ${o.kind}: no schema`]));
}
