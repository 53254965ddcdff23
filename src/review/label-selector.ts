/**
 * Kubernetes label selection, the one reading of it for every mesh the review evaluates: `matchLabels` (every label
 * equal) ANDed with `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`). Istio's workload selectors, Service
 * selectors and DestinationRule subsets are label maps: the `matchLabels` part alone.
 */
export class LabelSelector {
  /**
   * Whether a label selector picks a pod with these labels; `{}` picks every pod, no selector none (as a Linkerd
   * Server without `podSelector`). `NotIn` and `DoesNotExist` hold for a pod without the label.
   */
  public static selects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
    if (!selector || typeof selector !== 'object') return false;
    const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    if (!LabelSelector.matchesLabels(s.matchLabels, labels)) return false;
    for (const e of s.matchExpressions ?? []) {
      const { key, operator, values } = (e ?? {}) as { key?: string; operator?: string; values?: string[] };
      const has = key !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
      const listed = has && (values ?? []).includes(labels[key!]);
      if (operator === 'In' && !listed) return false;
      if (operator === 'NotIn' && listed) return false;
      if (operator === 'Exists' && !has) return false;
      if (operator === 'DoesNotExist' && has) return false;
    }
    return true;
  }

  /** Whether a label selector is empty (`{}`: no labels, no expressions), so it picks every pod it could. */
  public static isEmpty(selector: unknown): boolean {
    if (!selector || typeof selector !== 'object') return false;
    const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    return Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
  }

  /** Whether a label map (Istio's `matchLabels`, a Service selector) picks these labels; no map picks every pod. */
  public static matchesLabels(matchLabels: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
    if (!matchLabels) return true;
    for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
    return true;
  }
}
