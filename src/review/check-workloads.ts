import { checkSelectorSyntax, policyTargets } from './check-authorization';
import { CODES } from './codes';
import { Check } from './finding';
import { describe, protocolOfServicePort, Workload } from './inventory';
import { mtlsMode } from './mtls';

/** Where a workload's finding is reported: the object that deploys it (peers have none, so they are not reported). */
function objectOf(w: Workload) {
  return w.objects[0];
}

export const checkWorkloads: Check = (inventory, report) => {
  const covered = new Set<Workload>();
  for (const policy of inventory.ofKind('AuthorizationPolicy')) for (const w of policyTargets(inventory, policy)) covered.add(w);
  for (const w of inventory.workloads) {
    const o = objectOf(w);
    if (!o) continue;
    if (w.serviceAccount === 'default') {
      report(CODES.DEFAULT_SERVICE_ACCOUNT, o, `${describe(o)} runs as ServiceAccount "default", which every pod of namespace ${w.namespace} shares: its callers cannot be told apart`);
    }
    // A workload that declares no port serves nothing the mesh can guard (mTLS applies to declared ports only).
    if (!covered.has(w) && w.ports.length > 0) {
      report(CODES.NO_AUTHORIZATION, o, `${describe(o)} is covered by no AuthorizationPolicy: every caller may reach every port`);
    }
    const open = w.ports.filter(p => mtlsMode(inventory, w, p.port) !== 'STRICT');
    if (open.length > 0) {
      report(CODES.NOT_STRICT, o, `${describe(o)} accepts plaintext on port ${open.map(p => `${p.port} (${mtlsMode(inventory, w, p.port)})`).join(', ')}: mTLS is not STRICT`);
    }
  }
};

export const checkServices: Check = (inventory, report) => {
  for (const service of inventory.services) {
    const backends = inventory.backends(service);
    for (const [i, port] of (service.spec?.ports ?? []).entries()) {
      const label = port.name ? `"${port.name}"` : `#${i} (${port.port})`;
      if (!protocolOfServicePort(port)) {
        report(CODES.PORT_NAME, service, `${describe(service)} port ${label} has no protocol: Istio treats it as TCP or sniffs it, so HTTP routes and HTTP rules may not apply`);
      }
      const withPorts = backends.filter(w => w.ports.length > 0);
      if (withPorts.length === 0) continue;
      const target = port.targetPort ?? port.port;
      const numeric = typeof target === 'number' || /^\d+$/.test(String(target));
      const servedBySome = withPorts.some(w => w.ports.some(p => numeric ? p.port === Number(target) : p.name === target));
      if (!servedBySome) {
        report(CODES.SERVICE_TARGET_NOT_SERVED, service, `${describe(service)} port ${label} targets ${target}, which no pod of ${withPorts.map(w => w.name).join(', ')} declares`);
      }
    }
  }
};

export const checkPeerAuthentications: Check = (inventory, report) => {
  for (const pa of inventory.ofKind('PeerAuthentication')) {
    checkSelectorSyntax(pa, report);
    const selector = pa.spec?.selector?.matchLabels;
    if (pa.spec?.portLevelMtls && !selector) {
      report(CODES.PORT_LEVEL_MTLS_SELECTOR, pa, `${describe(pa)} sets portLevelMtls without a selector: the API server rejects it ("portLevelMtls requires selector")`);
    }
    if (selector && inventory.selected(pa.metadata?.namespace ?? 'default', selector).length === 0) {
      report(CODES.SELECTOR_NO_MATCH, pa, `${describe(pa)} selects ${JSON.stringify(selector)}, which matches no workload in namespace ${pa.metadata?.namespace ?? 'default'}: the policy does nothing`);
    }
  }
};
