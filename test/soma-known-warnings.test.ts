import { Testing } from 'cdk8s';
import { SomaWarnings } from '../app/known-warnings';
import { SOMA_LINKERD } from '../app/linkerd';
import { SomaAgentHub } from '../app/soma-agent-hub';
import { MeshTarget, MeshTargets } from '../src';

/** A first synth of SomaAgentHub shows news only: the hub's known limitations are counted, with their reasons in app/. */
function synthWith(target: MeshTarget, sink: { warn(message: string): void }): string[] {
  const printed: string[] = [];
  const spy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => { printed.push(args.join(' ')); });
  try {
    const app = Testing.app();
    new SomaAgentHub(app, 'soma-agent-hub', { mesh: { renderer: MeshTargets.renderer(target, SOMA_LINKERD), warningSink: sink } });
    app.synth();
  } finally {
    spy.mockRestore();
  }
  return printed;
}

test.each([[MeshTarget.ISTIO, 0], [MeshTarget.LINKERD, 11], [MeshTarget.ISTIO_AMBIENT, 9]] as const)('%s: nothing printed, %i known warnings counted', (target, known) => {
  const warnings = new SomaWarnings();
  expect(synthWith(target, warnings)).toEqual([]);
  expect(warnings.summary).toBe(known === 0 ? undefined : `${known} known warnings acknowledged (app/known-warnings.ts says why)`);
});

test('the same warnings reach any other sink: the acknowledgements are the hub\'s, not the library\'s', () => {
  const all: string[] = [];
  synthWith(MeshTarget.LINKERD, { warn: w => all.push(w) });
  expect(all).toHaveLength(11);
});

test('news is printed', () => {
  const warnings = new SomaWarnings();
  const printed: string[] = [];
  const spy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => { printed.push(args.join(' ')); });
  try {
    warnings.warn('[x] Linkerd: something new');
  } finally {
    spy.mockRestore();
  }
  expect(printed).toEqual(['warning: [x] Linkerd: something new']);
  expect(warnings.summary).toBeUndefined();
});
