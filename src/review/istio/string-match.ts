/**
 * Istio's string matching, the same on every string field of an AuthorizationPolicy: `*` (present), `*suffix`,
 * `prefix*`, or exact. Paths also take Envoy URI templates: `{*}` is one non-empty segment, `{**}` any rest
 * of the path, zero or more segments (`/foo/{**}` matches `/foo/` and `/foo/a/b`, not `/foo`).
 */
export function stringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value.length > 0;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

const SEGMENT = "[a-zA-Z0-9\\-._~%!$&'()*+,;=:@]+";
const REST = "[a-zA-Z0-9\\-._~%!$&'()*+,;=:@/]*";
const templates = new Map<string, RegExp>();

export function isPathTemplate(pattern: string): boolean {
  return pattern.includes('{*}') || pattern.includes('{**}');
}

function templateRegex(pattern: string): RegExp {
  let re = templates.get(pattern);
  if (!re) {
    const body = pattern.split(/(\{\*\*\}|\{\*\})/).map(part => (part === '{**}' ? REST : part === '{*}' ? SEGMENT
      : escapeRegex(part))).join('');
    re = new RegExp(`^${body}$`);
    templates.set(pattern, re);
  }
  return re;
}

/** Istio's path matching: a template (`{*}`, `{**}`) or the string matching above, on the path without its query. */
export function pathMatch(pattern: string, path: string): boolean {
  const bare = path.split('?')[0];
  return isPathTemplate(pattern) ? templateRegex(pattern).test(bare) : stringMatch(pattern, bare);
}

/** A literal string inside a regular expression (Istio's namespace and service-account matchers are regexes). */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
