/**
 * How many hosts each sidecar proxy is programmed with, read from rendered YAML by Istio's Sidecar rules
 * (https://istio.io/latest/docs/reference/config/networking/sidecar/): without a Sidecar a proxy holds
 * every host exported to its namespace; with one, only the hosts its egress listeners name.
 */

/** A Kubernetes object as read back from YAML. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec?: any;
}

/** A host in the service registry: a Service's FQDN or a ServiceEntry host, with the namespace that declares it. */
export interface RegistryHost {
  readonly host: string;
  readonly namespace: string;
  /** Istio `exportTo`: `*` (default), `.`, `~` or namespace names. */
  readonly exportTo?: readonly string[];
}

export interface HostCounts {
  readonly mean: number;
  readonly max: number;
}

export interface DataPlane {
  /** Proxies: one per Deployment in an injected namespace. */
  readonly proxies: number;
  /** Hosts in the registry: rendered Services and ServiceEntry hosts, plus the `extra` hosts given. */
  readonly registry: number;
  readonly withoutScoping: HostCounts;
  /** Absent when the render has no Sidecar. */
  readonly withScoping?: HostCounts;
  /** Proxies that no Sidecar selects (their namespace has no default, nor the root namespace). */
  readonly unscoped: number;
}

const ROOT_NAMESPACE = 'istio-system';

/**
 * Counts the hosts each proxy sees with the render's Sidecars and without them.
 * `extra`: hosts that exist in the cluster without being rendered here (peers of other charts, istiod).
 */
export function dataPlane(objects: readonly Manifest[], extra: readonly RegistryHost[] = [], clusterDomain = 'cluster.local'): DataPlane {
  // Keyed by namespace and host: a host declared twice in one namespace is one entry.
  const byKey = new Map<string, RegistryHost>();
  const add = (h: RegistryHost) => byKey.set(`${h.namespace}/${h.host}`, h);
  extra.forEach(add);
  for (const o of objects) {
    if (o.kind === 'Service' && o.apiVersion === 'v1') {
      const exportTo = o.metadata.annotations?.['networking.istio.io/exportTo']?.split(',').map(s => s.trim());
      add({ host: `${o.metadata.name}.${o.metadata.namespace}.svc.${clusterDomain}`, namespace: o.metadata.namespace!, exportTo });
    } else if (o.kind === 'ServiceEntry') {
      for (const host of o.spec?.hosts ?? []) add({ host, namespace: o.metadata.namespace!, exportTo: o.spec?.exportTo });
    }
  }
  const registry = [...byKey.values()];
  const injected = new Set(objects.filter(o => o.kind === 'Namespace' && o.metadata.labels?.['istio-injection'] === 'enabled').map(o => o.metadata.name));
  const sidecars = objects.filter(o => o.kind === 'Sidecar');
  const proxies = objects.filter(o => o.kind === 'Deployment' && injected.has(o.metadata.namespace!)
    && o.spec?.template?.metadata?.labels?.['sidecar.istio.io/inject'] !== 'false');

  const without: number[] = [];
  const withSidecar: number[] = [];
  let unscoped = 0;
  for (const proxy of proxies) {
    const namespace = proxy.metadata.namespace!;
    const labels: Record<string, string> = proxy.spec.template.metadata.labels ?? {};
    const visible = registry.filter(h => exportedTo(h, namespace));
    without.push(visible.length);
    const sidecar = sidecarFor(sidecars, namespace, labels);
    if (!sidecar) {
      unscoped++;
      withSidecar.push(visible.length);
      continue;
    }
    const patterns: string[] = (sidecar.spec?.egress ?? []).flatMap((e: any) => e.hosts ?? []);
    withSidecar.push(visible.filter(h => patterns.some(p => egressHostMatches(p, h, namespace))).length);
  }
  return {
    proxies: proxies.length,
    registry: registry.length,
    withoutScoping: counts(without),
    withScoping: sidecars.length > 0 ? counts(withSidecar) : undefined,
    unscoped,
  };
}

/** Whether a host is exported to a namespace (`exportTo` absent or `*` means every namespace). */
export function exportedTo(host: RegistryHost, namespace: string): boolean {
  const to = host.exportTo ?? ['*'];
  return to.some(t => t === '*' || t === namespace || (t === '.' && host.namespace === namespace));
}

/**
 * The Sidecar that applies to a workload: the one in its namespace whose selector matches its labels,
 * else its namespace's Sidecar without selector, else the root namespace's one without selector.
 */
export function sidecarFor(sidecars: readonly Manifest[], namespace: string, labels: Record<string, string>): Manifest | undefined {
  const selecting = sidecars.find(s => s.metadata.namespace === namespace && s.spec?.workloadSelector?.labels
    && Object.entries(s.spec.workloadSelector.labels as Record<string, string>).every(([k, v]) => labels[k] === v));
  return selecting
    ?? sidecars.find(s => s.metadata.namespace === namespace && !s.spec?.workloadSelector)
    ?? sidecars.find(s => s.metadata.namespace === ROOT_NAMESPACE && !s.spec?.workloadSelector);
}

/**
 * Whether a Sidecar egress host `namespace/dnsName` selects a registry host, for a proxy in `proxyNamespace`.
 * Namespace: `*` any, `.` the proxy's own (also for the root namespace's default), `~` none, else that namespace.
 * dnsName: `*` every host of the namespace, `*.suffix` a wildcard on the left-most label, else the exact FQDN.
 */
export function egressHostMatches(pattern: string, host: RegistryHost, proxyNamespace: string): boolean {
  const slash = pattern.indexOf('/');
  const ns = slash < 0 ? '*' : pattern.slice(0, slash);
  const dns = slash < 0 ? pattern : pattern.slice(slash + 1);
  if (ns === '~') return false;
  if (ns !== '*' && (ns === '.' ? proxyNamespace : ns) !== host.namespace) return false;
  if (dns === '*') return true;
  if (dns.startsWith('*.')) return host.host.endsWith(dns.slice(1));
  return dns === host.host;
}

function counts(values: readonly number[]): HostCounts {
  if (values.length === 0) return { mean: 0, max: 0 };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}
