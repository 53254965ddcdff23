import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as read back from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [key: string]: any;
}

/** Every document of every YAML file in `dir`, in the order `kubectl apply -f dir` reads them. */
export function readManifests(dir: string): K8sObject[] {
  const files = fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f)).sort();
  return files.flatMap(f => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))
    .map(doc => doc.toJSON())
    .filter((o): o is K8sObject => o !== null && typeof o === 'object'));
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter(o => o.kind === kind);
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
export const DIST = path.join(REPO_ROOT, 'dist');

/** The reference call graph the SomaAgentHub render must equal. */
export function referenceCallGraph(): any {
  return JSON.parse(fs.readFileSync(path.join(SHARED, 'reference', 'call-graph.json'), 'utf8'));
}

/** Asserts that two folders hold the same files with the same bytes (a committed render and a fresh one). */
export function expectSameFiles(committed: string, fresh: string): void {
  const files = (dir: string) => fs.readdirSync(dir).sort();
  expect(files(committed)).toEqual(files(fresh));
  for (const f of files(fresh)) {
    expect(fs.readFileSync(path.join(committed, f), 'utf8')).toEqual(fs.readFileSync(path.join(fresh, f), 'utf8'));
  }
}
