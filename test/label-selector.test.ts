import * as fs from 'fs';
import * as path from 'path';
import { LabelSelector } from '../src/review/label-selector';

/** Label selection, three-valued logic and regex escaping are written once in the review and shared by every mesh. */
const REVIEW = path.join(__dirname, '..', 'src', 'review');

function sources(dir: string): Array<[string, string]> {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? (e.name === 'schemas' ? [] : sources(path.join(dir, e.name)))
    : e.name.endsWith('.ts') ? [[path.relative(REVIEW, path.join(dir, e.name)), fs.readFileSync(path.join(dir, e.name), 'utf8')] as [string, string]] : []));
}

describe('written once', () => {
  const files = sources(REVIEW);
  const holding = (re: RegExp) => files.filter(([, text]) => re.test(text)).map(([file]) => file).sort();

  test('label selection (matchLabels, matchExpressions) lives in label-selector.ts alone', () => {
    expect(holding(/matchExpressions/)).toEqual(['label-selector.ts']);
    expect(holding(/\[k\] [!=]== v\b/)).toEqual(['label-selector.ts']);
  });

  test('the three-valued logic and the regex escaping have one definition each', () => {
    expect(holding(/type Tri =/)).toEqual(['three-valued.ts']);
    expect(holding(/function (and|or)\(a: Tri/)).toEqual(['three-valued.ts']);
    expect(holding(/'\\\\\$&'/)).toEqual([path.join('istio', 'string-match.ts')]);
  });
});

describe('LabelSelector', () => {
  const pod = { app: 'web', version: 'v1' };

  test('matchLabels and matchExpressions are ANDed; NotIn and DoesNotExist hold without the label', () => {
    expect(LabelSelector.selects({}, pod)).toBe(true);
    expect(LabelSelector.selects(undefined, pod)).toBe(false);
    expect(LabelSelector.selects({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['v1', 'v2'] }] }, pod)).toBe(true);
    expect(LabelSelector.selects({ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['v1'] }] }, pod)).toBe(false);
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, pod)).toBe(true);
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v1'] }] }, pod)).toBe(false);
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, pod)).toBe(true);
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, pod)).toBe(true);
  });

  test('a label is the pod\'s own, never an inherited property', () => {
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, pod)).toBe(false);
    expect(LabelSelector.selects({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, pod)).toBe(true);
  });

  test('a label map picks every pod when absent, else pods carrying every label', () => {
    expect(LabelSelector.matchesLabels(undefined, pod)).toBe(true);
    expect(LabelSelector.matchesLabels({}, pod)).toBe(true);
    expect(LabelSelector.matchesLabels({ app: 'web' }, pod)).toBe(true);
    expect(LabelSelector.matchesLabels({ app: 'web', version: 'v2' }, pod)).toBe(false);
  });
});
