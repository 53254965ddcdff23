import { Yaml } from 'cdk8s';

type Stringify = (...docs: any[]) => string;
/** cdk8s's own stringify, for the documents written by yaml itself. */
const CDK8S_STRINGIFY: Stringify = Yaml.stringify;

/**
 * The YAML text of rendered manifests, byte for byte as cdk8s writes it (`Yaml.stringify`: the yaml package, YAML
 * 1.1, no line folding), without building yaml's syntax tree for every object, which made yaml a fifth of synth.
 * Only JSON-shaped documents of the forms listed below are written here; any other document (a multi-line string,
 * control characters, a non-integer number, `undefined`, a map whose values are all null, an object met twice,
 * which yaml writes as an alias) is handed to yaml itself, so the output never differs.
 */
export class ManifestYaml {
  /** `Yaml.stringify(...docs)`, each document written here when it can be, else by `fallback` (yaml). */
  public static stringify(docs: any[], fallback: Stringify = CDK8S_STRINGIFY): string {
    return docs.map(doc => {
      const text = doc !== undefined ? documentText(doc) : undefined;
      return text ?? fallback(doc);
    }).join('---\n');
  }
}

/** Thrown inside the writer when a document needs yaml itself. */
const NOT_HERE = Symbol('not here');

function documentText(doc: unknown): string | undefined {
  if (!isPlainMap(doc) || Object.keys(doc).length === 0) return undefined;
  const seen = new Set<object>();
  try {
    return mapText(doc, '', seen) + '\n';
  } catch (e) {
    if (e === NOT_HERE) return undefined;
    throw e;
  }
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A block map at `indent`: its first line without the indent (the caller placed it), the others with it. */
function mapText(map: Record<string, unknown>, indent: string, seen: Set<object>): string {
  enter(map, seen);
  const keys = Object.keys(map);
  // yaml writes a map whose values are all null as a set (`? key`).
  if (keys.every(k => map[k] === null)) throw NOT_HERE;
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = map[key];
    if (key.length > 1000) throw NOT_HERE; // an explicit key (`? `) past 1024 characters
    if (i > 0) out += '\n' + indent;
    out += scalarText(key) + ':';
    if (value !== null && typeof value === 'object') {
      const collection = collectionText(value, inner, seen);
      out += collection.empty ? ' ' + collection.text : '\n' + inner + collection.text;
    } else {
      out += ' ' + valueText(value, inner);
    }
  }
  return out;
}

/** A block sequence at `indent`, items prefixed `- `, with the same first-line convention as `mapText`. */
function seqText(seq: unknown[], indent: string, seen: Set<object>): string {
  enter(seq, seen);
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < seq.length; i++) {
    const value = seq[i];
    if (i > 0) out += '\n' + indent;
    out += '- ';
    if (value !== null && typeof value === 'object') out += collectionText(value, inner, seen).text;
    else out += valueText(value, inner);
  }
  return out;
}

function collectionText(value: object, indent: string, seen: Set<object>): { text: string; empty: boolean } {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      enter(value, seen);
      return { text: '[]', empty: true };
    }
    return { text: seqText(value, indent, seen), empty: false };
  }
  if (!isPlainMap(value)) throw NOT_HERE;
  if (Object.keys(value).length === 0) {
    enter(value, seen);
    return { text: '{}', empty: true };
  }
  return { text: mapText(value, indent, seen), empty: false };
}

/** yaml writes an object met twice in a document as an anchor and an alias. */
function enter(value: object, seen: Set<object>): void {
  if (seen.has(value)) throw NOT_HERE;
  seen.add(value);
}

/** A scalar as a value; `indent`: that of a block string's lines. */
function valueText(value: unknown, indent: string): string {
  switch (typeof value) {
    case 'string': return value.includes('\n') ? blockText(value, indent) : scalarText(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw NOT_HERE;
      return String(value);
    default:
      if (value === null) return 'null';
      throw NOT_HERE;
  }
}

/** How yaml writes a one-line string, as a key or a value: plain when it reads back as that string, else quoted. */
const scalars = new Map<string, string>();

function scalarText(value: string): string {
  let text = scalars.get(value);
  if (text === undefined) {
    text = quoting(value);
    scalars.set(value, text);
  }
  return text;
}

// The tests yaml's plainString and stringifyString make, for strings without a line break.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function quoting(value: string): string {
  // `<<` is YAML 1.1's merge key, which yaml writes by rules of its own.
  if (value.includes('\n') || CONTROL.test(value) || DOCUMENT_MARKER.test(value) || value === '<<') throw NOT_HERE;
  if (value === '' || NOT_PLAIN.test(value) || readsAsAnotherType(value)) {
    // yaml's quotedString: single quotes for a value with double quotes only, else JSON's double quotes.
    return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
  }
  return value;
}

/**
 * How yaml writes a string with a line break as a value: a literal block (`|`), its lines at `indent`, kept (`|`) or
 * stripped (`|-`) of its one final line break. Strings that start with a blank, end in blanks or in more than one
 * line break (quoted or kept, `|+`, by yaml) are left to yaml.
 */
function blockText(value: string, indent: string): string {
  if (CONTROL.test(value) || /^[\n\t ]/.test(value)) throw NOT_HERE;
  const clip = value.endsWith('\n');
  const body = clip ? value.slice(0, -1) : value;
  if (/[\n\t ]$/.test(body)) throw NOT_HERE;
  return `|${clip ? '' : '-'}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}`;
}

interface TagTest { readonly default?: unknown; readonly tag: string; readonly test?: RegExp }
let otherTypes: TagTest[] | undefined;

/** A plain scalar that YAML 1.1 reads as a number, a boolean, null, a timestamp... (yaml's own tag tests). */
function readsAsAnotherType(value: string): boolean {
  otherTypes ??= schemaTags().filter(t => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test);
  return otherTypes.some(t => t.test!.test(value));
}

/** The YAML 1.1 schema of the yaml copy that cdk8s writes with (its own, when it has one). */
function schemaTags(): TagTest[] {
  const yaml = require(require.resolve('yaml', { paths: [require.resolve('cdk8s')] }));
  const schema = new yaml.Document(null, { version: '1.1' }).schema;
  return [...schema.tags, ...(schema.compat ?? [])];
}
