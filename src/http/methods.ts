// HTTP facts that the model, the renderers and the review tools share, written once.

/** Methods Envoy and Linkerd match; both compare them case-sensitively, so they are upper case. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE',
]);

/** Methods whose repetition leaves the server as one request would (RFC 9110 9.2.2): safe to retry. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Whether every request of a list of methods may be replayed; no methods means any method, so not. */
export function allIdempotent(methods: readonly string[]): boolean {
  return methods.length > 0 && methods.every(m => IDEMPOTENT_METHODS.has(m));
}
