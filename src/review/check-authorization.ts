import { HTTP_METHODS } from '../http/methods';
import { CODES } from './codes';
import { Check, Report } from './finding';
import { describe, HTTP_PROTOCOLS, Inventory, KubeObject, selects, Workload } from './inventory';

const HTTP_ONLY_FIELDS = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];

/**
 * The workloads a policy binds: by selector in its namespace, or the whole namespace. In the root namespace the
 * selector "additionally matches workloads in all namespaces" (Istio's AuthorizationPolicy reference), and a policy
 * without selector binds the whole mesh. Policies with targetRef(s) bind waypoints and gateways, not sidecars.
 */
export function policyTargets(inventory: Inventory, policy: KubeObject): Workload[] {
  const namespace = policy.metadata?.namespace ?? 'default';
  const selector = policy.spec?.selector?.matchLabels;
  if (policy.spec?.targetRef || policy.spec?.targetRefs) return [];
  if (namespace === inventory.config.rootNamespace) return selector ? inventory.workloads.filter(w => selects(selector, w)) : inventory.workloads;
  return inventory.selected(namespace, selector);
}

/** Checks a `selector.matchLabels` against the CRD's CEL rules. */
export function checkSelectorSyntax(object: KubeObject, report: Report): void {
  const selector = object.spec?.selector;
  for (const [key, value] of Object.entries<string>(selector?.matchLabels ?? {})) {
    if (!key || key.includes('*') || String(value).includes('*')) {
      report(CODES.SELECTOR_SYNTAX, object, `${describe(object)} selects "${key}: ${value}": label keys must be non-empty and selectors take no '*'`);
    }
  }
  if (selector && (object.spec?.targetRef || object.spec?.targetRefs)) {
    report(CODES.SELECTOR_SYNTAX, object, `${describe(object)} sets both selector and targetRef(s): Istio accepts only one`);
  }
}

export const checkAuthorizationPolicies: Check = (inventory, report) => {
  for (const policy of inventory.ofKind('AuthorizationPolicy')) {
    checkSelectorSyntax(policy, report);
    const action = policy.spec?.action ?? 'ALLOW';
    const targets = policyTargets(inventory, policy);
    const bound = !policy.spec?.targetRef && !policy.spec?.targetRefs;
    const namespace = policy.metadata?.namespace ?? 'default';
    if (policy.spec?.selector?.matchLabels && bound && targets.length === 0) {
      report(CODES.SELECTOR_NO_MATCH, policy, `${describe(policy)} selects ${JSON.stringify(policy.spec.selector.matchLabels)}, `
        + `which matches no workload in namespace ${namespace}: the policy does nothing`);
    } else if (!policy.spec?.selector && bound && targets.length === 0 && namespace !== inventory.config.rootNamespace
      && (policy.spec?.rules ?? []).length > 0) {
      // An allow-nothing policy (no rules) in an empty namespace is a guard for workloads to come: not reported.
      report(CODES.SELECTOR_NO_MATCH, policy, `${describe(policy)} binds the whole namespace ${namespace}, which runs no workload: `
        + 'its rules apply to nothing');
    }
    const rules: any[] | undefined = policy.spec?.rules;
    if (action === 'DENY' && (!rules || rules.length === 0)) {
      report(CODES.DENY_WITHOUT_RULES, policy, `${describe(policy)} is a DENY policy without rules: Istio rejects it as meaningless`);
    }
    for (const [r, rule] of (rules ?? []).entries()) {
      const where = `${describe(policy)} rules[${r}]`;
      for (const [f, from] of (rule.from ?? []).entries()) checkSource(inventory, policy, `${where}.from[${f}]`, from.source ?? {}, report);
      for (const [t, to] of (rule.to ?? []).entries()) {
        checkOperation(policy, action, `${where}.to[${t}]`, to.operation ?? {}, targets, report);
        checkServicePorts(inventory, policy, `${where}.to[${t}]`, to.operation ?? {}, report);
      }
    }
  }
};

function checkSource(inventory: Inventory, policy: KubeObject, where: string, source: any, report: Report): void {
  for (const field of ['principals', 'notPrincipals']) {
    for (const principal of source[field] ?? []) {
      if (String(principal).startsWith('spiffe://')) {
        report(CODES.SPIFFE_PRINCIPAL, policy, `${where}.source.${field} has "${principal}": Istio adds spiffe:// itself, so this principal never matches`, `write "${String(principal).slice('spiffe://'.length)}"`);
        continue;
      }
      const m = /^[^/*]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
      if (field === 'principals' && m && inventory.namespaces.has(m[1]) && !inventory.workloadOfPrincipal(principal)) {
        report(CODES.PRINCIPAL_UNKNOWN, policy, `${where}.source.principals has "${principal}", but no workload of namespace ${m[1]} runs as ServiceAccount ${m[2]}`);
      }
    }
  }
  if (source.serviceAccounts && (source.principals || source.namespaces)) {
    report(CODES.SERVICE_ACCOUNTS_MIXED, policy, `${where}.source sets serviceAccounts together with principals or namespaces`);
  }
  contradiction(policy, `${where}.source`, source.principals, source.notPrincipals, 'principals', report);
  contradiction(policy, `${where}.source`, source.namespaces, source.notNamespaces, 'namespaces', report);
}

function checkOperation(policy: KubeObject, action: string, where: string, operation: any, targets: Workload[], report: Report): void {
  const httpFields = HTTP_ONLY_FIELDS.filter(k => operation[k] !== undefined);
  for (const method of [...(operation.methods ?? []), ...(operation.notMethods ?? [])]) {
    if (!HTTP_METHODS.has(method)) {
      report(CODES.RULE_NEVER_MATCHES, policy, `${where}.operation names method "${method}", which no request carries (methods are upper case: ${[...HTTP_METHODS].join(', ')})`);
    }
  }
  contradiction(policy, `${where}.operation`, operation.methods, operation.notMethods, 'methods', report);
  contradiction(policy, `${where}.operation`, operation.paths, operation.notPaths, 'paths', report);
  contradiction(policy, `${where}.operation`, operation.ports, operation.notPorts, 'ports', report);
  if (targets.length === 0) return;
  const served = new Map<number, string | undefined>();
  for (const w of targets) for (const p of w.ports) served.set(p.port, served.get(p.port) ?? p.protocol);
  const ports: number[] = (operation.ports ?? []).map(Number);
  for (const port of ports) {
    if (!served.has(port)) {
      const list = [...served.keys()].join(', ') || 'no port';
      report(CODES.PORT_NOT_SERVED, policy, `${where}.operation names port ${port}, but ${targets.map(w => w.name).join(', ')} serve${targets.length === 1 ? 's' : ''} ${list}: the rule never matches`);
    }
  }
  if (httpFields.length === 0) return;
  const tcpPorts = (ports.length > 0 ? ports : [...served.keys()]).filter(p => served.has(p) && isOpaque(served.get(p)));
  if (tcpPorts.length === 0) return;
  if (ports.length === 0 && action !== 'DENY') return; // the HTTP ports still match; the TCP ones are simply not allowed
  const effect = action === 'DENY' ? 'denies every connection to' : 'matches nothing on';
  report(CODES.HTTP_ON_TCP, policy, `${where}.operation uses ${httpFields.join(', ')} on TCP port ${tcpPorts.join(', ')}: Istio sees no HTTP request there, so the ${action} rule ${effect} that port`);
}

/**
 * A policy attached to Services with `targetRefs` is enforced by their waypoint, which matches `ports` against the
 * port a request is addressed to: a Service port, not the container port behind it.
 */
function checkServicePorts(inventory: Inventory, policy: KubeObject, where: string, operation: any,
  report: Report): void {
  const refs: any[] = policy.spec?.targetRefs ?? (policy.spec?.targetRef ? [policy.spec.targetRef] : []);
  const namespace = policy.metadata?.namespace ?? 'default';
  const services = refs.filter(r => r?.kind === 'Service' && (r.group ?? '') === '')
    .map(r => inventory.service(String(r.name), namespace)).filter((s): s is KubeObject => s !== undefined);
  if (services.length === 0) return;
  const served = new Set(services.flatMap(s => (s.spec?.ports ?? []).map((p: any) => Number(p?.port))));
  for (const port of (operation.ports ?? []).map(Number)) {
    if (served.has(port)) continue;
    const names = services.map(s => s.metadata?.name).join(', ');
    const serves = `serve${services.length === 1 ? 's' : ''} ${[...served].join(', ') || 'no port'}`;
    report(CODES.PORT_NOT_SERVED, policy, `${where}.operation names port ${port}, but Service ${names} ${serves}: `
      + 'at a waypoint ports are Service ports, so the rule never matches');
  }
}

/** Whether Istio sees no HTTP on a port of this protocol (unnamed ports are sniffed: not counted). */
function isOpaque(protocol: string | undefined): boolean {
  return protocol !== undefined && !HTTP_PROTOCOLS.has(protocol);
}

function contradiction(policy: KubeObject, where: string, values: string[] | undefined, negated: string[] | undefined, field: string, report: Report): void {
  if (!values || !negated || values.length === 0) return;
  const not = new Set(negated.map(String));
  if (values.every(v => not.has(String(v)))) {
    report(CODES.RULE_NEVER_MATCHES, policy, `${where} lists every one of its ${field} (${values.join(', ')}) in not${field[0].toUpperCase()}${field.slice(1)} too: it can never match`);
  }
}
