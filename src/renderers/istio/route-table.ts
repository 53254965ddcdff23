import type { Duration } from 'cdk8s';
import type { VirtualServiceSpecHttp, VirtualServiceSpecHttpMatch, VirtualServiceSpecTcp } from '../../../imports/istio-networking.istio.io';
import { idempotencyOverridden, retryableMethods } from '../../model/call-resilience';
import { HTTP_METHODS } from '../../http/methods';
import type { Call } from '../../model/call';
import type { MeshService } from '../../model/mesh-service';
import { carriesHttp, Protocol } from '../../model/protocol';
import { FaultInjection, formatDuration, perTryTimeout, ResolvedRetries, resolveRetries, RetryCondition } from '../../model/resilience';
import type { TrafficMirror, WeightedVersion } from '../../model/routing';
import { Mesh } from '../../model/mesh';
import { controllerSplit } from './controller-subsets';

/**
 * Istio's first-match route table for one host, derived from the service's routing, resilience and calls.
 *
 * A VirtualService route is per host for every caller, and Envoy cannot retry by method, so each "version rule"
 * (A/B rules, then the split) is crossed with each "resilience class", in order:
 *   1. calls with their own timeout, retries or declared idempotency (matched by caller, method and path);
 *   2. the idempotent methods the calls use, with the service's retries;
 *   3. everything else, with `retries: {attempts: 0}` (Istio would otherwise retry twice, replaying POSTs).
 */

/** One HTTPMatchRequest, mesh-neutral enough to merge; `{}` matches every request. */
interface Match {
  readonly port?: number;
  readonly method?: string;
  readonly uri?: { exact?: string; prefix?: string; regex?: string };
  readonly headers?: Record<string, string>;
  readonly sourceLabels?: Record<string, string>;
  readonly sourceNamespace?: string;
}

interface ResilienceClass {
  readonly name: string;
  /** OR of matches; `[{}]` matches everything. */
  readonly entries: Match[];
  readonly timeout: Duration;
  /** undefined: no retries. */
  readonly retries?: ResolvedRetries;
  /** A drill's faults; undefined: none. */
  readonly fault?: FaultInjection;
}

interface VersionRule {
  readonly name?: string;
  readonly entries: Match[];
  readonly destinations: WeightedVersion[];
  readonly mirror?: TrafficMirror;
}

const METHOD_ORDER = [...HTTP_METHODS];

/** The `http` routes of the service's VirtualService, one block per HTTP port. */
export function httpRoutes(service: MeshService): VirtualServiceSpecHttp[] {
  const multiPort = service.ports.length > 1;
  const rules = versionRules(service, true);
  const routes: VirtualServiceSpecHttp[] = [];
  for (const port of service.ports.filter(p => carriesHttp(p.protocol))) {
    const portEntry: Match = multiPort ? { port: port.port } : {};
    const classes = resilienceClasses(service, port.port);
    for (const rule of rules) {
      for (const cls of classes) {
        const entries = product(product([portEntry], rule.entries), cls.entries);
        if (entries.length === 0) continue; // the rule and the class exclude each other (two different callers)
        routes.push(httpRoute(service, port.port, port.protocol, rule, cls, entries, multiPort));
      }
    }
  }
  return routes;
}

/**
 * The routes of requests that enter through a gateway to one of the service's ports: the same version rules as
 * inside the mesh (header and caller matches, then the split of stable, canary or rollback, and the mirror), so
 * that a release applies at the edge too. Resilience stays with the mesh routes: `retries` is the caller's to set.
 */
export function edgeRoutes(service: MeshService, call: Call):
Array<Pick<VirtualServiceSpecHttp, 'name' | 'match' | 'route' | 'mirror' | 'mirrorPercentage'>> {
  const port = call.port;
  const operations = operationMatches(call);
  return versionRules(service, true).flatMap(rule => {
    const entries = product(rule.entries, operations);
    return entries.length === 0 ? [] : [{
      name: rule.name,
      match: isAll(entries) ? undefined : entries.map(istioMatch),
      route: destinations(service, port, rule.destinations),
      mirror: rule.mirror ? { host: service.host, subset: rule.mirror.version, port: { number: port } } : undefined,
      mirrorPercentage: rule.mirror ? { value: rule.mirror.percent } : undefined,
    }];
  });
}

/** The requests a call's operations allow (its methods crossed with its paths) as route matches; `undefined`: all. */
export function callMatches(call: Call): VirtualServiceSpecHttpMatch[] | undefined {
  const entries = operationMatches(call);
  return isAll(entries) ? undefined : entries.map(istioMatch);
}

function operationMatches(call: Call): Match[] {
  const uris = call.paths.length > 0 ? call.paths.map(uriMatch) : [undefined];
  const methods = call.methods.length > 0 ? call.methods : [undefined];
  return methods.flatMap(method => uris.map(uri => ({ ...(method ? { method } : {}), ...(uri ? { uri } : {}) })));
}

/** The `tcp` routes: the split (and A/B by caller) on each TCP port; TCP has no requests to time out or retry. */
export function tcpRoutes(service: MeshService): VirtualServiceSpecTcp[] {
  const multiPort = service.ports.length > 1;
  const routes: VirtualServiceSpecTcp[] = [];
  for (const port of service.ports.filter(p => !carriesHttp(p.protocol))) {
    for (const rule of versionRules(service, false)) {
      const entries = product([multiPort ? { port: port.port } : {}], rule.entries);
      if (entries.length === 0) continue;
      const match = isAll(entries) ? undefined : entries.map(e => ({ port: e.port, sourceLabels: e.sourceLabels, sourceNamespace: e.sourceNamespace }));
      routes.push({ match, route: destinations(service, port.port, rule.destinations) });
    }
  }
  return routes;
}

function versionRules(service: MeshService, http: boolean): VersionRule[] {
  const traffic = service.traffic;
  const rules: VersionRule[] = [];
  for (const [i, m] of (traffic.routing.match ?? []).entries()) {
    if (!http && m.headers && Object.keys(m.headers).length > 0) continue; // TCP carries no headers
    const headerEntry: Match = m.headers && Object.keys(m.headers).length > 0 ? { headers: { ...m.headers } } : {};
    const entries = m.callers && m.callers.length > 0
      ? traffic.callersOf(m.callers).map(c => ({ ...headerEntry, ...callerMatch(c) }))
      : [headerEntry];
    rules.push({ name: m.name ?? `match-${i + 1}`, entries, destinations: [{ version: m.version, weight: 100 }] });
  }
  // With a controller, the split names its stable and canary subsets, and the controller edits the weights.
  rules.push({ entries: [{}], destinations: controllerSplit(service) ?? traffic.split, mirror: traffic.routing.mirror });
  return rules;
}

function resilienceClasses(service: MeshService, port: number): ResilienceClass[] {
  const graph = Mesh.of(service).callGraph;
  const resilience = service.traffic.resilience;
  const classes: ResilienceClass[] = [];
  const shared = new Set<string>();
  for (const call of service.traffic.callsOn(port)) {
    const retryable = retryableMethods(graph, call);
    if (call.timeout === undefined && call.retries === undefined && call.fault === undefined && !idempotencyOverridden(graph, call)) {
      if (retryable !== 'any') for (const m of retryable) shared.add(m);
      continue;
    }
    const timeout = call.timeout ?? resilience.timeout;
    const retries = call.retries ? resolveRetries(call.retries) : resilience.retries;
    const source = callerMatch(call.caller);
    const uris = call.paths.length > 0 ? call.paths.map(uriMatch) : [undefined];
    const withUris = (base: Match) => uris.map(uri => (uri ? { ...base, uri } : base));
    const retryEntries: Match[] = [];
    const restEntries: Match[] = [];
    if (retryable === 'any') {
      retryEntries.push(...withUris(source));
    } else if (call.methods.length > 0) {
      for (const method of call.methods) (retryable.includes(method) ? retryEntries : restEntries).push(...withUris({ ...source, method }));
    } else {
      for (const method of retryable) retryEntries.push(...withUris({ ...source, method }));
      restEntries.push(...withUris(source));
    }
    const name = `from-${call.caller.name}`;
    const fault = call.fault ?? resilience.fault;
    if (retries.attempts > 0 && retryEntries.length > 0) classes.push({ name: `${name}-retry`, entries: retryEntries, timeout, retries, fault });
    else restEntries.unshift(...retryEntries);
    if (restEntries.length > 0) classes.push({ name, entries: restEntries, timeout, fault });
  }
  if (resilience.retries.attempts > 0 && shared.size > 0) {
    const methods = METHOD_ORDER.filter(m => shared.has(m));
    classes.push({ name: 'idempotent', entries: methods.map(method => ({ method })), timeout: resilience.timeout, retries: resilience.retries, fault: resilience.fault });
  }
  classes.push({ name: 'default', entries: [{}], timeout: resilience.timeout, fault: resilience.fault });
  return classes;
}

function httpRoute(service: MeshService, port: number, protocol: Protocol, rule: VersionRule, cls: ResilienceClass, entries: Match[], multiPort: boolean): VirtualServiceSpecHttp {
  const host = service.host;
  const fault = cls.fault;
  return {
    name: [rule.name, cls.name, multiPort ? String(port) : undefined].filter(Boolean).join('-'),
    match: isAll(entries) ? undefined : entries.map(istioMatch),
    route: destinations(service, port, rule.destinations),
    timeout: formatDuration(cls.timeout),
    // Explicit attempts 0: without a retries block Istio retries twice by default, replaying non-idempotent requests.
    retries: cls.retries ? {
      attempts: cls.retries.attempts,
      perTryTimeout: formatDuration(perTryTimeout(cls.timeout, cls.retries)),
      retryOn: retryOn(cls.retries.on, protocol),
    } : { attempts: 0 },
    mirror: rule.mirror ? { host, subset: rule.mirror.version, port: { number: port } } : undefined,
    mirrorPercentage: rule.mirror ? { value: rule.mirror.percent } : undefined,
    fault: fault ? {
      delay: fault.delay ? { percentage: { value: fault.delay.percent }, fixedDelay: formatDuration(fault.delay.duration) } : undefined,
      abort: fault.abort ? { percentage: { value: fault.abort.percent }, httpStatus: fault.abort.httpStatus } : undefined,
    } : undefined,
  };
}

function destinations(service: MeshService, port: number, split: readonly WeightedVersion[]) {
  // Every destination names its port and carries its weight, so a reader never has to know the defaults.
  return split.map(d => ({ destination: { host: service.host, subset: d.version, port: { number: port } }, weight: d.weight }));
}

const RETRY_ON: Record<RetryCondition, string> = {
  [RetryCondition.CONNECT_FAILURE]: 'connect-failure',
  [RetryCondition.REFUSED_STREAM]: 'refused-stream',
  [RetryCondition.RESET]: 'reset',
  [RetryCondition.UNAVAILABLE]: '503',
  [RetryCondition.GATEWAY_ERROR]: 'gateway-error',
};

function retryOn(conditions: readonly RetryCondition[], protocol: Protocol): string {
  const on = conditions.map(c => RETRY_ON[c]);
  // gRPC reports UNAVAILABLE in its status, not as HTTP 503.
  if (protocol === Protocol.GRPC && conditions.includes(RetryCondition.UNAVAILABLE)) on.push('unavailable');
  return on.join(',');
}

function callerMatch(caller: { selector: Readonly<Record<string, string>>; namespace: { name: string } }): Match {
  return { sourceLabels: { ...caller.selector }, sourceNamespace: caller.namespace.name };
}

function istioMatch(m: Match): VirtualServiceSpecHttpMatch {
  return {
    port: m.port,
    method: m.method ? { exact: m.method } : undefined,
    uri: m.uri,
    headers: m.headers ? Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, { exact: v }])) : undefined,
    sourceLabels: m.sourceLabels,
    sourceNamespace: m.sourceNamespace,
  };
}

function isAll(entries: Match[]): boolean {
  return entries.length === 1 && Object.keys(entries[0]).length === 0;
}

/** AND of two ORs of matches: every compatible pair merged; pairs that exclude each other dropped. */
function product(a: Match[], b: Match[]): Match[] {
  const out: Match[] = [];
  for (const x of a) for (const y of b) {
    const merged = merge(x, y);
    if (merged) out.push(merged);
  }
  return out;
}

function merge(x: Match, y: Match): Match | undefined {
  const same = (p: unknown, q: unknown) => p === undefined || q === undefined || JSON.stringify(p) === JSON.stringify(q);
  if (!same(x.port, y.port) || !same(x.method, y.method) || !same(x.uri, y.uri) || !same(x.sourceNamespace, y.sourceNamespace)) return undefined;
  const headers = mergeMaps(x.headers, y.headers);
  const sourceLabels = mergeMaps(x.sourceLabels, y.sourceLabels);
  if (headers === null || sourceLabels === null) return undefined;
  const out: Record<string, unknown> = { ...x, ...y };
  if (headers) out.headers = headers;
  if (sourceLabels) out.sourceLabels = sourceLabels;
  return out as Match;
}

/** Both maps' keys; null when they disagree on a key. */
function mergeMaps(a?: Record<string, string>, b?: Record<string, string>): Record<string, string> | undefined | null {
  if (!a || !b) return a ?? b;
  for (const [k, v] of Object.entries(b)) if (k in a && a[k] !== v) return null;
  return { ...a, ...b };
}

/** An authorization path (exact, `*` prefix/suffix, `{*}`/`{**}` template) as a VirtualService URI match. */
function uriMatch(path: string): Match['uri'] | undefined {
  if (path === '*') return undefined;
  const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  if (path.includes('{')) {
    return { regex: path.split('/').map(seg => (seg === '{*}' ? '[^/]+' : seg === '{**}' ? '.*' : escape(seg))).join('/') };
  }
  if (path.endsWith('*')) return { prefix: path.slice(0, -1) };
  if (path.startsWith('*')) return { regex: `.*${escape(path.slice(1))}` };
  return { exact: path };
}
