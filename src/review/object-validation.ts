import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { KubeObject } from './inventory';

/**
 * Refuses objects that the API server would refuse, before any of them is evaluated: each Istio, Linkerd and
 * Gateway API object against its CRD's schema (unknown fields rejected, as `kubectl apply` does), and the fields of
 * core Kubernetes objects that the review tools read, for type and format. A problem names the object and the
 * field path (`spec.rules[0].to`), so that the loader can point at the line.
 */

/** One problem: the object, the path of the field, what is wrong. */
export interface ObjectProblem {
  /** The object (a `KubeObject`: plain JSON). */
  readonly object: any;
  /** Path segments inside the object (`['spec', 'rules', 0]`). */
  readonly path: Array<string | number>;
  readonly message: string;
}

// Loaded when an object first needs them: synth's analyzer reads this module but validates no CRD object, and ajv
// and the schemas are a sizeable part of a synth's module loading.
let schemas: { byKey: Record<string, any>; keys: string[]; groups: Set<string> } | undefined;
function crdSchemas(): NonNullable<typeof schemas> {
  if (!schemas) {
    const byKey = (require('./schemas/crd-schemas') as typeof import('./schemas/crd-schemas')).CRD_SCHEMAS as Record<string, any>;
    const keys = Object.keys(byKey);
    schemas = { byKey, keys, groups: new Set(keys.map(k => k.split('/')[0])) };
  }
  return schemas;
}
const validators = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;

/** The validator of `group/version/Kind`, compiled when first needed. */
function validatorOf(key: string): ValidateFunction | undefined {
  let validate = validators.get(key);
  const schema = crdSchemas().byKey[key];
  if (!validate && schema) {
    const AjvClass = (require('ajv') as typeof import('ajv')).default;
    ajv ??= new AjvClass({ strict: false, allErrors: true, verbose: true, validateFormats: false });
    const closed = close(structuredClone(schema));
    closed.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...closed.properties };
    validate = ajv.compile(closed);
    validators.set(key, validate);
  }
  return validate;
}

/** Objects as the API server validates them: closed unless the schema preserves unknown fields; int-or-string. */
function close(schema: any, branch = false): any {
  if (Array.isArray(schema)) return schema.map(s => close(s, branch));
  if (!schema || typeof schema !== 'object') return schema;
  // A oneOf/anyOf/allOf/not branch lists only the fields it constrains among those the structural schema declares
  // (the API server prunes by the structural schema alone), so closing it would refuse valid objects.
  for (const key of Object.keys(schema)) schema[key] = close(schema[key], branch || ['oneOf', 'anyOf', 'allOf', 'not'].includes(key));
  if (schema['x-kubernetes-int-or-string']) {
    delete schema.type;
    schema.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (!branch && schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    schema.additionalProperties = false;
  }
  return schema;
}

/** Every problem of every object (an empty list when all are valid). */
export function validateObjects(objects: readonly KubeObject[]): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  for (const o of objects) problems.push(...validateObject(o));
  return problems;
}

export function validateObject(o: KubeObject): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  const report = (path: Array<string | number>, message: string) => problems.push({ object: o, path, message });
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') report(['apiVersion'], 'must be a string such as "v1" or "security.istio.io/v1"');
  if (typeof o.kind !== 'string' || o.kind === '') report(['kind'], 'must be a string');
  checkMetadata(o, report);
  if (problems.length > 0) return problems;
  const group = o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0] : '';
  if (crdSchemas().groups.has(group)) {
    const validate = validatorOf(`${o.apiVersion}/${o.kind}`);
    if (!validate) {
      const served = crdSchemas().keys.filter(k => k.endsWith(`/${o.kind}`) && k.startsWith(`${group}/`)).map(k => k.split('/').slice(0, 2).join('/'));
      report(['apiVersion'], served.length > 0 ? `${o.kind} is not served as ${o.apiVersion} (served: ${served.join(', ')})` : `${group} has no kind ${o.kind}`);
    } else if (!validate(o)) {
      for (const e of validate.errors ?? []) report(pathOf(e), describeError(e));
    }
  }
  CORE_CHECKS[o.kind!]?.(o, report);
  if (group === 'security.istio.io' && problems.length === 0) ISTIO_CHECKS[o.kind!]?.(o, report);
  return problems;
}

type Reporter = (path: Array<string | number>, message: string) => void;

function pathOf(e: ErrorObject): Array<string | number> {
  const path: Array<string | number> = e.instancePath.split('/').slice(1).map(s => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'additionalProperties') path.push((e.params as any).additionalProperty);
  return path;
}

function describeError(e: ErrorObject): string {
  const p = e.params as any;
  switch (e.keyword) {
    case 'additionalProperties': return 'unknown field';
    case 'type': return `must be ${article(p.type)}, not ${JSON.stringify(valueOf(e))}`;
    case 'enum': return `must be one of ${p.allowedValues.join(', ')}, not ${JSON.stringify(valueOf(e))}`;
    case 'required': return `needs "${p.missingProperty}"`;
    default: return `${e.message}`;
  }
}

function valueOf(e: ErrorObject): unknown {
  return (e as any).data;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a map';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}

function checkMetadata(o: KubeObject, report: Reporter): void {
  const m: any = o.metadata;
  if (m === undefined || m === null || typeof m !== 'object' || Array.isArray(m)) { report(['metadata'], 'must be a map with a name'); return; }
  if (typeof m.name !== 'string' || m.name === '') report(['metadata', 'name'], 'must be a non-empty string');
  if (m.namespace !== undefined && (typeof m.namespace !== 'string' || m.namespace === '')) report(['metadata', 'namespace'], 'must be a non-empty string');
  stringMap(m.labels, ['metadata', 'labels'], report);
  stringMap(m.annotations, ['metadata', 'annotations'], report);
}

/** A map of strings (labels, annotations, ConfigMap data), each value checked; also read by the import's checks. */
export function stringMap(value: unknown, path: Array<string | number>, report: Reporter): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) { report(path, `must be a map of strings, not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`); return; }
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') report([...path, k], `must be a string, not ${JSON.stringify(v)} (quote it)`);
}

/** A port name as Kubernetes requires it (IANA_SVC_NAME): lowercase letters, digits and '-', at most 15, at least one letter. */
function checkPortName(name: unknown, path: Array<string | number>, report: Reporter): void {
  if (name === undefined) return;
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > 15 || !/[a-z]/.test(name) || name.includes('--')) {
    report(path, `${JSON.stringify(name)} is not a valid port name: at most 15 lowercase letters, digits and '-', with at least one letter`);
  }
}

/** A Service port name as Kubernetes requires it (a DNS label): kompose writes names such as "8083". */
function checkServicePortName(name: unknown, path: Array<string | number>, report: Reporter): void {
  if (name === undefined) return;
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > 63) {
    report(path, `${JSON.stringify(name)} is not a valid Service port name: at most 63 lowercase letters, digits and '-'`);
  }
}

function checkPortNumber(value: unknown, path: Array<string | number>, report: Reporter): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) report(path, `must be a port number from 1 to 65535, not ${JSON.stringify(value)}`);
}

/** Whether `value` is a list (absent is no list, and no problem); also read by the import's checks. */
export function checkList(value: unknown, path: Array<string | number>, report: Reporter): value is unknown[] {
  if (value === undefined || value === null) return false;
  if (!Array.isArray(value)) { report(path, `must be a list, not ${JSON.stringify(value)}`); return false; }
  return true;
}

function checkPodSpec(spec: any, path: Array<string | number>, report: Reporter): void {
  if (spec === undefined || spec === null) return;
  if (typeof spec !== 'object' || Array.isArray(spec)) { report(path, 'must be a map'); return; }
  for (const f of ['serviceAccountName', 'serviceAccount']) {
    if (spec[f] !== undefined && typeof spec[f] !== 'string') report([...path, f], `must be a string, not ${JSON.stringify(spec[f])}`);
  }
  for (const list of ['containers', 'initContainers']) {
    if (!checkList(spec[list], [...path, list], report)) continue;
    (spec[list] as any[]).forEach((c, i) => {
      if (!c || typeof c !== 'object') { report([...path, list, i], 'must be a map'); return; }
      if (!checkList(c.ports, [...path, list, i, 'ports'], report)) return;
      (c.ports as any[]).forEach((p, j) => {
        const at = [...path, list, i, 'ports', j];
        if (!p || typeof p !== 'object' || Array.isArray(p)) { report(at, 'must be a map with containerPort'); return; }
        checkPortNumber(p.containerPort, [...at, 'containerPort'], report);
        checkPortName(p.name, [...at, 'name'], report);
        if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) report([...at, 'protocol'], `must be TCP, UDP or SCTP, not ${JSON.stringify(p.protocol)}`);
      });
    });
  }
}

function checkTemplate(template: any, path: Array<string | number>, report: Reporter): void {
  if (template === undefined || template === null) return;
  if (typeof template !== 'object' || Array.isArray(template)) { report(path, 'must be a map'); return; }
  if (template.metadata !== undefined) {
    if (typeof template.metadata !== 'object' || Array.isArray(template.metadata)) report([...path, 'metadata'], 'must be a map');
    else {
      stringMap(template.metadata.labels, [...path, 'metadata', 'labels'], report);
      stringMap(template.metadata.annotations, [...path, 'metadata', 'annotations'], report);
    }
  }
  checkPodSpec(template.spec, [...path, 'spec'], report);
}

/** Kinds that apps/v1 refuses without `spec.selector` (and so without `spec`). */
const SELECTOR_REQUIRED = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function checkWorkload(o: KubeObject, report: Reporter): void {
  const spec: any = o.spec;
  const selectorRequired = o.apiVersion === 'apps/v1' && SELECTOR_REQUIRED.has(o.kind!);
  if (spec === undefined || spec === null) {
    if (selectorRequired) report(['spec'], `is required: the API server refuses a ${o.kind} without spec.selector and spec.template`);
    return;
  }
  if (typeof spec !== 'object' || Array.isArray(spec)) { report(['spec'], 'must be a map'); return; }
  if (selectorRequired && (spec.selector === undefined || spec.selector === null)) {
    report(['spec', 'selector'], 'is required: the API server refuses it without one (the labels of the pods it manages)');
  }
  if (spec.selector !== undefined) {
    if (typeof spec.selector !== 'object' || Array.isArray(spec.selector)) report(['spec', 'selector'], `must be a map with matchLabels, not ${Array.isArray(spec.selector) ? 'a list' : JSON.stringify(spec.selector)}`);
    else stringMap(spec.selector.matchLabels, ['spec', 'selector', 'matchLabels'], report);
  }
  checkTemplate(spec.template, ['spec', 'template'], report);
}

const CORE_CHECKS: Record<string, (o: KubeObject, report: Reporter) => void> = {
  Deployment: checkWorkload, StatefulSet: checkWorkload, DaemonSet: checkWorkload, ReplicaSet: checkWorkload, Job: checkWorkload,
  ReplicationController: checkWorkload,
  CronJob: (o, report) => {
    const t = o.spec?.jobTemplate?.spec?.template;
    checkTemplate(t, ['spec', 'jobTemplate', 'spec', 'template'], report);
  },
  Pod: (o, report) => checkPodSpec(o.spec, ['spec'], report),
  Service: (o, report) => {
    const spec: any = o.spec;
    if (spec === undefined) return;
    if (typeof spec !== 'object' || Array.isArray(spec)) { report(['spec'], 'must be a map'); return; }
    if (spec.selector !== undefined && spec.selector !== null) {
      if (typeof spec.selector !== 'object' || Array.isArray(spec.selector)) report(['spec', 'selector'], `must be a map of labels, not ${Array.isArray(spec.selector) ? 'a list' : JSON.stringify(spec.selector)}`);
      else stringMap(spec.selector, ['spec', 'selector'], report);
    }
    if (!checkList(spec.ports, ['spec', 'ports'], report)) return;
    (spec.ports as any[]).forEach((p, i) => {
      const at = ['spec', 'ports', i];
      if (!p || typeof p !== 'object' || Array.isArray(p)) { report(at, 'must be a map with port'); return; }
      checkPortNumber(p.port, [...at, 'port'], report);
      checkServicePortName(p.name, [...at, 'name'], report);
      if (p.targetPort !== undefined) {
        if (typeof p.targetPort === 'string') checkPortName(p.targetPort, [...at, 'targetPort'], report);
        else checkPortNumber(p.targetPort, [...at, 'targetPort'], report);
      }
      if (p.appProtocol !== undefined && typeof p.appProtocol !== 'string') report([...at, 'appProtocol'], `must be a string, not ${JSON.stringify(p.appProtocol)}`);
      if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) report([...at, 'protocol'], `must be TCP, UDP or SCTP, not ${JSON.stringify(p.protocol)}`);
    });
  },
  Namespace: () => undefined,
};

const WHEN_KEYS = ['source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'source.serviceAccount', 'request.auth.principal',
  'request.auth.audiences', 'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni'];
const WHEN_KEY_PREFIXES = [/^request\.headers\[[^\]]+\]$/, /^request\.auth\.claims(\[[^\]]+\])+$/, /^experimental\.envoy\.filters\./];

function checkSelectorLabels(selector: any, path: Array<string | number>, report: Reporter): void {
  for (const [k, v] of Object.entries<string>(selector?.matchLabels ?? {})) {
    if (k === '' || k.includes('*') || String(v).includes('*')) report([...path, 'matchLabels', k], 'label keys must be non-empty and selectors take no \'*\'');
  }
}

function checkPortStrings(list: unknown, path: Array<string | number>, report: Reporter): void {
  if (!Array.isArray(list)) return;
  list.forEach((v, i) => {
    if (!/^\d+$/.test(String(v)) || Number(v) < 1 || Number(v) > 65535) report([...path, i], `must be a port number from 1 to 65535, not ${JSON.stringify(v)}`);
  });
}

/**
 * What the CRDs' CEL rules and istiod's validating webhook refuse in the fields the matrix reads (the schema check
 * above cannot run CEL).
 */
const ISTIO_CHECKS: Record<string, (o: KubeObject, report: Reporter) => void> = {
  AuthorizationPolicy: (o, report) => {
    const spec: any = o.spec ?? {};
    if (spec.selector && (spec.targetRef || spec.targetRefs)) report(['spec', 'selector'], 'only one of selector or targetRef(s) can be set');
    checkSelectorLabels(spec.selector, ['spec', 'selector'], report);
    const action = spec.action ?? 'ALLOW';
    if (action === 'CUSTOM' && !spec.provider) report(['spec', 'provider'], 'a CUSTOM policy needs a provider');
    if (action !== 'CUSTOM' && spec.provider) report(['spec', 'provider'], `only a CUSTOM policy takes a provider, not ${action}`);
    (spec.rules ?? []).forEach((rule: any, r: number) => {
      const at = ['spec', 'rules', r];
      (rule?.from ?? []).forEach((f: any, i: number) => {
        const source = f?.source;
        if (!source || Object.keys(source).length === 0) { report([...at, 'from', i, 'source'], 'must not be empty'); return; }
        if ((source.serviceAccounts || source.notServiceAccounts) && (source.principals || source.notPrincipals || source.namespaces || source.notNamespaces)) {
          report([...at, 'from', i, 'source'], 'cannot set serviceAccounts with namespaces or principals');
        }
      });
      (rule?.to ?? []).forEach((t: any, i: number) => {
        const operation = t?.operation;
        if (!operation || Object.keys(operation).length === 0) { report([...at, 'to', i, 'operation'], 'must not be empty'); return; }
        checkPortStrings(operation.ports, [...at, 'to', i, 'operation', 'ports'], report);
        checkPortStrings(operation.notPorts, [...at, 'to', i, 'operation', 'notPorts'], report);
      });
      (rule?.when ?? []).forEach((w: any, i: number) => {
        const key = String(w?.key ?? '');
        if (!WHEN_KEYS.includes(key) && !WHEN_KEY_PREFIXES.some(re => re.test(key))) report([...at, 'when', i, 'key'], `unknown attribute ${JSON.stringify(key)}`);
        if (!w?.values && !w?.notValues) report([...at, 'when', i], 'needs values or notValues');
        if (key === 'destination.port') {
          checkPortStrings(w.values, [...at, 'when', i, 'values'], report);
          checkPortStrings(w.notValues, [...at, 'when', i, 'notValues'], report);
        }
      });
    });
  },
  PeerAuthentication: (o, report) => {
    const spec: any = o.spec ?? {};
    checkSelectorLabels(spec.selector, ['spec', 'selector'], report);
    if (spec.portLevelMtls && !Object.keys(spec.selector?.matchLabels ?? {}).length) report(['spec', 'portLevelMtls'], 'needs a workload selector (portLevelMtls applies to selected workloads only)');
    for (const port of Object.keys(spec.portLevelMtls ?? {})) {
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) report(['spec', 'portLevelMtls', port], 'must be keyed by a port number from 1 to 65535');
    }
  },
};

/** `spec.rules[0].to`: a path as a reader writes it. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}
