#!/usr/bin/env node
// Writes src/review/schemas/crd-schemas.json: the openAPIV3Schema of every CRD kind the review tools read
// (Istio, Linkerd, Gateway API), from the CRDs in ../shared, descriptions dropped. The package ships this file,
// so the command never reads ../shared at run time. Run after updating the CRDs in ../shared.
const fs = require('fs');
const path = require('path');
const { parseAllDocuments } = require('yaml');

const root = path.resolve(__dirname, '..');
const shared = path.resolve(root, '..', 'shared');
const SOURCES = ['istio/crd-all.gen.yaml', 'linkerd/crds.yaml', 'gateway-api/standard-install.yaml'];
const GROUPS = new Set(['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'policy.linkerd.io', 'gateway.networking.k8s.io']);

function strip(schema) {
  if (Array.isArray(schema)) return schema.map(strip);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description' || k === 'x-kubernetes-validations') continue;
    out[k] = strip(v);
  }
  return out;
}

const schemas = {};
for (const source of SOURCES) {
  for (const doc of parseAllDocuments(fs.readFileSync(path.join(shared, source), 'utf8'))) {
    const crd = doc.toJSON();
    if (crd?.kind !== 'CustomResourceDefinition' || !GROUPS.has(crd.spec.group)) continue;
    for (const version of crd.spec.versions) {
      if (version.served === false || !version.schema?.openAPIV3Schema) continue;
      schemas[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = strip(version.schema.openAPIV3Schema);
    }
  }
}
const out = path.join(root, 'src', 'review', 'schemas', 'crd-schemas.json');
fs.writeFileSync(out, JSON.stringify(schemas) + '\n');
console.log(`${out}: ${Object.keys(schemas).length} kinds`);
