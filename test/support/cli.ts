import { run } from '../../src/cli/soma-mesh';

/** Runs the soma-mesh command in process, returning its exit code and what it printed. */
export function cli(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = run(argv, { out: t => { out += t; }, err: t => { err += t; } });
  return { code, out, err };
}
