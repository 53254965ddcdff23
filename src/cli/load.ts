import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { KubeObject, PeerWorkload } from '../review/inventory';

/** A problem in the user's input: reported as `file:line:col: message`, never with a stack trace. */
export class InputError extends Error {}

/** Objects read from YAML, with the file (and line) each came from. */
export interface LoadedObjects {
  readonly objects: KubeObject[];
  readonly sources: Map<KubeObject, string>;
}

/** Reads every Kubernetes object from a YAML/JSON file, or from every such file under a directory (sorted, like kubectl). */
export function loadObjects(target: string): LoadedObjects {
  if (!fs.existsSync(target)) throw new InputError(`${target}: no such file or directory`);
  const files = fs.statSync(target).isDirectory() ? manifestFiles(target) : [target];
  const objects: KubeObject[] = [];
  const sources = new Map<KubeObject, string>();
  for (const file of files) {
    for (const { object, line } of parseFile(file)) {
      objects.push(object);
      sources.set(object, `${file}:${line}`);
    }
  }
  return { objects, sources };
}

function manifestFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap(entry => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name.startsWith('.') ? [] : manifestFiles(full);
      return /\.(ya?ml|json)$/.test(entry.name) ? [full] : [];
    });
}

function parseFile(file: string): Array<{ object: KubeObject; line: number }> {
  const text = fs.readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const result: Array<{ object: KubeObject; line: number }> = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      throw new InputError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${error.message.split('\n')[0]}`);
    }
    const value = doc.toJSON();
    const line = doc.contents ? lineCounter.linePos(doc.contents.range[0]).line : 1;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value) || typeof value.kind !== 'string') {
      throw new InputError(`${file}:${line}: this document is not a Kubernetes object (it has no "kind")`);
    }
    const items = value.kind.endsWith('List') && Array.isArray(value.items) ? value.items : [value];
    for (const item of items) result.push({ object: item, line });
  }
  return result;
}

/**
 * Reads peers (workloads deployed by other charts) from JSON or YAML: a list, `{ peers: [...] }`,
 * or a call-graph file whose `infra` lists them (`name`, `namespace`, `selector`, `serviceAccount`, `ports`).
 */
export function loadPeers(file: string): PeerWorkload[] {
  if (!fs.existsSync(file)) throw new InputError(`${file}: no such file`);
  let data: any;
  try {
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(fs.readFileSync(file, 'utf8'), { lineCounter });
    const doc = Array.isArray(parsed) ? parsed[0] : undefined;
    const error = doc?.errors[0];
    if (error) {
      const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      throw new InputError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${error.message.split('\n')[0]}`);
    }
    data = doc?.toJSON();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  const list: any[] | undefined = Array.isArray(data) ? data : data?.peers ?? data?.infra;
  if (!Array.isArray(list)) throw new InputError(`${file}: expected a list of peers, { "peers": [...] } or { "infra": [...] }`);
  return list.map((p, i) => {
    const where = `${file}: peer #${i + 1}${p?.name ? ` (${p.name})` : ''}`;
    for (const field of ['name', 'namespace', 'serviceAccount']) {
      if (typeof p?.[field] !== 'string' || !p[field]) throw new InputError(`${where} needs a string "${field}"`);
    }
    if (!p.selector || typeof p.selector !== 'object') throw new InputError(`${where} needs "selector": the labels of its pods`);
    const ports = p.ports ?? [];
    if (!Array.isArray(ports) || ports.some((x: any) => !Number.isInteger(x?.port))) {
      throw new InputError(`${where} has "ports" that are not a list of { port, protocol }`);
    }
    return { name: p.name, namespace: p.namespace, selector: p.selector, serviceAccount: p.serviceAccount, ports };
  });
}
