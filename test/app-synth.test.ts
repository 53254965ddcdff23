import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Lazy } from 'cdk8s';
import { Node } from 'constructs';
import { AppSynth } from '../src/renderers/app-synth';

/** An app of two charts, each with one object and one validation that counts its runs. */
function twoCharts(outdir: string, errors: string[] = []): { app: App; runs: number[] } {
  const app = new App({ outdir });
  const runs = [0, 0];
  ['a', 'b'].forEach((id, i) => {
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

describe('AppSynth.synth', () => {
  test('writes the files app.synth() writes, running each validation once (cdk8s runs it again per chart)', () => {
    const [mine, theirs] = [scratch(), scratch()];
    try {
      const fast = twoCharts(mine);
      AppSynth.synth(fast.app);
      const plain = twoCharts(theirs);
      plain.app.synth();
      expect(files(mine)).toEqual(files(theirs));
      expect(Object.keys(files(mine))).toHaveLength(2);
      expect(fast.runs).toEqual([1, 1]);
      expect(plain.runs[0]).toBeGreaterThan(1); // what the memo saves: cdk8s validates again in each Chart.toJson
    } finally {
      for (const dir of [mine, theirs]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails with the error app.synth() gives, writes nothing, and puts cdk8s\'s validation back', () => {
    const [mine, theirs] = [scratch(), scratch()];
    const validate = Node.prototype.validate;
    try {
      const expected = (() => {
        try {
          twoCharts(theirs, ['port 0 is not a port']).app.synth();
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })();
      expect(expected).toContain('[b] port 0 is not a port');
      expect(() => AppSynth.synth(twoCharts(mine, ['port 0 is not a port']).app)).toThrow(expected);
      expect(fs.readdirSync(mine)).toEqual([]);
      expect(Node.prototype.validate).toBe(validate);
    } finally {
      for (const dir of [mine, theirs]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
