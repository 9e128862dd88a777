/**
 * The kinds of configuration keys: what a value must look like, how an environment string
 * becomes one, and how the expected form is worded in errors and docs. One place, so the
 * validator, the env parser and docs/config.md can never disagree.
 */

interface Documented<T> {
  /** The value when nothing sets the key. */
  readonly default: T;
  /** One line for docs/config.md: what the key does (units, what 0 means). */
  readonly doc: string;
}

/** An integer in `min..max`, optionally a power of two. */
export interface IntegerSpec extends Documented<number> {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly powerOfTwo?: boolean;
}

/** A finite number in `min..max`; `min` itself excluded when `minExclusive`. */
export interface NumberSpec extends Documented<number> {
  readonly kind: 'number';
  readonly min: number;
  readonly minExclusive: boolean;
  readonly max: number;
}

export interface BooleanSpec extends Documented<boolean> {
  readonly kind: 'boolean';
}

/** A non-empty string, optionally with a further rule. */
export interface StringSpec extends Documented<string> {
  readonly kind: 'string';
  readonly rule?: { readonly form: string; readonly test: (value: string) => boolean };
}

/** One of a fixed set of strings. */
export interface EnumSpec<T extends string = string> extends Documented<T> {
  readonly kind: 'enum';
  readonly values: readonly T[];
}

/** A list of non-empty strings, or null for "not set" (the component's own policy). */
export interface ListSpec extends Documented<readonly string[] | null> {
  readonly kind: 'list';
}

export type KeySpec = IntegerSpec | NumberSpec | BooleanSpec | StringSpec | EnumSpec | ListSpec;

/** The spec kinds a value of type `T` may be declared with (the schema is checked against ErlmcpConfig). */
export type SpecFor<T> = [T] extends [boolean]
  ? BooleanSpec
  : [T] extends [number]
    ? IntegerSpec | NumberSpec
    : [T] extends [readonly string[] | null]
      ? ListSpec
      : [T] extends [string]
        ? string extends T
          ? StringSpec
          : EnumSpec<T & string>
        : never;

/** The outcome of checking or parsing one value. */
export type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

const FAIL: Checked = Object.freeze({ ok: false });

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Checks a value given as JSON (file) or by code (overrides). */
export function checkValue(spec: KeySpec, value: unknown): Checked {
  switch (spec.kind) {
    case 'integer':
      return typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= spec.min &&
        value <= spec.max &&
        (!spec.powerOfTwo || isPowerOfTwo(value))
        ? { ok: true, value }
        : FAIL;
    case 'number':
      return typeof value === 'number' &&
        Number.isFinite(value) &&
        (spec.minExclusive ? value > spec.min : value >= spec.min) &&
        value <= spec.max
        ? { ok: true, value }
        : FAIL;
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : FAIL;
    case 'string':
      return typeof value === 'string' && value !== '' && (spec.rule?.test(value) ?? true) ? { ok: true, value } : FAIL;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? { ok: true, value } : FAIL;
    case 'list':
      if (value === null) return { ok: true, value };
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')
        ? { ok: true, value: Object.freeze([...value]) }
        : FAIL;
  }
}

const TRUE = /^(?:true|1)$/i;
const FALSE = /^(?:false|0)$/i;

/** Parses an environment variable's string into the key's type, then checks it. */
export function parseEnvValue(spec: KeySpec, raw: string): Checked {
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      const text = raw.trim();
      // Number('') and Number(' ') are 0: an empty variable is a mistake, not zero.
      return text === '' ? FAIL : checkValue(spec, Number(text));
    }
    case 'boolean':
      if (TRUE.test(raw.trim())) return { ok: true, value: true };
      if (FALSE.test(raw.trim())) return { ok: true, value: false };
      return FAIL;
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return { ok: true, value: items.length === 0 ? null : Object.freeze(items) };
    }
    case 'string':
    case 'enum':
      return checkValue(spec, raw);
  }
}

/** The expected form, as error messages word it ("an integer in 0..65535"). */
export function expectedForm(spec: KeySpec, fromEnv = false): string {
  switch (spec.kind) {
    case 'integer':
      return spec.powerOfTwo ? `a power of two in ${spec.min}..${spec.max}` : `an integer in ${spec.min}..${spec.max}`;
    case 'number':
      return `a number in ${spec.minExclusive ? '(' : '['}${spec.min}, ${spec.max}]`;
    case 'boolean':
      return fromEnv ? 'true, false, 1 or 0' : 'true or false';
    case 'string':
      return spec.rule?.form ?? 'a non-empty string';
    case 'enum':
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'list':
      return fromEnv ? 'a comma-separated list' : 'an array of non-empty strings, or null';
  }
}

/** The type column of docs/config.md. */
export function typeLabel(spec: KeySpec): string {
  switch (spec.kind) {
    case 'integer':
      return spec.powerOfTwo ? `power of two, ${spec.min}..${spec.max}` : `integer, ${spec.min}..${spec.max}`;
    case 'number':
      return `number, ${spec.minExclusive ? '(' : '['}${spec.min}, ${spec.max}]`;
    case 'boolean':
      return 'boolean';
    case 'string':
      return spec.rule ? `string: ${spec.rule.form}` : 'non-empty string';
    case 'enum':
      return spec.values.map((v) => `"${v}"`).join(' | ');
    case 'list':
      return 'string[] or null (env: comma-separated)';
  }
}
