import { HTTP_METHODS } from '../http/methods';
import { fail } from './validation';

/** `package.Service/Method`, or `package.Service/*` for every method of the service. */
const GRPC_METHOD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\/([A-Za-z_][A-Za-z0-9_]*|\*)$/;

/**
 * The operations of a call on a gRPC port, as the HTTP/2 requests they are: gRPC methods (`package.Service/Method`)
 * become the paths `/package.Service/Method` of POST requests (gRPC sends nothing else), so that every mesh matches
 * them the same way: Istio by path, Gateway API's GRPCRoute by service and method. Paths must name gRPC methods too,
 * since a GRPCRoute matches nothing else. HTTP methods other than POST match no gRPC request and are refused.
 */
export function grpcOperations(where: string, methods: readonly string[], paths: readonly string[]):
{ methods: string[]; paths: string[] } {
  const grpcPaths: string[] = [];
  for (const method of methods) {
    if (method === 'POST') continue;
    if (HTTP_METHODS.has(method) || HTTP_METHODS.has(method.toUpperCase())) {
      fail(where, `method "${method}" on a gRPC port matches no request: gRPC always sends POST; `
        + 'name gRPC methods instead, such as "shop.CartService/GetCart" (or "shop.CartService/*")');
    }
    if (!GRPC_METHOD.test(method)) {
      fail(where, `method "${method}" is not a gRPC method: write package.Service/Method, `
        + 'such as "shop.CartService/GetCart", or "shop.CartService/*" for all of its methods');
    }
    grpcPaths.push(`/${method}`);
  }
  for (const path of paths) {
    if (!GRPC_METHOD.test(path.slice(1)) || !path.startsWith('/')) {
      fail(where, `path "${path}" on a gRPC port names no gRPC method: `
        + 'write "/package.Service/Method" or "/package.Service/*", or name the methods in methods');
    }
    grpcPaths.push(path);
  }
  const unique = [...new Set(grpcPaths)];
  return { methods: methods.length > 0 || unique.length > 0 ? ['POST'] : [], paths: unique };
}

/** A gRPC call's path `/package.Service/Method` (or `/package.Service/*`) as a GRPCRoute method match. */
export function grpcMethodMatch(path: string): { service: string; method?: string } | undefined {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  return m[2] === '*' ? { service: m[1] } : { service: m[1], method: m[2] };
}
