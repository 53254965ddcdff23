import * as fs from 'fs';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { K8sObject } from './manifests';

/**
 * Validates objects against the openAPIV3Schema of their CustomResourceDefinition, the way the API server
 * prunes and rejects: every object schema that lists properties (and does not preserve unknown fields)
 * rejects any other field.
 */
export class CrdSchemas {
  private readonly validators = new Map<string, ValidateFunction<unknown>>();

  public constructor(...crdFiles: string[]) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    for (const file of crdFiles) {
      for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
        const crd = doc.toJSON();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const version of crd.spec.versions) {
          const schema = closeObjects(structuredClone(version.schema.openAPIV3Schema));
          // Every object may carry these; CRDs leave them out of their schemas.
          schema.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...schema.properties };
          this.validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
        }
      }
    }
  }

  /** Whether a schema is known for this object's apiVersion and kind. */
  public knows(object: K8sObject): boolean {
    return this.validators.has(`${object.apiVersion}/${object.kind}`);
  }

  /** The schema errors of one object, empty when it is valid. */
  public errors(object: K8sObject): string[] {
    const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) return [`no CRD schema for ${object.apiVersion} ${object.kind}`];
    const valid = validate(object);
    if (valid) return [];
    const o = object as K8sObject;
    return (validate.errors ?? []).map(e => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

function closeObjects(schema: any, inLogic = false): any {
  if (Array.isArray(schema)) return schema.map(s => closeObjects(s, inLogic));
  if (!schema || typeof schema !== 'object') return schema;
  for (const key of Object.keys(schema)) {
    // Inside oneOf/anyOf/allOf/not, `properties` constrain fields the enclosing schema declares; the API server prunes
    // by the structural schema only, so those branches are not closed.
    schema[key] = closeObjects(schema[key], inLogic || ['oneOf', 'anyOf', 'allOf', 'not'].includes(key));
  }
  if (schema['x-kubernetes-int-or-string']) {
    // The API server accepts an integer or a string here, whatever `type` says.
    delete schema.type;
    if (!schema.anyOf) schema.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (!inLogic && schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    schema.additionalProperties = false;
  }
  return schema;
}
