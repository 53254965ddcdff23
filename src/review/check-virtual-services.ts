import { IDEMPOTENT_METHODS } from '../http/methods';
import { hostWorkloads } from './check-destination-rules';
import { CODES } from './codes';
import { Check, Report } from './finding';
import { describe, Inventory, KubeObject } from './inventory';


export const checkVirtualServices: Check = (inventory, report) => {
  const subsets = new Map<string, Set<string>>();
  for (const dr of inventory.ofKind('DestinationRule')) {
    const key = inventory.fqdn(dr.spec?.host ?? '', dr.metadata?.namespace ?? 'default');
    const names = subsets.get(key) ?? new Set<string>();
    for (const s of dr.spec?.subsets ?? []) names.add(s.name);
    subsets.set(key, names);
  }
  const entryHosts = new Set<string>(inventory.ofKind('ServiceEntry').flatMap(se => se.spec?.hosts ?? []));
  checkHostConflicts(inventory, report);
  for (const vs of inventory.ofKind('VirtualService')) {
    const namespace = vs.metadata?.namespace ?? 'default';
    const context = { inventory, vs, namespace, subsets, entryHosts, report };
    checkRoutes(context, 'http', vs.spec?.http ?? []);
    checkRoutes(context, 'tcp', vs.spec?.tcp ?? []);
    checkRoutes(context, 'tls', vs.spec?.tls ?? []);
  }
};

/**
 * VirtualServices on the mesh gateway that route one host where the same namespaces see them. A VirtualService is
 * seen by every namespace (no `exportTo`, or `*`), or by the namespaces it lists (`.` its own); one seen everywhere
 * conflicts with any other for its host. Each party is reported once, naming the others, as istioctl does.
 */
function checkHostConflicts(inventory: Inventory, report: Report): void {
  const everywhere = '*';
  const byScope = new Map<string, KubeObject[]>();
  const hostsOf = new Map<KubeObject, string[]>();
  for (const vs of inventory.ofKind('VirtualService')) {
    const gateways: string[] = vs.spec?.gateways ?? [];
    if (gateways.length > 0 && !gateways.includes('mesh')) continue;
    const namespace = vs.metadata?.namespace ?? 'default';
    const exportTo: string[] = vs.spec?.exportTo ?? [];
    const scopes = exportTo.length === 0 || exportTo.includes('*') ? [everywhere]
      : [...new Set(exportTo.map(e => (e === '.' ? namespace : e)))];
    const hosts = (vs.spec?.hosts ?? []).map((h: string) => inventory.fqdn(String(h), namespace));
    hostsOf.set(vs, hosts);
    for (const scope of scopes) {
      for (const host of new Set<string>(hosts)) {
        const key = `${scope}\u0000${host}`;
        byScope.set(key, [...(byScope.get(key) ?? []), vs]);
      }
    }
  }
  const reported = new Set<KubeObject>();
  for (const [key, list] of byScope) {
    const [scope, host] = key.split('\u0000');
    const parties = [...list];
    // Those seen everywhere are seen in this scope too.
    if (scope !== everywhere) {
      for (const [other, others] of byScope) {
        const [otherScope, otherHost] = other.split('\u0000');
        if (otherScope !== everywhere || !hostsMatch(host, otherHost)) continue;
        parties.push(...others.filter(vs => !parties.includes(vs)));
      }
    }
    if (parties.length < 2) continue;
    for (const vs of parties) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      const others = parties.filter(o => o !== vs).map(describe).join(', ');
      const where = scope === everywhere ? 'on the mesh' : `on the mesh in namespace ${scope}`;
      report(CODES.VS_HOST_CONFLICT, vs, `${describe(vs)} and ${others} all route host "${host}" ${where}: `
        + 'Istio picks one unpredictably');
    }
  }
}

/** Whether two hosts name a common host (a `*.` wildcard stands for any prefix). */
function hostsMatch(a: string, b: string): boolean {
  const covers = (wild: string, h: string) => wild === '*' || (wild.startsWith('*.') && h.endsWith(wild.slice(1)));
  return a === b || covers(a, b) || covers(b, a);
}

interface Context {
  readonly inventory: Inventory;
  readonly vs: KubeObject;
  readonly namespace: string;
  readonly subsets: Map<string, Set<string>>;
  readonly entryHosts: Set<string>;
  readonly report: Report;
}

function checkRoutes(c: Context, kind: string, routes: any[]): void {
  const { vs, report } = c;
  checkDuplicateMatches(c, kind, routes);
  for (const [i, route] of routes.entries()) {
    const where = `${describe(vs)} ${kind}[${i}]${route.name ? ` ("${route.name}")` : ''}`;
    const destinations: any[] = route.route ?? [];
    for (const [d, { destination, weight }] of destinations.entries()) {
      checkDestination(c, `${where}.route[${d}]`, destination ?? {});
      if (destinations.length === 1 && weight !== undefined && weight !== 100 && weight !== 0) {
        report(CODES.ROUTE_WEIGHTS, vs, `${where} has one destination with weight ${weight}: the route's weights must sum to 100`);
      }
    }
    if (destinations.length > 1) {
      const sum = destinations.reduce((total, d) => total + (d.weight ?? 0), 0);
      if (sum !== 100) report(CODES.ROUTE_WEIGHTS, vs, `${where} has weights ${destinations.map(d => d.weight ?? 0).join(' + ')} = ${sum}, not 100`);
    }
    if (kind === 'http' && isCatchAll(route) && i < routes.length - 1) {
      report(CODES.UNREACHABLE_ROUTE, vs, `${where} matches every request, so the ${routes.length - 1 - i} route(s) after it are never reached`);
    }
    if (kind === 'http' && !route.redirect && !route.directResponse && mayCarryNonIdempotent(route)) {
      const attempts = route.retries?.attempts;
      if (attempts === undefined || attempts > 0) {
        const why = attempts === undefined ? 'sets no retries, so Istio retries it twice by default' : `retries it ${attempts} time(s)`;
        report(CODES.RETRY_NON_IDEMPOTENT, vs, `${where} may carry POST or PATCH requests and ${why}: a replayed request can act twice`);
      }
    }
  }
}

function checkDestination(c: Context, where: string, destination: any): void {
  const { inventory, vs, namespace, report } = c;
  const host: string = destination.host ?? '';
  const service = inventory.service(host, namespace);
  const known = service || hostWorkloads(inventory, host, namespace).length > 0 || c.entryHosts.has(host)
    || (!inventory.isClusterHost(host) && [...c.entryHosts].some(h => h.startsWith('*.') && host.endsWith(h.slice(1))));
  if (!known) {
    report(CODES.ROUTE_HOST_UNKNOWN, vs, `${where} routes to "${host}", which no Service, declared workload or ServiceEntry defines`);
    return;
  }
  if (destination.subset && !(c.subsets.get(inventory.fqdn(host, namespace))?.has(destination.subset))) {
    report(CODES.ROUTE_SUBSET_UNKNOWN, vs, `${where} routes to subset "${destination.subset}" of "${host}", which no DestinationRule for that host defines: requests get 503s`);
  }
  if (service && (service.spec?.ports ?? []).length > 1 && !destination.port?.number) {
    report(CODES.ROUTE_PORT_REQUIRED, vs, `${where} routes to "${host}", which serves ports ${(service.spec.ports as any[]).map(p => p.port).join(', ')}, without destination.port`);
  }
}

/**
 * Routes Istio never reaches because earlier routes take all their traffic: a route after one without matches, or
 * whose every match an earlier route already lists (compared without their names), on HTTP, TCP and TLS alike.
 */
function checkDuplicateMatches(c: Context, kind: string, routes: any[]): void {
  const seen = new Map<string, number>();
  let unmatched = -1;
  for (const [i, route] of routes.entries()) {
    const where = `${describe(c.vs)} ${kind}[${i}]${route?.name ? ` ("${route.name}")` : ''}`;
    const matches: any[] = route?.match ?? [];
    if (matches.length === 0) {
      // HTTP catch-alls are reported on the catch-all itself (below): here only the TCP and TLS ones.
      if (unmatched >= 0 && kind !== 'http') c.report(CODES.UNREACHABLE_ROUTE, c.vs, afterUnmatched(where, kind, unmatched));
      if (unmatched < 0) unmatched = i;
      continue;
    }
    if (unmatched >= 0) {
      if (kind !== 'http') c.report(CODES.UNREACHABLE_ROUTE, c.vs, afterUnmatched(where, kind, unmatched));
      continue;
    }
    const earlier = matches.map(m => seen.get(matchKey(m)));
    if (earlier.every(e => e !== undefined)) {
      const by = [...new Set(earlier)].map(e => `${kind}[${e}]`).join(', ');
      c.report(CODES.UNREACHABLE_ROUTE, c.vs, `${where} is never reached: each of its matches is already matched by ${by} `
        + 'before it');
    }
    for (const m of matches) if (!seen.has(matchKey(m))) seen.set(matchKey(m), i);
  }
}

function afterUnmatched(where: string, kind: string, unmatched: number): string {
  return `${where} is never reached: ${kind}[${unmatched}] before it has no match and takes every connection`;
}

/** A match as it routes: its JSON without its name, keys in order. */
function matchKey(match: any): string {
  const canonical = (v: any): any => (Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canonical(v[k])])) : v);
  const { name: _name, ...rest } = match ?? {};
  return JSON.stringify(canonical(rest));
}

/** A route with no match, or a match entry that constrains nothing (or only the "/" prefix). */
function isCatchAll(route: any): boolean {
  const matches: any[] | undefined = route.match;
  if (!matches || matches.length === 0) return true;
  return matches.some(m => {
    const keys = Object.keys(m).filter(k => k !== 'name');
    if (keys.length === 0) return true;
    return keys.length === 1 && keys[0] === 'uri' && (m.uri.prefix === '/' || m.uri.regex === '.*');
  });
}

/** Whether a route can receive a method other than the idempotent ones: every match must pin an idempotent method. */
function mayCarryNonIdempotent(route: any): boolean {
  const matches: any[] | undefined = route.match;
  if (!matches || matches.length === 0) return true;
  return matches.some(m => !(m.method?.exact && IDEMPOTENT_METHODS.has(m.method.exact)));
}
