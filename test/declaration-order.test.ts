import * as fs from 'fs';
import * as path from 'path';
import { Testing, Yaml } from 'cdk8s';
import { SOMA_CALLS } from '../app/calls';
import { SOMA_EXTERNAL_CALLS, SOMA_UNLISTED_EGRESS } from '../app/egress';
import { SOMA_PEERS } from '../app/infrastructure';
import { SOMA_LINKERD } from '../app/linkerd';
import { SOMA_SERVICES } from '../app/services';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { loadReleases, OUTDIR } from '../app/synth';
import { MeshTarget, MeshTargets } from '../src';
import { seededRandom } from './support/random';
import { REPO_ROOT } from './support/manifests';

/**
 * Renderers see the finished model, once: declaring SomaAgentHub's namespaces, services, peers, calls and egress in
 * another order renders the same objects, each byte for byte as committed. (cdk8s writes a chart's objects in the order
 * of its construct tree, which follows declaration; so the documents are compared by identity, not by position.)
 */
const SEED = Number(process.env.SOMA_ORDER_SEED ?? 7);
const declarations = [SOMA_SERVICES, SOMA_PEERS, SOMA_CALLS, SOMA_EXTERNAL_CALLS, SOMA_UNLISTED_EGRESS] as unknown as unknown[][];

/** Each document of a render, as written, by `apiVersion kind namespace/name`. */
function documents(yamlDocs: string[]): Map<string, string> {
  const byId = new Map<string, string>();
  for (const text of yamlDocs) {
    const id = /^apiVersion: (.*)$/m.exec(text)![1] + ' ' + /^kind: (.*)$/m.exec(text)![1] + ' '
      + (/^  namespace: (.*)$/m.exec(text)?.[1] ?? '') + '/' + /^  name: (.*)$/m.exec(text)![1];
    expect(byId.has(id)).toBe(false);
    byId.set(id, text);
  }
  return byId;
}

function committed(target: MeshTarget): Map<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, OUTDIR[target], 'soma-agent-hub.k8s.yaml'), 'utf8');
  return documents(text.split(/^---\n/m));
}

/** The hub rendered with every list of declarations shuffled (restored afterwards). */
function shuffledRender(target: MeshTarget, random: () => number): Map<string, string> {
  const saved = declarations.map(list => [...list]);
  try {
    for (const list of declarations) {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
    }
    expect(JSON.stringify(declarations)).not.toEqual(JSON.stringify(saved));
    const app = Testing.app();
    const hub = new SomaAgentHub(app, 'soma-agent-hub', {
      releases: loadReleases(path.join(REPO_ROOT, 'releases.json')),
      mesh: { renderer: MeshTargets.renderer(target, SOMA_LINKERD), warningSink: { warn: () => undefined } },
    });
    return documents(Testing.synth(hub).map(o => Yaml.stringify(o)));
  } finally {
    declarations.forEach((list, i) => list.splice(0, list.length, ...saved[i]));
  }
}

describe.each(Object.values(MeshTarget))('SomaAgentHub declared in another order, %s', target => {
  test('renders every committed object byte for byte, and no other', () => {
    const expected = committed(target);
    const actual = shuffledRender(target, seededRandom(SEED));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    const differing = [...expected.keys()].filter(id => actual.get(id) !== expected.get(id));
    expect(differing).toEqual([]);
  });
});
