/**
 * Checks on the HTTP parts of a call (methods and paths) against what Istio accepts.
 * Each returns an error message, or undefined when the value is fine.
 */

import { HTTP_METHODS } from '../http/methods';

export function checkMethod(method: string): string | undefined {
  if (HTTP_METHODS.has(method)) return undefined;
  const upper = method.toUpperCase();
  const hint = HTTP_METHODS.has(upper) ? `write "${upper}" (meshes match methods case-sensitively)` : `use one of ${[...HTTP_METHODS].join(', ')}`;
  return `method "${method}" is not an HTTP method: ${hint}`;
}

/**
 * Istio path syntax: an exact path, a `*` prefix or suffix wildcard, or an Envoy URI template
 * whose operators `{*}` (one segment) and `{**}` (any number of segments, last only) fill whole segments.
 */
export function checkPath(path: string): string | undefined {
  if (path.length === 0) return 'path is empty: write a path starting with "/", or leave paths out to allow any path';
  if (/[\s?#]/.test(path)) {
    return `path "${path}" contains whitespace, '?' or '#': Istio matches the path without the query or fragment`;
  }
  const named = /\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(path);
  if (named) {
    return `path "${path}" has the parameter "{${named[1]}}": Istio path templates name no parameters, write "{*}" for one segment or "{**}" for the rest`;
  }
  if (path.includes('{')) return checkTemplate(path);
  if (path === '*') return undefined;
  const inner = path.replace(/^\*/, '').replace(/\*$/, '');
  if (inner.includes('*')) {
    return `path "${path}" has '*' inside it: Istio allows '*' only as the whole path, a prefix ("*/suffix") or a suffix ("/prefix*"); for a segment use "{*}"`;
  }
  if (path.startsWith('*') && path.endsWith('*')) {
    return `path "${path}" has '*' at both ends: Istio allows a prefix or a suffix wildcard, not both`;
  }
  if (!path.startsWith('/') && !path.startsWith('*')) return `path "${path}" does not start with "/": write "/${path}"`;
  return undefined;
}

function checkTemplate(path: string): string | undefined {
  if (!path.startsWith('/')) return `path template "${path}" must start with "/"`;
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.includes('{') || segment.includes('}') || segment.includes('*')) {
      if (segment !== '{*}' && segment !== '{**}') {
        return `path template "${path}" has the segment "${segment}": an operator must fill a whole segment, exactly "{*}" or "{**}"`;
      }
      if (segment === '{**}' && i !== segments.length - 1) {
        return `path template "${path}" has "{**}" before its end: "{**}" may only be the last segment`;
      }
    }
  }
  return undefined;
}
