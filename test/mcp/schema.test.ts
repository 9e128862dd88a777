import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErlmcpError } from '../../src/core/errors.js';
import { compileSchema, dialectOf, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, SchemaValidator } from '../../src/mcp/schema.js';

const ECHO = {
  type: 'object',
  properties: { message: { type: 'string' }, count: { type: 'integer', minimum: 0 } },
  required: ['message'],
  additionalProperties: false,
};

function invalidSchema(schema: unknown): ErlmcpError {
  try {
    new SchemaValidator().compile(schema as never);
  } catch (err) {
    expect(err).toBeInstanceOf(ErlmcpError);
    expect((err as ErlmcpError).code).toBe('ERR_INVALID_ARG');
    return err as ErlmcpError;
  }
  throw new Error('expected the schema to be rejected');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SchemaValidator: arguments', () => {
  const v = new SchemaValidator();

  it('accepts valid arguments', () => {
    expect(v.validate(ECHO, { message: 'hi' })).toEqual({ ok: true });
    expect(v.validate(ECHO, { message: 'hi', count: 3 }, 'arguments')).toEqual({ ok: true });
  });

  it('names the path and the problem in one line', () => {
    expect(v.validate(ECHO, { message: 42 }, 'arguments')).toEqual({
      ok: false,
      message: 'arguments/message must be string',
    });
    expect(v.validate(ECHO, { message: 'x', count: -1 }, 'arguments')).toEqual({
      ok: false,
      message: 'arguments/count must be >= 0',
    });
  });

  it('reports missing required properties', () => {
    expect(v.validate(ECHO, {}, 'arguments')).toEqual({
      ok: false,
      message: "arguments must have required property 'message'",
    });
  });

  it('reports additional properties by name', () => {
    expect(v.validate(ECHO, { message: 'x', extra: 1 }, 'arguments')).toEqual({
      ok: false,
      message: 'arguments must NOT have additional properties ("extra")',
    });
  });

  it('reports the wrong root type', () => {
    expect(v.validate(ECHO, 'nope', 'arguments')).toEqual({ ok: false, message: 'arguments must be object' });
    expect(v.validate(ECHO, null)).toEqual({ ok: false, message: 'value must be object' });
  });

  it('reports nested paths', () => {
    const schema = {
      type: 'object',
      properties: {
        user: {
          type: 'object',
          properties: { tags: { type: 'array', items: { type: 'string', maxLength: 3 } } },
        },
      },
    };
    expect(v.validate(schema, { user: { tags: ['ok', 'toolong'] } }, 'arguments')).toEqual({
      ok: false,
      message: 'arguments/user/tags/1 must NOT have more than 3 characters',
    });
  });

  it('stops at the first error (allErrors is off)', () => {
    const r = v.validate(ECHO, { message: 1, count: 'x' }, 'arguments');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).not.toContain(';');
  });

  it('summarises at most three errors when a combinator yields several', () => {
    const schema = {
      anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array' }, { type: 'null' }],
    };
    const r = v.validate(schema, {});
    expect(r).toEqual({
      ok: false,
      message: 'value must be string; value must be number; value must be boolean; and 3 more',
    });
  });

  it('returns the same frozen success object every time (no allocation on success)', () => {
    const validate = v.compile(ECHO);
    const a = validate({ message: 'a' });
    const b = validate({ message: 'b' });
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('ignores unknown keywords and unknown formats (strict is off)', () => {
    const schema = { type: 'object', 'x-ui-widget': 'textarea', properties: { a: { type: 'string', format: 'nope' } } };
    expect(v.validate(schema, { a: 'anything' })).toEqual({ ok: true });
  });

  it('accepts boolean schemas', () => {
    expect(v.validate(true, 123)).toEqual({ ok: true });
    expect(v.validate(false, 123, 'arguments')).toEqual({
      ok: false,
      message: 'arguments is not allowed (schema is false)',
    });
  });

  it('does not mutate the data (no defaults, no coercion)', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', default: 5 } } };
    const data = { m: '1' };
    expect(v.validate(schema, data)).toEqual({ ok: true });
    expect(data).toEqual({ m: '1' });
    expect(v.validate({ type: 'object', properties: { n: { type: 'integer' } } }, { n: '1' }).ok).toBe(false);
  });
});

describe('SchemaValidator: formats', () => {
  const v = new SchemaValidator();
  const schema = {
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email' },
      uri: { type: 'string', format: 'uri' },
      when: { type: 'string', format: 'date-time' },
    },
  };

  it('accepts well-formed values', () => {
    expect(
      v.validate(schema, { email: 'ada@example.com', uri: 'https://example.com/a?b=c', when: '2025-11-25T10:00:00Z' }),
    ).toEqual({ ok: true });
  });

  it.each([
    [{ email: 'not an email' }, 'arguments/email must match format "email"'],
    [{ uri: 'no scheme' }, 'arguments/uri must match format "uri"'],
    [{ when: '2025-13-40' }, 'arguments/when must match format "date-time"'],
    [{ when: '2025-11-25T10:00:00' }, 'arguments/when must match format "date-time"'],
  ])('rejects %j', (data, message) => {
    expect(v.validate(schema, data, 'arguments')).toEqual({ ok: false, message });
  });
});

describe('SchemaValidator: dialects', () => {
  const v = new SchemaValidator();

  it('treats a schema without $schema as 2020-12', () => {
    expect(dialectOf({ type: 'object' })).toBe('2020-12');
    // prefixItems is 2020-12 only; draft-07 would ignore it.
    const tuple = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] };
    expect(v.validate(tuple, ['a', 1])).toEqual({ ok: true });
    expect(v.validate(tuple, ['a', 'b'])).toEqual({ ok: false, message: 'value/1 must be number' });
  });

  it('uses 2020-12 when $schema says so', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: { name: { type: 'string', minLength: 1 } },
      type: 'object',
      properties: { name: { $ref: '#/$defs/name' } },
    };
    expect(dialectOf(schema)).toBe('2020-12');
    expect(v.validate(schema, { name: 'a' })).toEqual({ ok: true });
    expect(v.validate(schema, { name: '' })).toEqual({
      ok: false,
      message: 'value/name must NOT have fewer than 1 characters',
    });
  });

  it('uses draft-07 when $schema says so', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { n: { type: 'integer' } },
      type: 'array',
      // draft-07 tuple form: items as an array, additionalItems for the rest.
      items: [{ type: 'string' }, { $ref: '#/definitions/n' }],
      additionalItems: false,
    };
    expect(dialectOf(schema)).toBe('draft-07');
    expect(v.validate(schema, ['a', 1])).toEqual({ ok: true });
    expect(v.validate(schema, ['a', 1.5])).toEqual({ ok: false, message: 'value/1 must be integer' });
    expect(v.validate(schema, ['a', 1, 2])).toEqual({ ok: false, message: 'value must NOT have more than 2 items' });
    expect(dialectOf({ $schema: 'http://json-schema.org/draft-07/schema' })).toBe('draft-07');
  });

  it('refuses other dialects', () => {
    expect(invalidSchema({ $schema: 'http://json-schema.org/draft-04/schema#' }).message).toMatch(
      /unsupported dialect "http:\/\/json-schema.org\/draft-04\/schema#"/,
    );
    expect(invalidSchema({ $schema: 7 }).message).toMatch(/\$schema must be a string/);
  });
});

describe('SchemaValidator: invalid schemas', () => {
  it('names an invalid keyword value', () => {
    expect(invalidSchema({ type: 'strnig' }).message).toMatch(/^Invalid JSON Schema: schema is invalid: data\/type/);
    expect(invalidSchema({ type: 'object', required: 'name' }).message).toMatch(/required must be array/);
  });

  it('names an unresolvable $ref', () => {
    expect(invalidSchema({ $ref: '#/$defs/missing' }).message).toMatch(/can't resolve reference #\/\$defs\/missing/);
  });

  it('names a pattern that is not a regular expression', () => {
    expect(invalidSchema({ type: 'string', pattern: '(' }).message).toMatch(
      /^Invalid JSON Schema: Invalid regular expression/,
    );
  });

  it('refuses a schema that is not an object or a boolean', () => {
    expect(invalidSchema(null).message).toMatch(/must be an object or a boolean, got null/);
    expect(invalidSchema([]).message).toMatch(/got array/);
    expect(invalidSchema('string').message).toMatch(/got string/);
  });

  it('keeps the ajv error as the cause', () => {
    expect(invalidSchema({ type: 'strnig' }).cause).toBeInstanceOf(Error);
  });

  it('does not let two schemas with the same $id collide', () => {
    const v = new SchemaValidator();
    const a = v.compile({ $id: 'https://example.com/tool.json', type: 'string' });
    const b = v.compile({ $id: 'https://example.com/tool.json', type: 'number' });
    expect(a('x')).toEqual({ ok: true });
    expect(b(1)).toEqual({ ok: true });
    expect(b('x').ok).toBe(false);
  });
});

describe('SchemaValidator: compile once', () => {
  it('caches by schema object identity', () => {
    const compile2020 = vi.spyOn(Ajv2020.prototype, 'compile');
    const v = new SchemaValidator();
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const first = v.compile(schema);
    expect(v.compile(schema)).toBe(first);
    v.validate(schema, { a: 'x' });
    v.validate(schema, { a: 1 });
    expect(compile2020).toHaveBeenCalledTimes(1);
    // A structurally equal but different object is a different cache entry.
    const other = v.compile({ ...schema });
    expect(other).not.toBe(first);
    expect(compile2020).toHaveBeenCalledTimes(2);
  });

  it('caches draft-07 schemas too, on the draft-07 instance', () => {
    const compile07 = vi.spyOn(Ajv.prototype, 'compile');
    const v = new SchemaValidator();
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' };
    v.compile(schema);
    v.compile(schema);
    expect(compile07).toHaveBeenCalledTimes(1);
  });

  it('does not cache a schema that failed to compile', () => {
    const v = new SchemaValidator();
    const bad = { type: 'strnig' };
    expect(() => v.compile(bad)).toThrow(ErlmcpError);
    expect(() => v.compile(bad)).toThrow(ErlmcpError);
  });

  it('keeps separate caches per validator, and compileSchema shares one process-wide', () => {
    const schema = { type: 'integer' };
    expect(new SchemaValidator().compile(schema)).not.toBe(new SchemaValidator().compile(schema));
    const shared = compileSchema(schema);
    expect(compileSchema(schema)).toBe(shared);
    expect(shared(1)).toEqual({ ok: true });
    expect(shared(1.5, 'structuredContent')).toEqual({ ok: false, message: 'structuredContent must be integer' });
  });
});

describe('bounds (MCP 2026-07-28: no network $ref, bounded composition)', () => {
  it('refuses a $ref to the network instead of fetching it', () => {
    const v = new SchemaValidator();
    expect(() => v.compile({ type: 'object', properties: { a: { $ref: 'https://example.com/schema.json' } } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG' }),
    );
  });

  it('refuses schemas nested deeper than MAX_SCHEMA_DEPTH', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) deep = { allOf: [deep] };
    expect(() => new SchemaValidator().compile(deep)).toThrow(/nested deeper than 64 levels/);
  });

  it('refuses schemas with more than MAX_SCHEMA_NODES subschemas, accepts one just under', () => {
    const wide = (n: number) => ({ anyOf: Array.from({ length: n }, () => ({ type: 'string' })) });
    expect(() => new SchemaValidator().compile(wide(MAX_SCHEMA_NODES))).toThrow(/more than 10000 subschemas/);
    expect(new SchemaValidator().compile(wide(4_000))('x').ok).toBe(true);
  });
});
