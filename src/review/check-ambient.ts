import { isAmbient } from './ambient';
import { CODES } from './codes';
import { Check } from './finding';

const HTTP_OPERATION = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];
const HTTP_SOURCE = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];

/**
 * Ambient mode: every policy ztunnel enforces (a `selector`, or none) must be L4 only. Ingress gateways are Envoy
 * proxies of their own and keep full L7 semantics: a policy selecting one (`istio: ingressgateway`) is left alone.
 */
export const checkAmbientPolicies: Check = (inventory, report) => {
  if (!isAmbient(inventory.objects)) return;
  for (const policy of inventory.ofKind('AuthorizationPolicy')) {
    if (policy.spec?.targetRefs || policy.spec?.targetRef) continue;
    if (policy.spec?.selector?.matchLabels?.istio === 'ingressgateway') continue;
    for (const [i, rule] of (policy.spec?.rules ?? []).entries()) {
      const fields = [
        ...(rule.to ?? []).flatMap((t: any) => HTTP_OPERATION.filter(f => t.operation?.[f] !== undefined)),
        ...(rule.from ?? []).flatMap((f: any) => HTTP_SOURCE.filter(k => f.source?.[k] !== undefined)),
        ...((rule.when ?? []).length > 0 ? ['when'] : []),
      ];
      if (fields.length === 0) continue;
      const effect = (policy.spec?.action ?? 'ALLOW') === 'DENY' ? 'enforces it without them, denying more than written' : 'never matches it, refusing the calls it admits';
      report(CODES.AMBIENT_L7_AT_ZTUNNEL, policy, `AuthorizationPolicy ${policy.metadata?.namespace}/${policy.metadata?.name} rules[${i}] names ${[...new Set(fields)].join(', ')}, which ztunnel cannot enforce: it ${effect}`);
    }
  }
};
