import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import { KubeObject, PeerWorkload } from '../review/inventory';
import { formatPath, validateObjects } from '../review/object-validation';

/** A problem in the user's input: reported as `file:line: message`, never with a stack trace. */
export class InputError extends Error {}

/** The largest file read (a render of 3,000 services is about 22 MB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 50;

/** Objects read from YAML, with the file (and line) each came from. */
export interface LoadedObjects {
  readonly objects: KubeObject[];
  /** `file:line` of each object's document. */
  readonly sources: Map<KubeObject, string>;
}

interface Origin {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** Where the object sits in its document (`['items', 3]` inside a List). */
  readonly base: Array<string | number>;
}

/**
 * Reads every Kubernetes object from a YAML/JSON file, or from every `.yaml`/`.yml`/`.json` file under a folder (in
 * name order, like kubectl). Files that are not manifests (Helm values, package.json, data) are skipped with a notice;
 * FIFOs, devices, sockets, link loops, dangling links, unreadable and oversized files are refused naming the file;
 * every object is then checked (CRD schemas, the core fields the tools read) and any problem refuses the input.
 */
export function loadObjects(target: string, notice: (text: string) => void = () => undefined): LoadedObjects {
  const files: string[] = [];
  collect(target, files, new Set());
  const objects: KubeObject[] = [];
  const sources = new Map<KubeObject, string>();
  const problems: string[] = [];
  let count = 0;
  for (const file of files) {
    const parsed = parseFile(file);
    if (parsed.skipped) { notice(`${file}: skipped: ${parsed.skipped}`); continue; }
    // Each file's objects are checked while its syntax tree is at hand (for lines), then the tree is dropped.
    const origins = new Map<KubeObject, Origin>();
    for (const { object, origin } of parsed.objects) {
      objects.push(object);
      origins.set(object, origin);
      sources.set(object, `${file}:${lineOf(origin, [])}`);
    }
    for (const p of validateObjects([...origins.keys()])) {
      count++;
      if (problems.length < MAX_PROBLEMS) problems.push(`${file}:${lineOf(origins.get(p.object)!, p.path)}: ${describeObject(p.object)}: ${formatPath(p.path) || '(object)'}: ${p.message}`);
    }
  }
  if (objects.length === 0 && count === 0) throw new InputError(`${target}: no Kubernetes objects found`);
  if (count > 0) {
    if (count > MAX_PROBLEMS) problems.push(`... and ${count - MAX_PROBLEMS} more problems`);
    const one = count === 1;
    throw new InputError(`${problems.join('\n')}\n${one ? 'this object is' : 'these objects are'} invalid: the API server would refuse ${one ? 'it' : 'them'}; fix ${one ? 'it' : 'them'} and run again`);
  }
  return { objects, sources };
}

function describeObject(o: KubeObject): string {
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)';
  return `${typeof o.kind === 'string' ? o.kind : '(no kind)'} ${ns}${name}`;
}

function lineOf(o: Origin, fieldPath: ReadonlyArray<string | number>): number {
  // A named field: the line of its key (a value may start on the next line).
  const last = fieldPath[fieldPath.length - 1];
  if (typeof last === 'string') {
    const parent: any = o.doc.getIn([...o.base, ...fieldPath.slice(0, -1)], true);
    const pair = parent?.items?.find((p: any) => p?.key?.value === last || p?.key === last);
    if (pair?.key?.range) return o.lines.linePos(pair.key.range[0]).line;
  }
  for (let n = fieldPath.length; n >= 0; n--) {
    const node: any = o.doc.getIn([...o.base, ...fieldPath.slice(0, n)], true);
    const range = node?.range ?? (n === 0 && o.base.length === 0 ? o.doc.contents?.range : undefined);
    if (range) return o.lines.linePos(range[0]).line;
  }
  return 1;
}

const KIND_OF_FILE: Array<[(s: fs.Stats) => boolean, string]> = [
  [s => s.isFIFO(), 'a FIFO (named pipe)'], [s => s.isSocket(), 'a socket'],
  [s => s.isCharacterDevice(), 'a character device'], [s => s.isBlockDevice(), 'a block device'],
];

/** Lists the manifest files under a path, refusing what is not a regular file or folder. */
function collect(file: string, out: string[], seen: Set<string>): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch (error) {
    throw new InputError(`${file}: ${fileError(error, file)}`);
  }
  if (stats.isDirectory()) {
    const real = fs.realpathSync(file);
    if (seen.has(real)) throw new InputError(`${file}: a link loop (this folder contains itself)`);
    seen.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(file, { withFileTypes: true });
    } catch (error) {
      throw new InputError(`${file}: ${fileError(error, file)}`);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(file, entry.name);
      const manifestName = /\.(ya?ml|json)$/.test(entry.name);
      // Folders, links (to a folder, or broken: refused by name) and manifest-named files; other files are not ours.
      if (entry.isDirectory() || manifestName || (entry.isSymbolicLink() && linkTargetMatters(full))) collect(full, out, seen);
    }
    seen.delete(real);
    return;
  }
  for (const [test, what] of KIND_OF_FILE) if (test(stats)) throw new InputError(`${file}: ${what}, not a file: refused`);
  if (!stats.isFile()) throw new InputError(`${file}: not a regular file: refused`);
  if (stats.size > MAX_FILE_BYTES) throw new InputError(`${file}: ${mb(stats.size)} is over the ${mb(MAX_FILE_BYTES)} limit for one file`);
  out.push(file);
}

/** A link without a manifest name matters when it leads to a folder, or nowhere (a loop or a dangling link is refused). */
function linkTargetMatters(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return true;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileError(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return isLink(file) ? 'a link to nothing (dangling symbolic link)' : 'no such file or directory';
    case 'ELOOP': return 'a link loop (symbolic links that point at each other)';
    case 'EACCES': case 'EPERM': return 'cannot be read: permission denied';
    case 'ENOTDIR': return 'no such file or directory';
    case 'EISDIR': return 'is a folder';
    default: return `cannot be read (${code ?? (error as Error).message})`;
  }
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Reads a file without blocking (a FIFO swapped in after the check cannot hang the command) and within the limit. */
function readText(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new InputError(`${file}: not a regular file: refused`);
    if (stats.size > MAX_FILE_BYTES) throw new InputError(`${file}: ${mb(stats.size)} is over the ${mb(MAX_FILE_BYTES)} limit for one file`);
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < stats.size) {
      const n = fs.readSync(fd, buffer, read, stats.size - read, read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read).toString('utf8');
    if (text.includes('\u0000')) throw new InputError(`${file}: a binary file (it holds NUL bytes), not YAML or JSON`);
    return text;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: ${fileError(error, file)}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const NOT_MANIFEST_KINDS = new Set(['Kustomization', 'Component']);

function parseFile(file: string): { objects: Array<{ object: KubeObject; origin: Origin }>; skipped?: string } {
  const text = readText(file);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const result: Array<{ object: KubeObject; origin: Origin }> = [];
  let notManifest: string | undefined;
  let notManifestLine = 0;
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
      throw new InputError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${error.message.split('\n')[0]}`);
    }
    const line = doc.contents ? lines.linePos(doc.contents.range[0]).line : 1;
    let value: any;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const message = (e as Error).message;
      if (/alias/i.test(message)) throw new InputError(`${file}:${line}: too many YAML aliases (a document that expands like a "billion laughs" attack): refused`);
      throw new InputError(`${file}:${line}: cannot read this document: ${message.split('\n')[0]}`);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value) || value.kind === undefined) {
      notManifest = Array.isArray(value) ? 'a list, not a Kubernetes object' : typeof value !== 'object' ? 'a scalar, not a Kubernetes object' : 'no "kind": not a Kubernetes manifest';
      notManifestLine = notManifestLine || line;
      continue;
    }
    if (typeof value.kind === 'string' && NOT_MANIFEST_KINDS.has(value.kind) && String(value.apiVersion ?? '').startsWith('kustomize.config.k8s.io/')) {
      notManifest = `a kustomize ${value.kind}, not a manifest (run kustomize build first)`;
      continue;
    }
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item: unknown, i: number) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          const node: any = doc.getIn(['items', i], true);
          const at = node?.range ? lines.linePos(node.range[0]).line : line;
          const shown = JSON.stringify(item) ?? String(item);
          throw new InputError(`${file}:${at}: items[${i}]: not an object (${shown}): each item of a ${value.kind} is a Kubernetes object`);
        }
        result.push({ object: item as KubeObject, origin: { file, doc, lines, base: ['items', i] } });
      });
      continue;
    }
    result.push({ object: value, origin: { file, doc, lines, base: [] } });
  }
  if (result.length === 0 && notManifest) return { objects: [], skipped: notManifest };
  // A manifest with a stray document is a broken manifest, not a file to skip.
  if (notManifest) throw new InputError(`${file}:${notManifestLine}: this document is not a Kubernetes object (${notManifest.split(':')[0]}) in a file of Kubernetes objects`);
  return { objects: result };
}

/**
 * Reads peers (workloads deployed by other charts) from JSON or YAML: a list, `{ peers: [...] }`,
 * or a call-graph file whose `infra` lists them (`name`, `namespace`, `selector`, `serviceAccount`, `ports`).
 */
export function loadPeers(file: string): PeerWorkload[] {
  const files: string[] = [];
  collect(file, files, new Set());
  if (files.length !== 1 || files[0] !== file) throw new InputError(`${file}: --peers takes a file, not a folder`);
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(readText(file), { lineCounter });
  const doc = Array.isArray(parsed) ? parsed[0] : undefined;
  const error = doc?.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    throw new InputError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${error.message.split('\n')[0]}`);
  }
  let data: any;
  try {
    data = doc?.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as Error).message.split('\n')[0]}`);
  }
  const list: any[] | undefined = Array.isArray(data) ? data : data?.peers ?? data?.infra;
  if (!Array.isArray(list)) throw new InputError(`${file}: expected a list of peers, { "peers": [...] } or { "infra": [...] }`);
  return list.map((p, i) => {
    const where = `${file}: peer #${i + 1}${typeof p?.name === 'string' ? ` (${p.name})` : ''}`;
    for (const field of ['name', 'namespace', 'serviceAccount']) {
      if (typeof p?.[field] !== 'string' || !p[field]) throw new InputError(`${where} needs a string "${field}"`);
    }
    if (!p.selector || typeof p.selector !== 'object' || Array.isArray(p.selector) || Object.values(p.selector).some(v => typeof v !== 'string')) {
      throw new InputError(`${where} needs "selector": the labels of its pods, a map of strings`);
    }
    const ports = p.ports ?? [];
    if (!Array.isArray(ports) || ports.some((x: any) => !Number.isInteger(x?.port) || x.port < 1 || x.port > 65535 || (x.protocol !== undefined && typeof x.protocol !== 'string'))) {
      throw new InputError(`${where} has "ports" that are not a list of { port, protocol }`);
    }
    return { name: p.name, namespace: p.namespace, selector: p.selector, serviceAccount: p.serviceAccount, ports };
  });
}
