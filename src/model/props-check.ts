import { Duration } from 'cdk8s';
import { fail } from './validation';
import { ShapeProblem, typeProblemIn, unknownKeyIn } from './props-shape';
import { PROPS_SHAPES } from './props-shapes.generated';

/**
 * Runtime checks of what callers pass to a construct or method, for JavaScript callers (and TypeScript with `any`):
 * each prop is checked once, at the construct boundary, and a wrong one throws
 * `[construct path] prop: what is wrong; fix`, never a TypeError from deep inside.
 * Messages quote the value as given (a string in quotes), so they never contradict themselves.
 */
/** How to write a prop: `image: "example/web:1.4.2"`, or just the example for a list item. */
function written(prop: string, example: string): string {
  return prop.endsWith(']') ? example : `${prop.split('.').pop()}: ${example}`;
}

/** "is missing", or "<value> is not <what>". */
function isNot(value: unknown, what: string): string {
  return value === undefined ? 'is missing' : `${describeValue(value)} is not ${what}`;
}

/**
 * Checks props given from JavaScript at the construct boundary. TypeScript only.
 * @jsii ignore
 */
export class PropsCheck {
  /** @param path the construct path errors start with (or `parent/id` for a construct not made yet) */
  public constructor(public readonly path: string) {}

  /** Throws `[path] prop: problem; fix`. */
  public fail(prop: string, problem: string, fix: string): never {
    return fail(this.path, `${prop}: ${problem}; ${fix}`);
  }

  /** A props object; `undefined` is allowed when `optional`. Returns it (or `{}`), for reading its fields. */
  public object<T>(prop: string, value: T | undefined, example: string, optional = false): T {
    if (value === undefined && optional) return {} as T;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(prop, isNot(value, 'an object'), `write ${example}`);
    }
    return value;
  }

  public string(prop: string, value: unknown, example: string, optional = false, allowEmpty = false): void {
    if (value === undefined && optional) return;
    if (typeof value !== 'string') this.fail(prop, isNot(value, 'a string'), `write ${written(prop, example)}`);
    if (value.length === 0 && !allowEmpty) this.fail(prop, 'is empty', `write ${written(prop, example)}`);
  }

  public boolean(prop: string, value: unknown, optional = true): void {
    if (value === undefined && optional) return;
    if (typeof value !== 'boolean') this.fail(prop, isNot(value, 'true or false'), `write ${written(prop, 'true or false')}`);
  }

  /** An integer from `min` to `max`. */
  public integer(prop: string, value: unknown, min: number, max: number, optional = true): void {
    if (value === undefined && optional) return;
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer of ${min} or more` : `an integer from ${min} to ${max}`;
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(prop, isNot(value, 'an integer'), `write ${range}`);
    if (value < min || value > max) this.fail(prop, `${value} is out of range`, `write ${range}`);
  }

  /** A finite number from `min` to `max`. */
  public number(prop: string, value: unknown, min: number, max: number, optional = true): void {
    if (value === undefined && optional) return;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(prop, isNot(value, 'a number'), `write a number from ${min} to ${max}`);
    if (value < min || value > max) this.fail(prop, `${value} is out of range`, `write a number from ${min} to ${max}`);
  }

  /** One of an enum's values. */
  public oneOf(prop: string, value: unknown, choices: Record<string, string>, enumName: string, optional = true): void {
    if (value === undefined && optional) return;
    const values = Object.values(choices);
    if (typeof value !== 'string' || !values.includes(value)) {
      this.fail(prop, isNot(value, `a ${enumName}`), `use one of ${Object.keys(choices).map(k => `${enumName}.${k}`).join(', ')}`);
    }
  }

  /** A list, each item checked by `each` with its index in the prop name. */
  public array<T>(prop: string, value: T[] | undefined, example: string, each: (item: T, prop: string) => void, optional = true): void {
    if (value === undefined && optional) return;
    if (!Array.isArray(value)) this.fail(prop, isNot(value, 'a list'), `write ${written(prop, example)}`);
    value.forEach((item, i) => each(item, `${prop}[${i}]`));
  }

  /** A string-keyed object, each entry checked by `each`. */
  public record<T>(prop: string, value: Record<string, T> | undefined, example: string, each: (key: string, item: T, prop: string) => void, optional = true): void {
    if (value === undefined && optional) return;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(prop, isNot(value, 'an object'), `write ${written(prop, example)}`);
    }
    for (const [key, item] of Object.entries(value)) each(key, item, `${prop}[${JSON.stringify(key)}]`);
  }

  /**
   * Refuses a key that the props interface `shape` does not declare, at any depth of `value` (nested structs, lists
   * and maps of them): `[path] resilience.retries.attemps: unknown; did you mean "attempts"?`. The interfaces are read
   * at build time (props-shapes.generated.ts), so this check never drifts from them. Run it before the other checks:
   * a misspelt key is the likelier mistake, and its value would otherwise be ignored silently.
   * @param prop the name the value goes by in messages: `''` for a construct's props (their keys stand alone),
   * `options` for a method's options
   */
  public knownKeys(prop: string, value: unknown, shape: string): void {
    described(shape);
    this.report(unknownKeyIn(PROPS_SHAPES, { struct: shape }, prop, value));
  }

  /**
   * Checks every field of `value` against the type the props interface `shape` declares for it (required fields
   * present; strings, numbers, booleans, lists, maps, enums and structs of the right kind), at any depth. Run it after
   * the hand-written checks, which say more (ranges, examples); it catches what they leave out.
   */
  public declaredTypes(prop: string, value: unknown, shape: string): void {
    described(shape);
    if (value === undefined) return;
    this.report(typeProblemIn(PROPS_SHAPES, { struct: shape }, prop, value, true));
  }

  private report(found: ShapeProblem | undefined): void {
    if (!found) return;
    this.fail(found.prop || 'props', found.problem ?? isNot(found.value, found.expected!), found.fix);
  }

  /** A cdk8s Duration. */
  public duration(prop: string, value: unknown, optional = true): void {
    if (value === undefined && optional) return;
    if (!(value instanceof Duration)) {
      const hint = typeof value === 'number' ? `Duration.seconds(${value}) or Duration.millis(${value})` : 'Duration.seconds(30)';
      this.fail(prop, isNot(value, 'a Duration'), `write ${hint} (Duration from cdk8s)`);
    }
  }

  /** An instance made by a class's factories, for example a HealthCheck. */
  // eslint-disable-next-line @typescript-eslint/ban-types
  public instance(prop: string, value: unknown, type: Function, example: string, optional = true): void {
    if (value === undefined && optional) return;
    if (!(value instanceof type)) this.fail(prop, isNot(value, `a ${type.name}`), `write ${example}`);
  }
}

/** A shape the library's own code names must be in the description: a renamed interface needs it regenerated. */
function described(shape: string): void {
  if (!Object.prototype.hasOwnProperty.call(PROPS_SHAPES, shape)) {
    throw new Error(`props-shapes.generated.ts describes no "${shape}": run node bin/generate-props-shapes.js`);
  }
}

/** A value as the user wrote it, with its type where the type is the problem: `"8080" (a string)`, `null`, `a function`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length === 0 ? '"" (an empty string)' : `${JSON.stringify(value)} (a string)`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return `a list (${value.length} item${value.length === 1 ? '' : 's'})`;
  if (value instanceof Duration) return `a Duration (${value.toMilliseconds()}ms)`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}
