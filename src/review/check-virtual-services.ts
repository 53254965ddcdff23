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
  const claimed = new Map<string, KubeObject>();
  for (const vs of inventory.ofKind('VirtualService')) {
    const namespace = vs.metadata?.namespace ?? 'default';
    const gateways: string[] = vs.spec?.gateways ?? ['mesh'];
    if (gateways.includes('mesh')) {
      for (const host of vs.spec?.hosts ?? []) {
        const key = inventory.fqdn(host, namespace);
        const other = claimed.get(key);
        if (other) report(CODES.VS_HOST_CONFLICT, vs, `${describe(vs)} and ${describe(other)} both route host "${host}" on the mesh: Istio picks one unpredictably`);
        else claimed.set(key, vs);
      }
    }
    const context = { inventory, vs, namespace, subsets, entryHosts, report };
    checkRoutes(context, 'http', vs.spec?.http ?? []);
    checkRoutes(context, 'tcp', vs.spec?.tcp ?? []);
    checkRoutes(context, 'tls', vs.spec?.tls ?? []);
  }
};

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
