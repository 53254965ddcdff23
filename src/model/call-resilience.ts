import type { Call, CallOptions } from './call';
import type { CallGraph } from './call-graph';
import { allIdempotent, IDEMPOTENT_METHODS } from '../http/methods';
import { carriesHttp, Protocol } from './protocol';
import { checkDurations, checkFault, checkRetries } from './resilience';
import type { IMeshWorkload } from './workload';

/**
 * Which requests of a call may be retried, mesh-neutral. A request is replayed only when that is harmless:
 * a call declared idempotent retries all its methods, one declared not idempotent none, and an undeclared
 * call only its idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE), never POST or PATCH.
 */

/** The methods of a call that may be retried; `'any'` when every method may (a call declared idempotent with no methods). */
export function retryableMethods(graph: CallGraph, call: Call): readonly string[] | 'any' {
  const declared = graph.declaredIdempotent(call);
  if (declared === false) return [];
  if (declared === true) return call.methods.length > 0 ? call.methods : 'any';
  return call.methods.length > 0 ? call.methods.filter(m => IDEMPOTENT_METHODS.has(m)) : [...IDEMPOTENT_METHODS];
}

/** Whether the declared idempotency changes which of the call's requests may be retried, compared with its methods alone. */
export function idempotencyOverridden(graph: CallGraph, call: Call): boolean {
  const declared = graph.declaredIdempotent(call);
  if (declared === undefined) return false;
  const byMethod = call.methods.length > 0 ? call.methods.filter(m => IDEMPOTENT_METHODS.has(m)) : [...IDEMPOTENT_METHODS];
  const retryable = retryableMethods(graph, call);
  return retryable === 'any' || retryable.length !== byMethod.length;
}

/** Checks a call's own timeout and retries when it is declared. */
export function checkCallTraffic(callee: IMeshWorkload, protocol: Protocol, methods: readonly string[], options: CallOptions): string | undefined {
  if (options.timeout === undefined && options.retries === undefined && options.fault === undefined) return undefined;
  if (!callee.deployed) {
    return `timeout, retries and fault are rendered on the routes of services this library deploys, and ${callee.name} is deployed elsewhere: remove them, or set them in the chart that deploys ${callee.name}`;
  }
  if (!carriesHttp(protocol)) {
    return `the port is ${protocol}: a TCP connection has no requests to time out, retry or fault; remove timeout, retries and fault`;
  }
  const errors = [...checkDurations({ timeout: options.timeout, perTryTimeout: options.retries?.perTryTimeout }), ...checkRetries(options.retries), ...checkFault(options.fault)];
  if (errors.length > 0) return errors[0];
  const attempts = options.retries?.attempts ?? 2;
  if (options.retries && attempts > 0) {
    const idempotent = options.idempotent ?? allIdempotent(methods);
    if (!idempotent) {
      const what = methods.length > 0 ? methods.join(', ') : 'any method';
      return `retries on a call that is not idempotent (${what}) would replay requests that change state: remove retries, or declare idempotent: true if replaying is harmless`;
    }
  }
  return undefined;
}
