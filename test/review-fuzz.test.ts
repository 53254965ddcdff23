import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { run } from '../src/cli/soma-mesh';
import { destinationRule, policy, shop, virtualService } from './support/fixtures';
import { readManifests, DIST } from './support/manifests';
import { seededRandom } from './support/random';

/**
 * No input reaches a failure the command cannot explain: objects of SomaAgentHub's render and of a hand-written
 * namespace, with one field at a time replaced by a value of another type (or removed, or a field added), give
 * exit 0, 1 or 2, never 3. SOMA_FUZZ_CASES sets the number of mutations (default 40; the report used 300).
 */

const CASES = Number(process.env.SOMA_FUZZ_CASES ?? 40);
const VALUES: unknown[] = [7, -1, 65536, 'x', '8080', '', [], [1], ['a'], {}, { a: 1 }, null, true, 1.5, [{}], [[]], { matchLabels: 1 }];

const prng = seededRandom;

function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

test(`${CASES} mutated inputs: every one ends in exit 0, 1 or 2 with a message, never an unexplained failure`, () => {
  const random = prng(Number(process.env.SOMA_FUZZ_SEED ?? 12));
  const base = [
    ...shop(),
    destinationRule('shop', 'web', { host: 'web', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
    virtualService('shop', 'web', { hosts: ['web'], http: [{ match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'web', subset: 'v1' } }], mirror: { host: 'db' } }] }),
    policy('shop', 'deny', { action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['shop'] } }], to: [{ operation: { methods: ['DELETE'] } }], when: [{ key: 'request.headers[x]', values: ['1'] }] }] }),
    ...readManifests(DIST).filter(o => ['AuthorizationPolicy', 'Sidecar', 'ServiceEntry', 'PeerAuthentication', 'Service', 'Deployment'].includes(o.kind)).slice(0, 40),
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-fuzz-'));
  const before = path.join(dir, 'before');
  fs.mkdirSync(before);
  fs.writeFileSync(path.join(before, 'a.yaml'), base.map(o => stringify(o)).join('---\n'));
  const failures: string[] = [];
  try {
    for (let i = 0; i < CASES; i++) {
      const objects = structuredClone(base) as any[];
      const target = objects[Math.floor(random() * objects.length)];
      const all = paths(target).filter(p => p.length > 0);
      const at = all[Math.floor(random() * all.length)];
      const parent = at.slice(0, -1).reduce((o: any, k) => o[k], target);
      const key = at[at.length - 1];
      const roll = random();
      if (roll < 0.15 && !Array.isArray(parent)) delete parent[key];
      else if (roll < 0.25 && parent && typeof parent === 'object' && !Array.isArray(parent)) parent[`extra${i}`] = VALUES[Math.floor(random() * VALUES.length)];
      else parent[key] = structuredClone(VALUES[Math.floor(random() * VALUES.length)]);
      const after = path.join(dir, `case${i}`);
      fs.mkdirSync(after);
      fs.writeFileSync(path.join(after, 'a.yaml'), objects.map(o => stringify(o)).join('---\n'));
      for (const argv of [['check', after], ['matrix', after], ['diff', before, after], ['graph', after]]) {
        let err = '';
        const code = run(argv, { out: () => undefined, err: t => { err += t; } });
        if (code === 3 || (code === 2 && !err.startsWith('soma-mesh: '))) failures.push(`${argv[0]} ${at.join('.')} -> ${JSON.stringify(at.reduce((o: any, k) => o?.[k], target))}: ${code} ${err}`);
      }
      fs.rmSync(after, { recursive: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(failures.slice(0, 10)).toEqual([]);
});
