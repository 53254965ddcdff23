/**
 * One Gateway API HTTPRoute match of a call (a method and a path, either may be absent), translated from the
 * mesh-neutral path syntax (Istio's: exact, `*` prefix/suffix, `{*}` and `{**}` templates) into
 * Gateway API path matches (Linkerd and Istio ambient read them). Gateway API has no path templates: `{*}` becomes the regular expression
 * `[^/]+` (one segment) and `{**}` becomes `.*`; Istio's string prefix `/a*` becomes `/a.*`
 * (Gateway API's PathPrefix matches whole segments only, so it would not be the same).
 */
export interface RouteMatch {
  /** Upper-case HTTP method; absent means any. */
  readonly method?: string;
  /** Absent means any path. */
  readonly path?: { readonly type: 'Exact' | 'RegularExpression'; readonly value: string };
}

export function routeMatches(methods: readonly string[], paths: readonly string[]): RouteMatch[] {
  const translated = paths.length > 0 ? paths.map(translatePath) : [undefined];
  const wanted = methods.length > 0 ? methods : [undefined];
  return wanted.flatMap(method => translated.map(path => ({ method, path })));
}

function translatePath(path: string): RouteMatch['path'] {
  if (path === '*') return undefined; // any path
  if (path.includes('{')) {
    const pattern = path.split('/').map(s => s === '{*}' ? '[^/]+' : s === '{**}' ? '.*' : escapeRegex(s)).join('/');
    return { type: 'RegularExpression', value: pattern };
  }
  if (path.endsWith('*')) return { type: 'RegularExpression', value: `${escapeRegex(path.slice(0, -1))}.*` };
  if (path.startsWith('*')) return { type: 'RegularExpression', value: `.*${escapeRegex(path.slice(1))}` };
  return { type: 'Exact', value: path };
}

/** A match as an HTTPRoute rule writes it (`method`, `path: {type, value}`). */
export function gatewayMatch(match: RouteMatch): Record<string, unknown> {
  return { method: match.method, path: match.path ? { type: match.path.type, value: match.path.value } : undefined };
}

/** A stable key of a match, to find the route that holds it. */
export function matchKey(match: RouteMatch): string {
  return `${match.method ?? '*'} ${match.path ? `${match.path.type}:${match.path.value}` : '*'}`;
}

/**
 * Whether every request `narrow` matches also matches `broad`. Linkerd sends a request to one route only,
 * the most specific (exact path before a pattern, a method before none), so a caller whose match covers
 * another route's match must also be authorized on that route.
 */
export function covers(broad: RouteMatch, narrow: RouteMatch): boolean {
  if (broad.method !== undefined && broad.method !== narrow.method) return false;
  if (!broad.path) return true;
  if (!narrow.path) return false;
  if (broad.path.type === narrow.path.type && broad.path.value === narrow.path.value) return true;
  return broad.path.type === 'RegularExpression' && narrow.path.type === 'Exact' && new RegExp(`^(?:${broad.path.value})$`).test(narrow.path.value);
}

/** A name fragment for a match, e.g. `post-v1-sessions-start`. */
export function matchSlug(match: RouteMatch): string {
  const method = (match.method ?? 'any').toLowerCase();
  const path = match.path?.value.replace(/\[\^\/\]\+/g, 'x').replace(/\.\*/g, 'all').replace(/[^a-z0-9]+/gi, '-').replace(/^-+|-+$/g, '').toLowerCase();
  return path ? `${method}-${path}` : method;
}

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
