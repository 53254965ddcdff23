import type { Duration } from 'cdk8s';
import type { Call } from '../../model/call';
import { idempotencyOverridden, retryableMethods } from '../../model/call-resilience';
import { Mesh } from '../../model/mesh';
import type { MeshService } from '../../model/mesh-service';
import { ResolvedRetries, resolveRetries } from '../../model/resilience';
import { RouteMatch, routeMatches } from './route-match';

/**
 * How a Gateway API route table treats one call to a service. Gateway API routes match requests, not callers, so:
 * - a call without a timeout, retries or declared idempotency of its own shares the service's settings, and its idempotent
 *   methods (`sharedRetryable`) join the service's retried route;
 * - a call with settings of its own gets routes matching its methods and paths: those it may retry (idempotent, or
 *   declared so) with its retries, the rest without retries, both with its timeout;
 * - a call with settings of its own that names no methods or paths cannot be told apart (`indistinct`).
 */
export type CallRouteClass =
  | { readonly kind: 'shared'; readonly sharedRetryable: readonly string[] | 'any' }
  | { readonly kind: 'indistinct' }
  | { readonly kind: 'own'; readonly retried: RouteMatch[]; readonly rest: RouteMatch[]; readonly all: RouteMatch[]; readonly timeout: Duration; readonly retries: ResolvedRetries };

/** The route class of an HTTP call to `service`. */
export function callRouteClass(service: MeshService, call: Call): CallRouteClass {
  const graph = Mesh.of(service).callGraph;
  if (call.timeout === undefined && call.retries === undefined && !idempotencyOverridden(graph, call)) {
    return { kind: 'shared', sharedRetryable: retryableMethods(graph, call) };
  }
  if (call.methods.length === 0 && call.paths.length === 0) return { kind: 'indistinct' };
  const retryable = retryableMethods(graph, call);
  const retries = call.retries ? resolveRetries(call.retries) : service.traffic.resilience.retries;
  const timeout = call.timeout ?? service.traffic.resilience.timeout;
  const all = routeMatches(call.methods, call.paths);
  const canRetry = (m: RouteMatch) => retryable === 'any' || (m.method !== undefined && retryable.includes(m.method));
  const retried = retries.attempts > 0 ? all.filter(canRetry) : [];
  return { kind: 'own', retried, rest: all.filter(m => !retried.includes(m)), all, timeout, retries };
}
