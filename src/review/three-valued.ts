/**
 * The review's three-valued logic: a condition holds (`true`), fails (`false`), or depends on what the YAML cannot
 * decide, listed as the conditions it depends on (ANDed). Istio's and Linkerd's evaluations compose with these.
 */
export type Tri = true | false | string[];

/** Both hold: false wins, then the conditions of both. */
export function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  return [...a, ...b];
}

/** Either holds: true wins, then one condition saying either. */
export function or(a: Tri, b: Tri): Tri {
  if (a === true || b === true) return true;
  if (a === false) return b;
  if (b === false) return a;
  return [`${a.join(' and ')} or ${b.join(' and ')}`];
}

