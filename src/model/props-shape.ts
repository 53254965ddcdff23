/**
 * The shape of a props interface as data, generated from the TypeScript interfaces (bin/generate-props-shapes.js
 * writes props-shapes.generated.ts), and the two walks over a value that use it: keys the interface does not declare,
 * and fields whose type is not the declared one. Ranges and rules between fields stay with each construct.
 */

/** A field's type: a primitive, or a struct, list, map, enum, class instance, union or literal. */
export type FieldType = 'string' | 'number' | 'boolean' | 'function' | 'any' | {
  readonly struct?: string;
  readonly array?: FieldType;
  readonly record?: FieldType;
  readonly enum?: string;
  readonly values?: readonly string[];
  readonly names?: readonly string[];
  /** An object of its own (a class instance, another package's type, an `I...` interface): its keys are not walked. */
  readonly instance?: string;
  readonly oneOf?: readonly FieldType[];
  readonly literal?: boolean;
};

export interface PropsField {
  readonly optional: boolean;
  readonly type: FieldType;
}

export interface PropsShape {
  /** What takes it, as `new Class(param)`, `Class#method(param)`, `Class.staticMethod(param)`, `function(param)`. */
  readonly takenBy?: readonly string[];
  readonly fields: Readonly<Record<string, PropsField>>;
}

/**
 * A problem found by a walk: the prop (`resilience.retries.attempts`, `ports[1].protocol`), and either `problem`
 * (`unknown`, `is missing`) or the `value` that is not `expected`; then the fix.
 */
export interface ShapeProblem {
  readonly prop: string;
  readonly problem?: string;
  readonly value?: unknown;
  readonly expected?: string;
  readonly fix: string;
}

type Shapes = Readonly<Record<string, PropsShape>>;

const join = (prop: string, key: string) => (prop ? `${prop}.${key}` : key);

/** An object literal or a map, as opposed to a class instance (a Duration, an EnvValue) or a list. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The first key, anywhere in `value`, that its interface does not declare, with the nearest declared key. */
export function unknownKeyIn(shapes: Shapes, type: FieldType, prop: string, value: unknown): ShapeProblem | undefined {
  if (value === undefined || value === null || typeof type === 'string') return undefined;
  if (type.struct !== undefined) {
    if (!isPlainObject(value)) return undefined;
    const fields = shapes[type.struct].fields;
    for (const key of Object.keys(value)) {
      const field = fields[key];
      if (field === undefined) {
        const suggestion = nearest(key, Object.keys(fields));
        return { prop: join(prop, key), problem: 'unknown', fix: `did you mean ${JSON.stringify(suggestion)}?` };
      }
      const found = unknownKeyIn(shapes, field.type, join(prop, key), value[key]);
      if (found) return found;
    }
    return undefined;
  }
  if (type.array !== undefined) {
    if (!Array.isArray(value)) return undefined;
    for (let i = 0; i < value.length; i++) {
      const found = unknownKeyIn(shapes, type.array, `${prop}[${i}]`, value[i]);
      if (found) return found;
    }
    return undefined;
  }
  if (type.record !== undefined) {
    if (!isPlainObject(value)) return undefined;
    for (const [key, item] of Object.entries(value)) {
      const found = unknownKeyIn(shapes, type.record, `${prop}[${JSON.stringify(key)}]`, item);
      if (found) return found;
    }
    return undefined;
  }
  if (type.oneOf !== undefined) {
    const member = type.oneOf.find(t => fits(t, value));
    return member === undefined ? undefined : unknownKeyIn(shapes, member, prop, value);
  }
  return undefined;
}

/** The first field, anywhere in `value`, missing though required, or not of its declared type. */
export function typeProblemIn(
  shapes: Shapes, type: FieldType, prop: string, value: unknown, optional: boolean,
): ShapeProblem | undefined {
  if (value === undefined) {
    return optional ? undefined : { prop, problem: 'is missing', fix: `write ${written(prop, type)}` };
  }
  if (!fits(type, value)) return { prop, value, expected: what(type), fix: `write ${written(prop, type)}` };
  if (typeof type === 'string') return undefined;
  if (type.struct !== undefined) {
    for (const [key, field] of Object.entries(shapes[type.struct].fields)) {
      const item = (value as Record<string, unknown>)[key];
      const found = typeProblemIn(shapes, field.type, join(prop, key), item, field.optional);
      if (found) return found;
    }
  } else if (type.array !== undefined) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const found = typeProblemIn(shapes, type.array, `${prop}[${i}]`, items[i], false);
      if (found) return found;
    }
  } else if (type.record !== undefined) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const found = typeProblemIn(shapes, type.record, `${prop}[${JSON.stringify(key)}]`, item, false);
      if (found) return found;
    }
  } else if (type.oneOf !== undefined) {
    return typeProblemIn(shapes, type.oneOf.find(t => fits(t, value))!, prop, value, optional);
  }
  return undefined;
}

/** Whether `value` is of the kind `type` names, without looking inside it. */
function fits(type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'any': return true;
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    case 'function': return typeof value === 'function';
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type.struct !== undefined || type.record !== undefined) return isObject;
  if (type.array !== undefined) return Array.isArray(value);
  if (type.values !== undefined) return typeof value === 'string' && type.values.includes(value);
  if (type.instance !== undefined) return isObject || typeof value === 'function';
  if (type.oneOf !== undefined) return type.oneOf.some(t => fits(t, value));
  if (type.literal !== undefined) return value === type.literal;
  return true;
}

/** "a string", "a list", "a Protocol", "a string or an EnvValue". */
function what(type: FieldType): string {
  switch (type) {
    case 'any': return 'anything';
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'function': return 'a function';
  }
  if (type.struct !== undefined || type.record !== undefined) return 'an object';
  if (type.array !== undefined) return 'a list';
  if (type.enum !== undefined) return `a ${type.enum}`;
  if (type.instance !== undefined) return /^[AEIOU]/.test(type.instance) ? `an ${type.instance}` : `a ${type.instance}`;
  if (type.oneOf !== undefined) return type.oneOf.map(what).join(' or ');
  return String(type.literal);
}

/** The fix: `write ${prop}: <what>`, or the enum's members as `use` does for a hand-checked enum. */
function written(prop: string, type: FieldType): string {
  if (typeof type === 'object' && type.enum !== undefined) {
    return `one of ${(type.names ?? type.values ?? []).map(n => `${type.enum}.${n}`).join(', ')}`;
  }
  const last = prop.endsWith(']') ? '' : `${prop.split('.').pop()}: `;
  return `${last}${what(type)}`;
}

/** The candidate nearest to `key` by edit distance (ignoring case), the first of equals. */
export function nearest(key: string, candidates: readonly string[]): string {
  let best = candidates[0];
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
