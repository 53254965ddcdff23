import * as fs from 'fs';
import * as path from 'path';
import { CODE_LIST } from '../src/review/codes';

/**
 * An analyzer code may be called equivalent to an istioctl analyze code only with a test that runs Istio's own
 * analyzer inputs and finds exactly Istio's findings. None has one yet, so none claims it, in the code or the docs.
 */
test('no analyzer code claims an istioctl code as its equivalent', () => {
  for (const c of CODE_LIST) {
    for (const ist of c.equivalent.match(/IST\d{4}/g) ?? []) {
      expect(`${c.code}: ${c.equivalent}`).toMatch(new RegExp(`(not equivalent: [^;]*${ist}|${ist} (was )?removed|since ${ist} was removed)`));
    }
  }
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'analyzer.md'), 'utf8');
  for (const line of doc.split('\n').filter(l => /^\| SM\d{4} \|/.test(l) || l.startsWith('- *Equivalent*'))) {
    for (const ist of line.match(/IST\d{4}/g) ?? []) expect(line).toMatch(new RegExp(`(not equivalent: [^;|]*${ist}|${ist} removed|${ist} was removed)`));
  }
  expect(doc).toContain('**No code claims to be equivalent to an istioctl analyze code.**');
});
