import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Kubernetes' limits on the names this library generates (a Service per version, `<name>-callers`, ...): each
 * object's name against its kind's rule, and each label value, checked at synth on what was actually rendered, so
 * that a name the API server would refuse is an error naming the construct that made it.
 */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

interface NameRule {
  readonly max: number;
  readonly pattern: RegExp;
  readonly what: string;
}

/** Service names are DNS-1035 labels (they become DNS names), Namespaces DNS-1123 labels, the rest subdomains. */
function ruleFor(kind: string): NameRule {
  if (kind === 'Service') return { max: 63, pattern: DNS_1035_LABEL, what: "lower-case letters, digits and '-', starting with a letter" };
  if (kind === 'Namespace') return { max: 63, pattern: DNS_1123_LABEL, what: "lower-case letters, digits and '-'" };
  return { max: 253, pattern: DNS_1123_SUBDOMAIN, what: "lower-case letters, digits, '-' and '.'" };
}

/** Every rendered object under `scope` whose name or label values Kubernetes would refuse; messages name the construct. */
export function checkObjectNames(scope: IConstruct): string[] {
  const errors: string[] = [];
  for (const construct of scope.node.findAll()) {
    if (!(construct instanceof ApiObject)) continue;
    const kind = construct.kind;
    const metadata = construct.metadata.toJson();
    // A name given lazily (read from the call graph at synth) is read from the resolved metadata: rendering the whole
    // object for it would render it twice per synth. Only JSON patches, applied to the whole object, need it whole.
    const given: unknown = construct.name;
    const patched = ((construct as unknown as { patches?: unknown[] }).patches?.length ?? 0) > 0;
    const name = typeof given === 'string' ? given : String((patched ? construct.toJson().metadata : metadata)?.name);
    const rule = ruleFor(kind);
    const made = `(made at ${construct.node.path})`;
    if (name.length > rule.max) {
      errors.push(`${kind} name "${name}" ${made} is ${name.length} characters, over the ${rule.max} Kubernetes allows for a ${kind}: shorten the names (service, version, namespace) it is made of`);
    } else if (!rule.pattern.test(name)) {
      errors.push(`${kind} name "${name}" ${made} is not valid for a ${kind}: use ${rule.what}`);
    }
    const labels: Record<string, string> = metadata.labels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value === 'string' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        errors.push(`label ${key}="${value}" of ${kind} ${name} ${made} is not a label value: use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
      }
    }
  }
  return errors;
}
