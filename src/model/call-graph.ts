import { Call } from './call';
import type { ExternalCall, ExternalHost, UnlistedEgress } from './external-host';
import { allIdempotent } from '../http/methods';
import { fail } from './validation';
import { checkCaller, isConstruct } from './declaration-checks';
import { PropsCheck } from './props-check';
import type { IMeshWorkload } from './workload';

/** Why a workload may reach hosts that are not listed, and on which ports. */
export interface UnlistedEgressOptions {
  /** Why: shown in reviews and kept on the workload. */
  readonly reason: string;
  /**
   * The ports it may reach any host on.
   * @default - any port
   */
  readonly ports?: number[];
}

/** One edge of the call graph as plain data, for pictures and reports. */
export interface CallGraphEdge {
  /** The caller, `namespace/name`. */
  readonly from: string;
  /** The callee, `namespace/name`, an external host, or `*` (any host) for unlisted egress. */
  readonly to: string;
  /** The port called. */
  readonly port: number;
  /** The methods allowed; empty means any. */
  readonly methods: string[];
}

/** Everything derived from calls (policies, routes, scoping, diagrams) reads this one index. */
export class CallGraph {
  private readonly all: Call[] = [];
  private readonly byCallee = new Map<IMeshWorkload, Call[]>();
  private readonly byCaller = new Map<IMeshWorkload, Call[]>();
  private readonly keys = new Set<string>();
  private readonly idempotent = new Map<Call, boolean>();
  private readonly external: ExternalCall[] = [];
  private readonly externalByCaller = new Map<IMeshWorkload, ExternalCall[]>();
  private readonly externalByHost = new Map<ExternalHost, ExternalCall[]>();
  private readonly unlisted = new Map<IMeshWorkload, UnlistedEgress>();
  private closed = false;

  /**
   * Every edge as plain data, for pictures and reports: calls, then external hosts, then unlisted egress
   * (whose `to` is `*`, any host). Workloads are written `namespace/name`.
   */
  public edges(): CallGraphEdge[] {
    const id = (w: IMeshWorkload) => `${w.namespace.name}/${w.name}`;
    const calls = this.all.map(c => ({ from: id(c.caller), to: id(c.callee), port: c.port, methods: c.methods }));
    const external = this.external.map(c => ({ from: id(c.caller), to: c.host.host, port: c.host.port, methods: [] }));
    const unlisted = [...this.unlisted.values()].flatMap(g => g.ports.map(port => ({ from: id(g.caller), to: '*', port, methods: [] })));
    return [...calls, ...external, ...unlisted];
  }

  /** Every call, in declaration order. */
  public get calls(): Call[] {
    return this.all;
  }

  public callsTo(callee: IMeshWorkload): Call[] {
    return this.byCallee.get(callee) ?? [];
  }

  public callsFrom(caller: IMeshWorkload): Call[] {
    return this.byCaller.get(caller) ?? [];
  }

  /** Whether replaying a request of this call is harmless: declared, or else inferred from its methods. */
  public isIdempotent(call: Call): boolean {
    return this.idempotent.get(call) ?? allIdempotent(call.methods);
  }

  /** Whether the call was declared idempotent (true), declared not idempotent (false), or left to its methods (undefined). */
  public declaredIdempotent(call: Call): boolean | undefined {
    return this.idempotent.get(call);
  }

  /** Every call to a host outside the mesh, in declaration order. */
  public get externalCalls(): ExternalCall[] {
    return this.external;
  }

  public externalCallsFrom(caller: IMeshWorkload): ExternalCall[] {
    return this.externalByCaller.get(caller) ?? [];
  }

  public externalCallsTo(host: ExternalHost): ExternalCall[] {
    return this.externalByHost.get(host) ?? [];
  }

  /** Every grant of unlisted egress, in declaration order. */
  public get unlistedEgress(): UnlistedEgress[] {
    return [...this.unlisted.values()];
  }

  /** The one kind of egress that is not a list of hosts: set for a workload that calls user-supplied URLs. */
  public unlistedEgressOf(caller: IMeshWorkload): UnlistedEgress | undefined {
    return this.unlisted.get(caller);
  }

  /**
   * Lets `caller` reach destinations that cannot be listed (its outbound policy becomes ALLOW_ANY).
   * An exception to the registry-only default, so it must say why.
   */
  public allowUnlistedEgress(caller: IMeshWorkload, options: UnlistedEgressOptions): UnlistedEgress {
    const at = new PropsCheck(isConstruct(caller) ? caller.node.path : 'allowUnlistedEgress');
    checkCaller(at, caller);
    const o = at.object<{ reason: string; ports?: number[] }>('options', options, '{ reason: "calls URLs its users supply", ports: [443] }');
    at.knownKeys('options', o, 'UnlistedEgressOptions');
    at.string('options.reason', o.reason, '"calls URLs its users supply"', false, true);
    at.array('options.ports', o.ports, '[443]', (p, item) => at.integer(item, p, 1, 65535, false));
    at.declaredTypes('options', o, 'UnlistedEgressOptions');
    const where = caller.node.path;
    if (!options.reason || options.reason.trim().length < 10) {
      fail(where, 'unlisted egress needs a reason: say why its destinations cannot be declared as ExternalHosts');
    }
    if (!caller.deployed) fail(where, `${caller.name} is deployed by another chart, whose proxy this mesh does not render: open its egress in that chart`);
    if (this.unlisted.has(caller)) fail(where, `unlisted egress of ${caller.name} is declared twice: declare it once`);
    this.checkOpen(where);
    const grant = { caller, reason: options.reason.trim(), ports: [...new Set(options.ports ?? [443])] };
    this.unlisted.set(caller, grant);
    return grant;
  }

  /**
   * Refuses every later declaration: the mesh has been rendered.
   * @internal
   */
  public _close(): void {
    this.closed = true;
    // Every reader (renderers, discovery variables) then sees one order, whatever the order of declaration.
    const call = (c: Call) => [key(c.callee), key(c.caller), String(c.port).padStart(5, '0'), sorted(c.methods), sorted(c.paths)]
      .join('|');
    const external = (c: ExternalCall) => `${key(c.caller)}|${c.host.host}|${c.host.port}`;
    sortBy(this.all, call);
    for (const list of this.byCallee.values()) sortBy(list, call);
    for (const list of this.byCaller.values()) sortBy(list, call);
    sortBy(this.external, external);
    for (const list of this.externalByCaller.values()) sortBy(list, external);
    for (const list of this.externalByHost.values()) sortBy(list, external);
    const grants = [...this.unlisted.values()];
    sortBy(grants, g => key(g.caller));
    this.unlisted.clear();
    for (const grant of grants) this.unlisted.set(grant.caller, grant);
  }

  /**
   * @internal declared through `ExternalHost.allowFrom`
   * @jsii ignore
   */
  public addExternal(call: ExternalCall, where: string): ExternalCall {
    this.checkOpen(where);
    if (this.externalCallsFrom(call.caller).some(c => c.host === call.host)) {
      fail(where, `${call.caller.name} is allowed to reach ${call.host.host} twice: remove one`);
    }
    this.external.push(call);
    push(this.externalByCaller, call.caller, call);
    push(this.externalByHost, call.host, call);
    return call;
  }

  /**
   * @internal declared through `IMeshWorkload.allowFrom`
   * @jsii ignore
   */
  public add(call: Call, where: string, idempotent?: boolean): Call {
    this.checkOpen(where);
    const key = `${call.caller.node.path}|${call.callee.node.path}|${call.port}|${sorted(call.methods)}|${sorted(call.paths)}`;
    if (this.keys.has(key)) {
      fail(where, `the call from ${call.caller.name} to ${call.callee.name} on port ${call.port} is declared twice: remove one`);
    }
    this.keys.add(key);
    this.all.push(call);
    push(this.byCallee, call.callee, call);
    push(this.byCaller, call.caller, call);
    if (idempotent !== undefined) this.idempotent.set(call, idempotent);
    return call;
  }

  private checkOpen(where: string): void {
    if (this.closed) {
      fail(where, 'the mesh was already rendered (by a synth, or mesh.render()), so this would be left out of it: '
        + 'declare everything before the synth (or before mesh.render())');
    }
  }
}

/** A workload as `namespace/name`, unique in a mesh. */
function key(workload: IMeshWorkload): string {
  return `${workload.namespace.name}/${workload.name}`;
}

/** Sorts in place by a string key, in code-point order (the same on every machine and locale). */
function sortBy<T>(list: T[], keyOf: (item: T) => string): void {
  const keys = new Map(list.map(item => [item, keyOf(item)]));
  list.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
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
