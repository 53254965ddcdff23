import { CODES } from './codes';
import { Check } from './finding';
import { describe, Inventory, KubeObject, selects, Workload } from './inventory';
import { mtlsMode } from './mtls';
import { rolloutRelabelledSubsets, templateLabels } from './rollout-routing';

/** The workloads behind a DestinationRule or route host (none for an external or wildcard host). */
export function hostWorkloads(inventory: Inventory, host: string, namespace: string): Workload[] {
  const service = inventory.service(host, namespace);
  if (service) return inventory.backends(service);
  // A peer of another chart, known by name only: `name.namespace.svc...`.
  const [name, ns] = inventory.fqdn(host, namespace).split('.');
  return inventory.workloadsIn(ns).filter(w => w.peer && w.name === name);
}

/** TLS settings of a DestinationRule: the top level, its port-level settings, and each subset's. */
function tlsSettings(dr: KubeObject): Array<{ where: string; mode: string }> {
  const found: Array<{ where: string; mode: string }> = [];
  const visit = (policy: any, where: string) => {
    if (!policy) return;
    if (policy.tls) found.push({ where: `${where}.tls`, mode: policy.tls.mode ?? 'DISABLE' });
    for (const [i, p] of (policy.portLevelSettings ?? []).entries()) {
      if (p.tls) found.push({ where: `${where}.portLevelSettings[${i}].tls`, mode: p.tls.mode ?? 'DISABLE' });
    }
  };
  visit(dr.spec?.trafficPolicy, 'trafficPolicy');
  for (const [i, s] of (dr.spec?.subsets ?? []).entries()) visit(s.trafficPolicy, `subsets[${i}].trafficPolicy`);
  return found;
}

export const checkDestinationRules: Check = (inventory, report) => {
  const hosts = new Map<string, KubeObject[]>();
  const relabelled = rolloutRelabelledSubsets(inventory);
  for (const dr of inventory.ofKind('DestinationRule')) {
    const namespace = dr.metadata?.namespace ?? 'default';
    const host: string = dr.spec?.host ?? '';
    const workloads = host.includes('*') ? [] : hostWorkloads(inventory, host, namespace);
    const external = host.includes('*') || !inventory.isClusterHost(host);
    if (!external && workloads.length === 0 && !inventory.service(host, namespace)) {
      report(CODES.DR_HOST_UNKNOWN, dr, `${describe(dr)} has host "${host}", which names no Service or declared workload`);
    }
    if (!dr.spec?.workloadSelector) {
      const key = inventory.fqdn(host, namespace);
      hosts.set(key, [...(hosts.get(key) ?? []), dr]);
    }

    for (const { where, mode } of tlsSettings(dr)) {
      if (mode === 'ISTIO_MUTUAL') continue;
      const strict = workloads.filter(w => w.ports.some(p => mtlsMode(inventory, w, p.port) === 'STRICT') || (w.ports.length === 0 && mtlsMode(inventory, w, 0) === 'STRICT'));
      if (strict.length > 0) {
        report(CODES.DR_TLS_STRICT, dr, `${describe(dr)} sets ${where}.mode ${mode} for "${host}", whose workload ${strict.map(w => `${w.namespace}/${w.name}`).join(', ')} requires STRICT mTLS: callers would send non-Istio TLS and get 503s`);
      } else if (workloads.length > 0) {
        report(CODES.DR_TLS_PERMISSIVE, dr, `${describe(dr)} sets ${where}.mode ${mode} for "${host}": Istio mTLS is off for calls to it, so policies cannot see the caller's identity`);
      }
    }

    const seen = new Set<string>();
    for (const [i, subset] of (dr.spec?.subsets ?? []).entries()) {
      const name = subset.name ?? `#${i}`;
      if (seen.has(name)) report(CODES.DUPLICATE_SUBSET, dr, `${describe(dr)} defines subset "${name}" twice`);
      seen.add(name);
      const declared: Record<string, string> | undefined = subset.labels;
      const labels = declared && templateLabels(declared, relabelled.has(`${namespace}/${dr.metadata?.name}/${name}`));
      if (!labels || Object.keys(labels).length === 0) {
        report(CODES.SUBSET_NO_LABELS, dr, `${describe(dr)} subset "${name}" has no labels, so it is every pod of "${host}"`);
        continue;
      }
      // A Service that exists without pods has none in the subset either; a host known by no Service is SM1005's.
      if (external || (workloads.length === 0 && !inventory.service(host, namespace))) continue;
      if (!workloads.some(w => selects(labels, w))) {
        const known = workloads.flatMap(w => w.podLabels.map(l => JSON.stringify(l))).join(', ') || 'none';
        report(CODES.SUBSET_NO_PODS, dr, `${describe(dr)} subset "${name}" selects ${JSON.stringify(labels)}, which no pod of "${host}" carries (pods: ${known}): requests to it get 503 UH`);
      }
    }
  }
  // Each DestinationRule of a shared host is reported, naming the others.
  for (const [key, drs] of hosts) {
    if (drs.length < 2) continue;
    for (const dr of drs) {
      const others = drs.filter(o => o !== dr).map(describe).join(', ');
      report(CODES.DUPLICATE_SUBSET, dr, `${describe(dr)} and ${others} all configure host "${key}": `
        + 'Istio merges them unpredictably');
    }
  }
};
