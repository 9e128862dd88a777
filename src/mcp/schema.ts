/**
 * JSON Schema validation of tool arguments and structured outputs, on ajv. A schema is
 * compiled once (when the tool is registered) and the compiled function is what runs per call:
 * on success it is one function call that allocates nothing.
 *
 * Dialects: MCP 2025-11-25 makes draft 2020-12 the default (a schema without `$schema` is
 * 2020-12); draft-07 is used when `$schema` names it, since many tool schemas in the wild are
 * generated as draft-07. Other dialects are refused rather than silently validated by the
 * wrong rules.
 */

import Ajv, { type ValidateFunction as AjvValidate, type ErrorObject, type Options } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ErlmcpError } from '../core/errors.js';
import type { JsonSchema } from './types.js';

/** A schema: an object, or the boolean schemas `true` (anything) and `false` (nothing). */
export type Schema = JsonSchema | boolean;

/** The outcome of a validation. `message` is one line, e.g. `arguments/message must be string`. */
export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * A compiled validator. `name` is what the message calls the root of the value (default
 * `'value'`; tools pass `'arguments'` or `'structuredContent'`).
 */
export type Validate = (data: unknown, name?: string) => ValidationResult;

/** The dialects a schema can be written in. */
export type Dialect = '2020-12' | 'draft-07';

/** At most this many ajv errors go into a message (more only occur under anyOf/oneOf). */
const MAX_REPORTED_ERRORS = 3;

/** Shared, frozen: the success path returns it rather than allocating a result. */
const OK: ValidationResult = Object.freeze({ ok: true });

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * The dialect of `schema`: 2020-12 when `$schema` is absent (MCP 2025-11-25's default).
 * @throws ErlmcpError `ERR_INVALID_ARG` when `$schema` is not a string or names another dialect.
 */
export function dialectOf(schema: Schema): Dialect {
  if (typeof schema === 'boolean') return '2020-12';
  const uri = schema.$schema;
  if (uri === undefined) return '2020-12';
  if (typeof uri !== 'string')
    throw new ErlmcpError('ERR_INVALID_ARG', 'Invalid JSON Schema: $schema must be a string');
  if (DRAFT_2020_12.test(uri)) return '2020-12';
  if (DRAFT_07.test(uri)) return 'draft-07';
  throw new ErlmcpError(
    'ERR_INVALID_ARG',
    `Invalid JSON Schema: unsupported dialect ${JSON.stringify(uri)} (supported: draft 2020-12, draft-07)`,
  );
}

/**
 * Bounds on a schema's size (MCP 2026-07-28: implementations SHOULD bound composition cost):
 * a schema nested deeper or holding more subschemas than this is refused at registration, so
 * no schema can make validating one call cost more than a few thousand node visits.
 */
export const MAX_SCHEMA_DEPTH = 64;
export const MAX_SCHEMA_NODES = 10_000;

/** ERR_INVALID_ARG when `schema` is deeper or larger than the bounds above. */
function checkBounds(schema: JsonSchema): void {
  let nodes = 0;
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null) return;
    if (depth > MAX_SCHEMA_DEPTH) {
      throw new ErlmcpError('ERR_INVALID_ARG', `Invalid JSON Schema: nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
    }
    if (++nodes > MAX_SCHEMA_NODES) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `Invalid JSON Schema: more than ${MAX_SCHEMA_NODES} subschemas and values`,
      );
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
  };
  walk(schema, 0);
}

const AJV_OPTIONS: Options = {
  // Tool schemas in the wild carry unknown keywords and formats: tolerate them, do not fail.
  strict: false,
  // The first error is enough for a model to correct its call, and stopping there is faster.
  allErrors: false,
  // Schemas with the same $id (copy-pasted tool schemas) must not collide in ajv's registry.
  addUsedSchema: false,
  // ajv would warn about ignored unknown formats on the console: noise for stdio servers.
  logger: false,
};

/** One line from ajv's errors: `<name><instancePath> <message>`, at most a few of them. */
function describe(errors: readonly ErrorObject[] | null | undefined, name: string): string {
  if (!errors || errors.length === 0) return `${name} is invalid`;
  const parts: string[] = [];
  for (const e of errors.slice(0, MAX_REPORTED_ERRORS)) {
    let text = `${name}${e.instancePath} ${e.message ?? 'is invalid'}`;
    const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
    if (e.keyword === 'additionalProperties' && typeof extra === 'string') text += ` (${JSON.stringify(extra)})`;
    parts.push(text);
  }
  if (errors.length > MAX_REPORTED_ERRORS) parts.push(`and ${errors.length - MAX_REPORTED_ERRORS} more`);
  return parts.join('; ');
}

function wrap(fn: AjvValidate): Validate {
  return (data, name = 'value') => (fn(data) ? OK : { ok: false, message: describe(fn.errors, name) });
}

const ACCEPT_ALL: Validate = () => OK;
const REJECT_ALL: Validate = (_data, name = 'value') => ({
  ok: false,
  message: `${name} is not allowed (schema is false)`,
});

/**
 * Compiles JSON Schemas to validators and caches them by schema object identity, so registering
 * the same schema object for several tools compiles it once. Schemas must not be mutated after
 * their first compilation (the cache would keep the old validator). Note that ajv's instances
 * keep what they compiled (about 3 KB per small schema) for their lifetime, so a server that
 * registers an unbounded stream of distinct schemas should use a fresh validator now and then.
 */
export class SchemaValidator {
  readonly #cache = new WeakMap<object, Validate>();
  #ajv2020: Ajv2020 | undefined;
  #ajv07: Ajv | undefined;

  /**
   * The validator for `schema`, compiled on first use and cached by object identity.
   * @throws ErlmcpError `ERR_INVALID_ARG` when `schema` is not an object or boolean, names an
   *   unsupported `$schema`, is deeper or larger than MAX_SCHEMA_DEPTH / MAX_SCHEMA_NODES, or is
   *   not a valid schema (the message carries ajv's reason, e.g. an unknown `type`, or a `$ref`
   *   that does not resolve inside the schema: network `$ref`s are never fetched).
   */
  compile(schema: Schema): Validate {
    if (schema === true) return ACCEPT_ALL;
    if (schema === false) return REJECT_ALL;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `Invalid JSON Schema: must be an object or a boolean, got ${Array.isArray(schema) ? 'array' : schema === null ? 'null' : typeof schema}`,
      );
    }
    const cached = this.#cache.get(schema);
    if (cached) return cached;
    checkBounds(schema);
    const ajv = dialectOf(schema) === 'draft-07' ? this.#draft07() : this.#draft2020();
    let fn: AjvValidate;
    try {
      fn = ajv.compile(schema);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ErlmcpError('ERR_INVALID_ARG', `Invalid JSON Schema: ${reason}`, { cause: err });
    }
    const validate = wrap(fn);
    this.#cache.set(schema, validate);
    return validate;
  }

  /**
   * Validates `data` against `schema` (compiling it on first use).
   * @param name what the message calls the root of `data` (default `'value'`).
   * @throws ErlmcpError `ERR_INVALID_ARG` when the schema is invalid (see {@link compile}).
   */
  validate(schema: Schema, data: unknown, name = 'value'): ValidationResult {
    return this.compile(schema)(data, name);
  }

  // Instances are created lazily: most servers only ever see one dialect.
  #draft2020(): Ajv2020 {
    if (!this.#ajv2020) {
      this.#ajv2020 = new Ajv2020(AJV_OPTIONS);
      addFormats(this.#ajv2020);
    }
    return this.#ajv2020;
  }

  #draft07(): Ajv {
    if (!this.#ajv07) {
      this.#ajv07 = new Ajv(AJV_OPTIONS);
      addFormats(this.#ajv07);
    }
    return this.#ajv07;
  }
}

let shared: SchemaValidator | undefined;

/**
 * Compiles `schema` with a process-wide {@link SchemaValidator} (so identical schema objects
 * share one compiled function across servers).
 * @throws ErlmcpError `ERR_INVALID_ARG` when the schema is invalid (see {@link SchemaValidator.compile}).
 */
export function compileSchema(schema: Schema): Validate {
  shared ??= new SchemaValidator();
  return shared.compile(schema);
}
