import * as fs from 'fs';
import * as path from 'path';
import type { K8sObject } from './manifests';

/**
 * Kubernetes' own object schemas, as cdk8s-plus-28 generated them from the API's OpenAPI document (its jsii
 * assembly describes every struct: field names, types, which are required). Validates rendered JSON the way
 * the API server would reject it: an unknown field, a wrong type or a missing required field is an error.
 * Read from the assembly file alone, so it shares nothing with the code it checks.
 */
export class KubernetesSchemas {
  private readonly types: Record<string, any>;
  private readonly byKind = new Map<string, string>();

  public constructor() {
    const file = path.join(path.dirname(require.resolve('cdk8s-plus-28/package.json')), '.jsii');
    this.types = JSON.parse(fs.readFileSync(file, 'utf8')).types;
    for (const [fqn, type] of Object.entries<any>(this.types)) {
      const summary: string | undefined = type.initializer?.docs?.summary;
      const m = summary && /^Defines a "io\.k8s\.api\.([a-z0-9]+)\.([a-z0-9]+)\.([A-Za-z]+)" API object\.$/.exec(summary);
      if (!m) continue;
      const props = type.initializer.parameters.find((p: any) => p.name === 'props')?.type?.fqn;
      // Core objects are plain `v1`; other groups are `<group>[.k8s.io]/<version>`, matched here by their first segment.
      this.byKind.set(`${m[1] === 'core' ? '' : m[1]}|${m[2]}|${m[3]}`, props ?? fqn);
    }
  }

  /** Whether Kubernetes has a built-in schema for this object. */
  public knows(object: K8sObject): boolean {
    return this.propsOf(object) !== undefined;
  }

  /** Every schema error of one object, empty when it is valid. */
  public errors(object: K8sObject): string[] {
    const props = this.propsOf(object);
    const name = `${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
    if (!props) return [`${name}: no Kubernetes schema for ${object.apiVersion} ${object.kind}`];
    const { apiVersion, kind, ...rest } = object as any;
    const errors: string[] = [];
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') errors.push(`${name}: apiVersion and kind must be strings`);
    this.check(rest, { fqn: props }, '', errors);
    return errors.map(e => `${name}: ${e}`);
  }

  private propsOf(object: K8sObject): string | undefined {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    return this.byKind.get(`${group.split('.')[0]}|${version}|${object.kind}`);
  }

  private check(value: unknown, type: any, at: string, errors: string[]): void {
    if (type.primitive) {
      const expected = type.primitive === 'number' ? 'number' : type.primitive === 'boolean' ? 'boolean' : type.primitive === 'string' ? 'string' : undefined;
      if (expected && typeof value !== expected) errors.push(`${at || '/'} is ${JSON.stringify(value)}, not a ${expected}`);
      return;
    }
    if (type.collection) {
      const { kind, elementtype } = type.collection;
      if (kind === 'array') {
        if (!Array.isArray(value)) { errors.push(`${at} is not an array`); return; }
        value.forEach((v, i) => this.check(v, elementtype, `${at}/${i}`, errors));
      } else {
        if (!value || typeof value !== 'object' || Array.isArray(value)) { errors.push(`${at} is not a map`); return; }
        for (const [k, v] of Object.entries(value)) this.check(v, elementtype, `${at}/${k}`, errors);
      }
      return;
    }
    const spec = this.types[type.fqn];
    if (!spec) { errors.push(`${at}: unknown type ${type.fqn}`); return; }
    if (spec.kind === 'class') {
      // IntOrString and Quantity: an integer or a string on the wire.
      if (typeof value !== 'number' && typeof value !== 'string') errors.push(`${at} is ${JSON.stringify(value)}, not a number or string`);
      return;
    }
    if (spec.kind === 'enum') {
      const allowed = (spec.members ?? []).map((m: any) => m.docs?.summary ?? m.name);
      if (typeof value !== 'string') errors.push(`${at} is not a string (${allowed.join(', ')})`);
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) { errors.push(`${at} is ${JSON.stringify(value)}, not an object`); return; }
    // The generated names normalize acronyms (`setHostnameAsFqdn` for `setHostnameAsFQDN`): match ignoring case.
    const fields = new Map<string, any>((spec.properties ?? []).map((p: any) => [p.name.toLowerCase(), p]));
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const field = fields.get(key.toLowerCase());
      if (!field) { errors.push(`${at}/${key} is not a field of ${type.fqn.split('.').pop()}`); continue; }
      this.check(v, field.type, `${at}/${key}`, errors);
    }
    const present = new Set(Object.keys(value as object).map(k => k.toLowerCase()));
    for (const [key, field] of fields) {
      if (!field.optional && !present.has(key)) errors.push(`${at}/${field.name} is required`);
    }
  }
}
