import { Call } from './call';
import { IDEMPOTENT_METHODS } from './http-rules';
import { fail } from './names';
import type { IMeshWorkload } from './workload';

/** Everything derived from calls (policies, routes, scoping, diagrams) reads this one index. */
export class CallGraph {
  private readonly all: Call[] = [];
  private readonly byCallee = new Map<IMeshWorkload, Call[]>();
  private readonly byCaller = new Map<IMeshWorkload, Call[]>();
  private readonly keys = new Set<string>();
  private readonly idempotent = new Map<Call, boolean>();
  private readonly listeners: Array<(call: Call) => void> = [];

  /** Every call, in declaration order. */
  public get calls(): readonly Call[] {
    return this.all;
  }

  public callsTo(callee: IMeshWorkload): readonly Call[] {
    return this.byCallee.get(callee) ?? [];
  }

  public callsFrom(caller: IMeshWorkload): readonly Call[] {
    return this.byCaller.get(caller) ?? [];
  }

  /** Whether replaying a request of this call is harmless: declared, or else inferred from its methods. */
  public isIdempotent(call: Call): boolean {
    return this.idempotent.get(call) ?? (call.methods.length > 0 && call.methods.every(m => IDEMPOTENT_METHODS.has(m)));
  }

  /** Runs `listener` for every call already declared and every call declared later. */
  public onCall(listener: (call: Call) => void): void {
    this.listeners.push(listener);
    for (const call of this.all) listener(call);
  }

  /** @internal declared through `IMeshWorkload.allowFrom` */
  public add(call: Call, where: string, idempotent?: boolean): Call {
    const key = `${call.caller.node.path}|${call.callee.node.path}|${call.port}|${sorted(call.methods)}|${sorted(call.paths)}`;
    if (this.keys.has(key)) {
      fail(where, `the call from ${call.caller.name} to ${call.callee.name} on port ${call.port} is declared twice: remove one`);
    }
    this.keys.add(key);
    this.all.push(call);
    push(this.byCallee, call.callee, call);
    push(this.byCaller, call.caller, call);
    if (idempotent !== undefined) this.idempotent.set(call, idempotent);
    for (const listener of this.listeners) listener(call);
    return call;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The values joined in a canonical order; most calls name zero or one, which need no copy and no sort. */
function sorted(values: readonly string[]): string {
  return values.length < 2 ? values.join() : [...values].sort().join();
}
