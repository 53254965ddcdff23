import type { KubeObject, PeerWorkload } from './inventory';
import { LabelSelector } from './label-selector';
import { podTemplateOf } from './workload-names';

/**
 * Istio ambient mode, read as the sidecar evaluation the matrix knows: what each pod effectively admits once its two
 * enforcement points are composed (https://istio.io/latest/docs/ambient/usage/l4-policy/,
 * https://istio.io/latest/docs/ambient/usage/l7-features/).
 * - ztunnel enforces the `selector` (and namespace-wide) policies at L4: in an ALLOW policy a rule that names an HTTP
 *   attribute never matches, so it is dropped; in a DENY policy the HTTP attributes are dropped and the rest enforced.
 * - a waypoint enforces the policies attached to a Service with `targetRefs`, for requests addressed to that Service;
 *   their `ports` are the Service's (the port a request is addressed to), read here as the `targetPort`s behind them
 *   (what a sidecar would see); it then reaches the pods with its own identity. A ztunnel rule that admits a waypoint's identity alone is that
 *   hand-over: it is replaced by the Service's attached policy, which now binds the Service's pods.
 * Policies attached to anything else (a ServiceEntry: egress; a Gateway) grant no access to a pod and are left out.
 */

const HTTP_OPERATION = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];
const HTTP_SOURCE = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];

/** Whether the objects are an ambient render: a waypoint, or a namespace in the ambient data plane. */
export function isAmbient(objects: readonly KubeObject[]): boolean {
  return objects.some(o => (o.kind === 'Gateway' && o.spec?.gatewayClassName === 'istio-waypoint')
    || (o.kind === 'Namespace' && o.metadata?.labels?.['istio.io/dataplane-mode'] === 'ambient'));
}

/** Ambient waypoints as the workloads Istio deploys for them: pods labelled with the Gateway's name, running as it. */
export function waypointPeers(objects: readonly KubeObject[]): PeerWorkload[] {
  return objects.filter(o => o.kind === 'Gateway' && o.spec?.gatewayClassName === 'istio-waypoint' && typeof o.metadata?.name === 'string').map(g => {
    const name = String(g.metadata?.name);
    return { name, namespace: g.metadata?.namespace ?? 'default', selector: { 'gateway.networking.k8s.io/gateway-name': name }, serviceAccount: name };
  });
}

/** The waypoints' principals, as `ns/<namespace>/sa/<name>` (any trust domain). */
function waypointIdentities(objects: readonly KubeObject[]): Set<string> {
  return new Set(objects.filter(o => o.kind === 'Gateway' && o.spec?.gatewayClassName === 'istio-waypoint')
    .map(g => `ns/${g.metadata?.namespace ?? 'default'}/sa/${g.metadata?.name}`));
}

function ruleHasHttp(rule: any): boolean {
  return (rule.to ?? []).some((t: any) => HTTP_OPERATION.some(f => t.operation?.[f] !== undefined))
    || (rule.from ?? []).some((f: any) => HTTP_SOURCE.some(k => f.source?.[k] !== undefined))
    || (rule.when ?? []).length > 0;
}

function withoutHttp(rule: any): any {
  const strip = (o: any, fields: string[]) => Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !fields.includes(k)));
  return {
    ...rule,
    from: rule.from?.map((f: any) => ({ source: strip(f.source, HTTP_SOURCE) })),
    to: rule.to?.map((t: any) => ({ operation: strip(t.operation, HTTP_OPERATION) })),
    when: undefined,
  };
}

/**
 * The policies as sidecars would have to hold them for the same effect: ztunnel policies cut to what ztunnel enforces,
 * with each waypoint hand-over replaced by the Service policies of that waypoint; other objects unchanged.
 */
export function ambientView(objects: readonly KubeObject[], peers: readonly PeerWorkload[] = []): KubeObject[] {
  const waypoints = waypointIdentities(objects);
  const isWaypoint = (principal: string) => [...waypoints].some(w => principal.endsWith(`/${w}`) || principal === w);
  const serviceOf = (namespace: string, service: string) => objects.find(o => o.kind === 'Service'
    && (o.metadata?.namespace ?? 'default') === namespace && o.metadata?.name === service);
  const selectorOf = (namespace: string, service: string): Record<string, string> | undefined => {
    const svc = serviceOf(namespace, service);
    return svc ? svc.spec?.selector : peers.find(p => p.namespace === namespace && p.name === service)?.selector;
  };
  const out: KubeObject[] = [];
  for (const o of objects) {
    if (o.kind !== 'AuthorizationPolicy' || !o.apiVersion?.startsWith('security.istio.io/')) {
      out.push(o);
      continue;
    }
    const refs: any[] = o.spec?.targetRefs ?? (o.spec?.targetRef ? [o.spec.targetRef] : []);
    if (refs.length > 0) {
      // Enforced by the waypoint for requests to the Service: the Service's pods, as a sidecar would see them.
      for (const ref of refs.filter(r => r.kind === 'Service' && (r.group ?? '') === '')) {
        const selector = selectorOf(o.metadata?.namespace ?? 'default', ref.name);
        if (!selector) continue;
        const { targetRefs: _refs, targetRef: _ref, ...spec } = o.spec;
        const svc = serviceOf(o.metadata?.namespace ?? 'default', ref.name);
        const rules = svc ? spec.rules?.map((r: any) => toPodPorts(r, svc, objects)) : spec.rules;
        const bound = { ...spec, rules, selector: { matchLabels: { ...selector } } };
        out.push({ ...o, metadata: { ...o.metadata, name: `${o.metadata?.name}` }, spec: bound });
      }
      continue;
    }
    const action = o.spec?.action ?? 'ALLOW';
    if (action === 'ALLOW') {
      const rules = o.spec?.rules?.filter((r: any) => !ruleHasHttp(r)).filter((r: any) => {
        const principals: string[] = (r.from ?? []).flatMap((f: any) => f.source?.principals ?? []);
        return !(principals.length > 0 && principals.every(isWaypoint));
      });
      out.push({ ...o, spec: { ...o.spec, rules } });
    } else if (action === 'DENY') {
      out.push({ ...o, spec: { ...o.spec, rules: o.spec?.rules?.map(withoutHttp) } });
    } else {
      out.push(o);
    }
  }
  return out;
}

/**
 * A waypoint rule with its Service ports replaced by the pod ports behind them (`targetPort`, by number or by the name
 * of a container port of the Service's pods). A port the Service does not serve never reaches the waypoint: it is
 * dropped, so `ports` naming only such ports match nothing.
 */
function toPodPorts(rule: any, service: KubeObject, objects: readonly KubeObject[]): any {
  const podPort = (value: unknown): string | undefined => {
    const sp = (service.spec?.ports ?? []).find((p: any) => String(p?.port) === String(value));
    if (!sp) return undefined;
    const target = sp.targetPort ?? sp.port;
    if (typeof target === 'number' || /^\d+$/.test(String(target))) return String(target);
    return namedContainerPort(service, String(target), objects);
  };
  const map = (list: unknown[] | undefined) => list && list.map(podPort).filter((p): p is string => p !== undefined);
  const operation = (o: any) => ({ ...o, ports: map(o.ports), notPorts: map(o.notPorts) });
  return {
    ...rule,
    to: rule?.to?.map((t: any) => (t?.operation?.ports || t?.operation?.notPorts ? { ...t, operation: operation(t.operation) } : t)),
    when: rule?.when?.map((w: any) => (w?.key === 'destination.port'
      ? { ...w, values: map(w.values), notValues: map(w.notValues) } : w)),
  };
}

/** The container port a Service's named `targetPort` resolves to on its pods, if one declares it. */
function namedContainerPort(service: KubeObject, name: string, objects: readonly KubeObject[]): string | undefined {
  const selector: Record<string, string> = service.spec?.selector ?? {};
  for (const o of objects) {
    if ((o.metadata?.namespace ?? 'default') !== (service.metadata?.namespace ?? 'default')) continue;
    const template = podTemplateOf(o);
    if (!template || !LabelSelector.matchesLabels(selector, template.labels)) continue;
    for (const c of template.spec.containers ?? []) {
      const port = (c?.ports ?? []).find((p: any) => p?.name === name);
      if (port) return String(port.containerPort);
    }
  }
  return undefined;
}
