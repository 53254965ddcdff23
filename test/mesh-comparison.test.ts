import * as fs from 'fs';
import * as path from 'path';
import { COMPARISON_DOC, compareMeshes } from '../bench/compare-meshes';
import { DIST, REPO_ROOT } from './support/manifests';

describe('docs/comparison.md: the two renders compared', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, COMPARISON_DOC), 'utf8');
  const DIST_LINKERD = path.join(REPO_ROOT, 'dist-linkerd');

  test('it is what bench/compare-meshes.ts generates from dist/ and dist-linkerd/ now (`npm run compare`)', () => {
    expect(doc).toBe(compareMeshes(DIST, DIST_LINKERD));
  });

  test('the object counts in it are the renders\' own', () => {
    const count = (dir: string) => fs.readFileSync(path.join(dir, 'soma-agent-hub.k8s.yaml'), 'utf8').split(/^---$/m).filter(d => d.trim()).length;
    const total = /\| \*\*total\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|/.exec(doc)!;
    expect([Number(total[1]), Number(total[2])]).toEqual([count(DIST), count(DIST_LINKERD)]);
  });

  test('it names what surrounds the calls in each render, read from the YAML', () => {
    expect(doc).toMatch(/\| Egress \| 3 ServiceEntry .* \| 1 EgressNetwork \(soma-agent-hub: Deny\); 3 TLSRoutes/);
    expect(doc).toMatch(/\| Public edge \| .* \| Gateway \(gateway\.networking\.k8s\.io, class `traefik`\) in `traefik` for api\.somaagent\.example; only `traefik\/traefik` admitted from the edge \|/);
    expect(doc).toMatch(/\| Kubelet probes \| .* GET-only probe routes, from `10\.0\.0\.0\/16`, `10\.244\.0\.0\/16` \|/);
  });
});
