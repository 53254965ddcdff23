import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Lazy } from 'cdk8s';
import { AppSynth } from '../src/renderers/app-synth';

/** An app of `ids.length` charts, each with one object and one validation that counts its runs. */
function charts(outdir: string, ids: string[], errors: string[] = []): { app: App; runs: number[] } {
  const app = new App({ outdir });
  const runs = ids.map(() => 0);
  ids.forEach((id, i) => {
    const chart = new Chart(app, id);
    new ApiObject(chart, 'cm', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-cm` },
      data: { rendered: Lazy.any({ produce: () => `${id}\nat synth\n` }), port: '8080', flag: 'yes', n: '*' },
    } as any);
    chart.node.addValidation({
      validate: () => {
        runs[i]++;
        return errors;
      },
    });
  });
  return { app, runs };
}

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'app-synth-'));
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map(f => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

function synthBoth(ids: string[], errors: string[] = []) {
  const [mine, theirs] = [scratch(), scratch()];
  const fast = charts(mine, ids, errors);
  const plain = charts(theirs, ids, errors);
  const outcome = (synth: () => void) => {
    try {
      synth();
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const result = {
    fast: { outcome: outcome(() => AppSynth.synth(fast.app)), files: files(mine), runs: fast.runs },
    plain: { outcome: outcome(() => plain.app.synth()), files: files(theirs), runs: plain.runs },
  };
  for (const dir of [mine, theirs]) fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

describe('AppSynth.synth', () => {
  test('one chart: the file app.synth() writes, each validation run once (cdk8s runs it again in Chart.toJson)', () => {
    const { fast, plain } = synthBoth(['a']);
    expect(fast.outcome).toBe('ok');
    expect(fast.files).toEqual(plain.files);
    expect(Object.keys(fast.files)).toEqual(['a.k8s.yaml']);
    expect(fast.runs).toEqual([1]);
    expect(plain.runs[0]).toBeGreaterThan(1);
  });

  test('several charts are synthesized by cdk8s itself: the same files', () => {
    const { fast, plain } = synthBoth(['a', 'b']);
    expect(fast.files).toEqual(plain.files);
    expect(Object.keys(fast.files)).toHaveLength(2);
  });

  test('a failed validation gives the error app.synth() gives, and writes nothing', () => {
    for (const ids of [['a'], ['a', 'b']]) {
      const { fast, plain } = synthBoth(ids, ['port 0 is not a port']);
      expect(plain.outcome).toContain('[a] port 0 is not a port');
      expect(fast.outcome).toBe(plain.outcome);
      expect(fast.files).toEqual({});
    }
  });
});
