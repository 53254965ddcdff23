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

/** The HTTPRoute `matches` of a call's operations, for an edge route; `undefined` when it allows every request. */
export function edgeMatches(call: { readonly methods: readonly string[]; readonly paths: readonly string[] }):
Array<Record<string, unknown>> | undefined {
  const matches = routeMatches(call.methods, call.paths).filter(m => m.method !== undefined || m.path !== undefined);
  return matches.length === 0 ? undefined : matches.map(gatewayMatch);
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
  if (broad.path.type !== 'RegularExpression') return false;
  if (narrow.path.type === 'Exact') return new RegExp(`^(?:${broad.path.value})$`).test(narrow.path.value);
  return patternContains(broad.path.value, narrow.path.value);
}

/*
 * The regular expressions of translatePath use three pieces only: literal characters (escaped where special), `[^/]+`
 * and `.*`. As automata over a small alphabet (`/`, the literals, one other character) two of them can be compared
 * exactly: whether they share a path, and whether one holds every path of the other.
 */
type Piece = { literal: string } | { class: 'segment' | 'any'; repeat: boolean };

function pieces(pattern: string): Piece[] {
  const out: Piece[] = [];
  for (let i = 0; i < pattern.length;) {
    if (pattern.startsWith('[^/]+', i)) { out.push({ class: 'segment', repeat: false }, { class: 'segment', repeat: true }); i += 5; continue; }
    if (pattern.startsWith('.*', i)) { out.push({ class: 'any', repeat: true }); i += 2; continue; }
    if (pattern[i] === '\\') { out.push({ literal: pattern[i + 1] }); i += 2; continue; }
    out.push({ literal: pattern[i] });
    i++;
  }
  return out;
}

function accepts(piece: Piece, c: string): boolean {
  if ('literal' in piece) return piece.literal === c;
  return piece.class === 'any' || c !== '/';
}

/** The positions reachable from `states` by skipping repeated pieces. */
function closure(p: Piece[], states: Iterable<number>): Set<number> {
  const out = new Set<number>();
  const stack = [...states];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (out.has(k)) continue;
    out.add(k);
    const piece = p[k];
    if (piece && !('literal' in piece) && piece.repeat) stack.push(k + 1);
  }
  return out;
}

function step(p: Piece[], states: Set<number>, c: string): Set<number> {
  const next: number[] = [];
  for (const k of states) {
    const piece = p[k];
    if (!piece || !accepts(piece, c)) continue;
    next.push('literal' in piece || !piece.repeat ? k + 1 : k);
  }
  return closure(p, next);
}

function alphabet(...patterns: Piece[][]): string[] {
  return [...new Set(['/', '\u0001', ...patterns.flat().flatMap(p => ('literal' in p ? [p.literal] : []))])];
}

/** Walks both automata together; `stop` decides, for each pair of state sets reached, whether the answer is found. */
function explore(a: Piece[], b: Piece[], stop: (sa: Set<number>, sb: Set<number>) => boolean): boolean {
  const letters = alphabet(a, b);
  const key = (sa: Set<number>, sb: Set<number>) => `${[...sa].sort().join(',')}|${[...sb].sort().join(',')}`;
  let frontier: Array<[Set<number>, Set<number>]> = [[closure(a, [0]), closure(b, [0])]];
  const seen = new Set(frontier.map(([x, y]) => key(x, y)));
  while (frontier.length > 0) {
    const next: Array<[Set<number>, Set<number>]> = [];
    for (const [sa, sb] of frontier) {
      if (stop(sa, sb)) return true;
      for (const c of letters) {
        const na = step(a, sa, c);
        const nb = step(b, sb, c);
        if (nb.size === 0 && na.size === 0) continue;
        const k = key(na, nb);
        if (!seen.has(k)) { seen.add(k); next.push([na, nb]); }
      }
    }
    frontier = next;
  }
  return false;
}

/** Whether two path patterns match a common path. */
export function patternsOverlap(a: string, b: string): boolean {
  const pa = pieces(a);
  const pb = pieces(b);
  return explore(pa, pb, (sa, sb) => sa.has(pa.length) && sb.has(pb.length));
}

/** Whether every path `narrow` matches, `broad` matches too. */
export function patternContains(broad: string, narrow: string): boolean {
  const pa = pieces(broad);
  const pb = pieces(narrow);
  return !explore(pa, pb, (sa, sb) => sb.has(pb.length) && !sa.has(pa.length));
}

/**
 * The requests two matches have in common, as one match: `undefined` when they share none, `'regex'` when both are
 * different regular expressions (their intersection has no regular expression Linkerd's proxy can run: no lookaround).
 */
export function intersect(a: RouteMatch, b: RouteMatch): RouteMatch | undefined | 'regex' {
  if (a.method !== undefined && b.method !== undefined && a.method !== b.method) return undefined;
  const method = a.method ?? b.method;
  const path = intersectPaths(a.path, b.path);
  if (path === 'regex' || path === null) return path === null ? undefined : 'regex';
  return { method, path };
}

function intersectPaths(a: RouteMatch['path'], b: RouteMatch['path']): RouteMatch['path'] | null | 'regex' {
  if (!a) return b;
  if (!b) return a;
  if (a.type === b.type && a.value === b.value) return a;
  if (a.type === 'Exact' && b.type === 'Exact') return null;
  if (a.type === 'RegularExpression' && b.type === 'RegularExpression') return 'regex';
  const [exact, regex] = a.type === 'Exact' ? [a, b] : [b, a];
  return new RegExp(`^(?:${regex.value})$`).test(exact.value) ? exact : null;
}

/**
 * A name fragment for a match, e.g. `post-exact-v1-sessions-start`. Linkerd ranks an exact and a regular-expression
 * match of the same request alike (both count the whole path), and breaks the tie by age, then by name: for the same
 * method, `exact` sorts before `regex`, so the narrower route wins when both are created in the same second.
 */
export function matchSlug(match: RouteMatch): string {
  const method = (match.method ?? 'any').toLowerCase();
  if (!match.path) return method;
  const path = match.path.value.replace(/\[\^\/\]\+/g, 'x').replace(/\.\*/g, 'all').replace(/[^a-z0-9]+/gi, '-').replace(/^-+|-+$/g, '').toLowerCase();
  return [method, match.path.type === 'Exact' ? 'exact' : 'regex', path].filter(Boolean).join('-');
}

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
