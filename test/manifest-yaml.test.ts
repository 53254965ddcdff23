import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { ManifestYaml } from '../src/renderers/manifest-yaml';
import { REPO_ROOT } from './support/manifests';

/**
 * Synth writes manifests through ManifestYaml instead of yaml's syntax tree; the text must be exactly what cdk8s's
 * `Yaml.stringify` (the oracle) writes, for the committed renders and for any JSON document.
 */

const RUNS = Number(process.env.MANIFEST_YAML_RUNS ?? 300);

/** `ManifestYaml.stringify`, counting the documents it hands to yaml. */
function written(docs: unknown[]): { text: string; handedOver: number } {
  let handedOver = 0;
  const text = ManifestYaml.stringify(docs, (...d: unknown[]) => {
    handedOver += d.length;
    return Yaml.stringify(...d);
  });
  return { text, handedOver };
}

describe('the committed renders', () => {
  const folders = fs.readdirSync(REPO_ROOT).filter(d => /^dist(-|$)/.test(d)).sort();

  test.each(folders)('%s is written byte for byte, nearly all of it without yaml', folder => {
    for (const file of fs.readdirSync(path.join(REPO_ROOT, folder)).filter(f => f.endsWith('.yaml'))) {
      const text = fs.readFileSync(path.join(REPO_ROOT, folder, file), 'utf8');
      const docs = parseAllDocuments(text).map(d => d.toJSON());
      const out = written(docs);
      expect(out.text).toBe(text);
      expect(out.text).toBe(Yaml.stringify(...docs));
      expect(out.handedOver).toBeLessThan(docs.length / 10);
    }
  });
});

// Strings YAML 1.1 reads as something else, or that need quotes, escapes or a block.
const TRICKY = [
  '', ' ', 'a b', ' lead', 'trail ', 'yes', 'No', 'ON', 'off', 'y', 'N', 'true', 'False', '~', 'null', 'Null', '<<',
  '=', '0', '010', '0x1F', '0b101', '0o17', '1_000', '+1', '-1', '1e3', '.5', '1.', '.inf', '-.Inf', '.NaN',
  '12:30', '1:20:30', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '1.2.3', '10s', '8080', '-', '?', '- a', '? a',
  ':', 'a:', 'a: b', 'a:b', 'http://x:80/y', '#', 'a #b', 'a#b', '*', '*.example.com', '&a', '!tag', '%x', '@x',
  '`x', "'", "it's", '"', 'say "hi"', `both ' and "`, '[a]', '{a}', 'a,b', '|', '>', 'a\nb', 'a\n', '\nb', ' a\nb',
  'a \nb', 'a\n\n', 'tab\there', 'ctl\u0001', 'nul\u0000', 'del\u007f', 'é', '日本', '\u2028', '😀', '\ud800',
  'a\nb\n', 'a\n\nb', 'a\n  b', 'a\n\n\nb\n', '{\n  "a": 1\n}\n', 'k: v\n- x\n', 'a\n---\nb\n', 'a\tb\nc', 'a\n \nb',
  '---', '--- a', '...', 'a\n---\nb', 'x'.repeat(1100), 'cluster.local/ns/a/sa/b', 'app.kubernetes.io/name',
];

const scalar = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constantFrom(0.5, -0, 1e21, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const key = fc.oneof(
  fc.constantFrom(...TRICKY), fc.string({ maxLength: 8 }), fc.constantFrom('name', 'spec', 'metadata'),
);
const { doc } = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
  doc: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 6 }),
}));

describe('any JSON document', () => {
  test('is written exactly as cdk8s writes it', () => {
    fc.assert(fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), docs => {
      expect(written(docs).text).toBe(Yaml.stringify(...docs));
    }), { numRuns: RUNS });
  });

  test('an object met twice, maps of nulls, top-level lists and scalars, undefined documents: exactly as cdk8s', () => {
    const shared = { a: 1 };
    const cases: unknown[][] = [
      [{ x: shared, y: shared }], [{ x: [shared], y: { z: shared } }], [{ a: null, b: null }], [{ a: { b: null } }],
      [[1, 2]], ['text'], [7], [undefined], [{ a: 1 }, undefined, { b: 2 }], [{}],
      [{ a: [], b: {}, c: [[]], d: [{}] }], [{ a: [[1, [2, 3]], { b: [4] }] }],
      [{ '<<': '' }], [{ a: '<<' }], [{ a: ['<<'] }], [{ 'a': undefined, 'b': 1 }], [{ 10: 'n', b: 1, 2: 'm' }],
    ];
    for (const docs of cases) expect(written(docs).text).toBe(Yaml.stringify(...docs));
  });
});
