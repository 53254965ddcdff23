import * as fs from 'fs';
import * as path from 'path';
import { compareMeshes, END, START } from '../bench/compare-meshes';
import { DIST, REPO_ROOT } from './support/manifests';

describe('the comparison of the three renders (docs/comparison.md)', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'comparison.md'), 'utf8');

  test('the section is what bench/compare-meshes.ts generates from dist/, dist-linkerd/ and dist-ambient/ now', () => {
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + END.length)).toBe(compareMeshes(DIST, path.join(REPO_ROOT, 'dist-linkerd'), path.join(REPO_ROOT, 'dist-ambient')));
  });

  test('the object counts in it are the renders\' own', () => {
    const count = (dir: string) => fs.readFileSync(path.join(dir, 'soma-agent-hub.k8s.yaml'), 'utf8').split(/^---$/m).filter(d => d.trim()).length;
    const total = /\| \*\*total\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|/.exec(readme)!;
    expect([Number(total[1]), Number(total[2]), Number(total[3])]).toEqual([count(DIST), count(path.join(REPO_ROOT, 'dist-linkerd')), count(path.join(REPO_ROOT, 'dist-ambient'))]);
  });
});
