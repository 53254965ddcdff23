import { AnalyzerCode, Severity } from './codes';
import type { Inventory, KubeObject } from './inventory';

/** One problem found in one object. */
export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  /** The object at fault (a `KubeObject`: plain JSON). */
  readonly object: any;
  /** What is wrong, naming the object's field and values. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Why the warning is intended, when it was acknowledged (errors never are). */
  readonly acknowledged?: string;
}

/** Records a finding; `fix` defaults to the code's general fix. */
export type Report = (code: AnalyzerCode, object: KubeObject, message: string, fix?: string) => void;

/** A check: a pure function of the objects. */
export type Check = (inventory: Inventory, report: Report) => void;

export function makeFinding(code: AnalyzerCode, object: KubeObject, message: string, fix?: string): Finding {
  return { code: code.code, severity: code.severity, object, message, fix: fix ?? code.fix };
}
