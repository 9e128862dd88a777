/**
 * SEP-2243 header/body validation (src/mcp/era/http-headers.ts): the base64 sentinel, the
 * x-mcp-header annotations a tool may carry (refused at registration with ERR_INVALID_ARG when
 * invalid), and Mcp-Param-* against the arguments: strings exact, integers numerically,
 * booleans as "true"/"false".
 */
import { describe, expect, it } from 'vitest';
import {
  checkParamHeaders,
  checkStandardHeaders,
  decodeHeaderValue,
  headerParamsOf,
} from '../../src/mcp/era/http-headers.js';
import { McpServer } from '../../src/mcp/server.js';
import { expectCode } from '../helpers.js';

const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

describe('decodeHeaderValue', () => {
  it('the spec table: plain values are literal, sentinels decode from UTF-8', () => {
    expect(decodeHeaderValue('us-west1')).toBe('us-west1');
    expect(decodeHeaderValue('=?base64?SGVsbG8sIOS4lueVjA==?=')).toBe('Hello, 世界');
    expect(decodeHeaderValue('=?base64?IHBhZGRlZCA=?=')).toBe(' padded ');
    expect(decodeHeaderValue('=?base64?bGluZTEKbGluZTI=?=')).toBe('line1\nline2');
    expect(decodeHeaderValue('=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=')).toBe('=?base64?literal?=');
  });

  it('markers are case-sensitive: an upper-case sentinel is a literal value', () => {
    expect(decodeHeaderValue('=?BASE64?SGk=?=')).toBe('=?BASE64?SGk=?=');
    expect(decodeHeaderValue('=?base64?SGk=')).toBe('=?base64?SGk=');
  });

  it.each([
    ['unpadded base64', '=?base64?SGk?='],
    ['characters outside the alphabet', '=?base64?S*k=?='],
    ['base64url alphabet', '=?base64?-_8=?='],
    ['bytes that are not UTF-8', `=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`],
    ['a truncated sentinel', '=?base64?='],
    ['a literal that only looks like a sentinel', '=?base64?literal?='],
  ])('refuses %s (undefined: the caller answers -32020)', (_what, value) => {
    expect(decodeHeaderValue(value)).toBeUndefined();
  });

  it('an empty sentinel is the empty string', () => {
    expect(decodeHeaderValue('=?base64??=')).toBe('');
  });
});

describe('checkStandardHeaders', () => {
  it('decodes Mcp-Name before comparing it with the body', () => {
    const uri = 'file:///données/é.txt';
    expect(
      checkStandardHeaders({ 'mcp-method': 'resources/read', 'mcp-name': b64(uri) }, 'resources/read', { uri }),
    ).toBeUndefined();
    const bad = checkStandardHeaders(
      { 'mcp-method': 'resources/read', 'mcp-name': '=?base64?@@@?=' },
      'resources/read',
      {
        uri,
      },
    );
    expect(bad?.code).toBe(-32020);
    expect(bad?.httpStatus).toBe(400);
    expect(bad?.message).toContain('not valid =?base64?...?=');
  });

  it('a name that looks like the sentinel must be sent encoded: sent literally it does not match', () => {
    const name = '=?base64?SGk=?=';
    // Sent literally, the server decodes it to "Hi", which is not the body's name.
    const literal = checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': name }, 'tools/call', { name });
    expect(literal?.code).toBe(-32020);
    expect(literal?.message).toContain('"Hi" does not match params.name "=?base64?SGk=?="');
    expect(
      checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': b64(name) }, 'tools/call', { name }),
    ).toBeUndefined();
  });
});

describe('x-mcp-header annotations (headerParamsOf)', () => {
  it('collects string, integer and boolean properties reachable through properties, nested too', () => {
    const params = headerParamsOf({
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        count: { type: 'integer', 'x-mcp-header': 'Count' },
        dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
        plain: { type: 'string' },
        config: {
          type: 'object',
          properties: { zone: { type: 'string', 'x-mcp-header': 'Zone_1' } },
        },
      },
    });
    expect(params).toEqual([
      { name: 'Region', path: ['region'], type: 'string' },
      { name: 'Count', path: ['count'], type: 'integer' },
      { name: 'Dry-Run', path: ['dry'], type: 'boolean' },
      { name: 'Zone_1', path: ['config', 'zone'], type: 'string' },
    ]);
    expect(headerParamsOf({ type: 'object' })).toEqual([]);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    [
      'type number',
      { properties: { n: { type: 'number', 'x-mcp-header': 'N' } } },
      'only string, integer and boolean are allowed',
    ],
    [
      'type object',
      { properties: { o: { type: 'object', 'x-mcp-header': 'O' } } },
      'only string, integer and boolean are allowed',
    ],
    [
      'type array',
      { properties: { a: { type: 'array', 'x-mcp-header': 'A' } } },
      'only string, integer and boolean are allowed',
    ],
    ['no type', { properties: { s: { 'x-mcp-header': 'S' } } }, 'only string, integer and boolean are allowed'],
    ['the schema root', { type: 'string', 'x-mcp-header': 'Root' }, 'not reachable'],
    [
      'inside items',
      { properties: { l: { type: 'array', items: { type: 'string', 'x-mcp-header': 'L' } } } },
      'not reachable',
    ],
    ['inside oneOf', { oneOf: [{ properties: { s: { type: 'string', 'x-mcp-header': 'S' } } }] }, 'not reachable'],
    [
      'inside anyOf',
      { anyOf: [{ type: 'object', properties: { s: { type: 'string', 'x-mcp-header': 'S' } } }] },
      'not reachable',
    ],
    ['inside allOf', { allOf: [{ properties: { s: { type: 'string', 'x-mcp-header': 'S' } } }] }, 'not reachable'],
    ['inside not', { not: { properties: { s: { type: 'string', 'x-mcp-header': 'S' } } } }, 'not reachable'],
    [
      'inside if/else',
      { if: {}, else: { properties: { s: { type: 'string', 'x-mcp-header': 'S' } } } },
      'not reachable',
    ],
    ['inside $defs', { $defs: { d: { type: 'string', 'x-mcp-header': 'D' } } }, 'not reachable'],
    ['under additionalProperties', { additionalProperties: { type: 'string', 'x-mcp-header': 'A' } }, 'not reachable'],
    [
      'a duplicate name (case-insensitive)',
      {
        properties: {
          a: { type: 'string', 'x-mcp-header': 'Region' },
          b: { type: 'string', 'x-mcp-header': 'REGION' },
        },
      },
      'declared twice',
    ],
    ['an empty name', { properties: { a: { type: 'string', 'x-mcp-header': '' } } }, 'non-empty HTTP token'],
    [
      'a space in the name',
      { properties: { a: { type: 'string', 'x-mcp-header': 'My Region' } } },
      'non-empty HTTP token',
    ],
    [
      'a colon in the name',
      { properties: { a: { type: 'string', 'x-mcp-header': 'Re:gion' } } },
      'non-empty HTTP token',
    ],
    [
      'a CR LF in the name',
      { properties: { a: { type: 'string', 'x-mcp-header': 'A\r\nX-Evil' } } },
      'non-empty HTTP token',
    ],
    ['a non-ASCII name', { properties: { a: { type: 'string', 'x-mcp-header': 'Région' } } }, 'non-empty HTTP token'],
    [
      'a name that is not a string',
      { properties: { a: { type: 'string', 'x-mcp-header': 7 } } },
      'non-empty HTTP token',
    ],
  ];

  it.each(invalid)(
    'registration refuses an annotation on %s with ERR_INVALID_ARG naming the tool',
    (_what, schema, detail) => {
      const server = new McpServer({ name: 'h', version: '1' });
      const err = expectCode(
        () => server.registerTool('sql', { inputSchema: { type: 'object', ...schema } }, () => ({ content: [] })),
        'ERR_INVALID_ARG',
      );
      expect(err.message).toContain('tool "sql"');
      expect(err.message).toContain(detail);
    },
  );

  it('update() validates the new schema too, and keeps the tool as it was when refused', () => {
    const server = new McpServer({ name: 'h', version: '1' });
    const tool = server.registerTool('sql', { inputSchema: { type: 'object' } }, () => ({ content: [] }));
    expectCode(
      () =>
        tool.update({
          inputSchema: { type: 'object', properties: { n: { type: 'number', 'x-mcp-header': 'N' } } },
        }),
      'ERR_INVALID_ARG',
    );
    expect(tool.enabled).toBe(true);
  });
});

describe('checkParamHeaders', () => {
  const params = headerParamsOf({
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      count: { type: 'integer', 'x-mcp-header': 'Count' },
      dry: { type: 'boolean', 'x-mcp-header': 'Dry' },
      config: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
    },
  });

  const ok = (args: unknown, headers: Record<string, string>) =>
    expect(checkParamHeaders(params, args, headers)).toBeUndefined();
  const mismatch = (args: unknown, headers: Record<string, string>, detail: string) => {
    const e = checkParamHeaders(params, args, headers);
    expect(e?.code).toBe(-32020);
    expect(e?.httpStatus).toBe(400);
    expect(e?.message).toContain(detail);
  };

  it('matching headers pass; values absent or null in the body need no header', () => {
    ok(
      { region: 'us-west1', count: 3, dry: true, config: { zone: 'b' } },
      {
        'mcp-param-region': 'us-west1',
        'mcp-param-count': '3',
        'mcp-param-dry': 'true',
        'mcp-param-zone': 'b',
      },
    );
    ok({}, {});
    ok(undefined, {});
    ok({ region: null, config: null }, {});
  });

  it('a header for a value the body has is required', () => {
    mismatch({ region: 'us-west1' }, {}, 'the Mcp-Param-Region header is required');
    mismatch({ config: { zone: 'a' } }, {}, 'the Mcp-Param-Zone header is required (arguments.config.zone is set)');
  });

  it('a header without a value in the body is refused', () => {
    mismatch({}, { 'mcp-param-region': 'us-west1' }, 'Mcp-Param-Region is sent but arguments.region has no value');
  });

  it('strings compare exactly (values are case-sensitive)', () => {
    mismatch({ region: 'us-west1' }, { 'mcp-param-region': 'US-WEST1' }, 'does not match arguments.region');
    mismatch({ region: 'us-west1' }, { 'mcp-param-region': 'us-west2' }, 'does not match arguments.region');
  });

  it('base64 sentinel values are decoded first; invalid base64 is refused', () => {
    ok({ region: 'Hello, 世界' }, { 'mcp-param-region': '=?base64?SGVsbG8sIOS4lueVjA==?=' });
    ok({ region: ' padded ' }, { 'mcp-param-region': '=?base64?IHBhZGRlZCA=?=' });
    mismatch(
      { region: 'x' },
      { 'mcp-param-region': '=?base64?not base64?=' },
      'Mcp-Param-Region is not valid =?base64?...?=',
    );
    mismatch({ region: 'x' }, { 'mcp-param-region': '=?base64?eA?=' }, 'is not valid');
  });

  it('a literal value that looks like base64 must be sent encoded', () => {
    const literal = '=?base64?literal?=';
    ok({ region: literal }, { 'mcp-param-region': '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=' });
    mismatch({ region: literal }, { 'mcp-param-region': literal }, 'is not valid');
    // A valid-looking sentinel sent literally decodes to something else.
    mismatch({ region: '=?base64?SGk=?=' }, { 'mcp-param-region': '=?base64?SGk=?=' }, '"Hi" does not match');
  });

  it('integers compare numerically', () => {
    ok({ count: 42 }, { 'mcp-param-count': '42' });
    ok({ count: 42 }, { 'mcp-param-count': '42.0' });
    ok({ count: -7 }, { 'mcp-param-count': '-7' });
    ok({ count: 0 }, { 'mcp-param-count': '0' });
    ok({ count: 42 }, { 'mcp-param-count': '=?base64?NDI=?=' });
    mismatch({ count: 42 }, { 'mcp-param-count': '43' }, 'does not match arguments.count 42');
    mismatch({ count: 42 }, { 'mcp-param-count': 'forty-two' }, 'does not match');
    mismatch({ count: 0 }, { 'mcp-param-count': '' }, 'does not match');
    mismatch({ count: 42 }, { 'mcp-param-count': 'Infinity' }, 'does not match');
  });

  // The spec: clients MUST send an integer as its decimal string ("42", "-7"), and servers
  // SHOULD compare numerically so that "42.0" equals 42. A hexadecimal or binary spelling is
  // not a decimal representation at all: an intermediary routing on the header reads
  // something else than the server executes, which is exactly what the check exists to stop.
  it('integers: non-decimal spellings (hex, binary, octal) do not match', () => {
    mismatch({ count: 42 }, { 'mcp-param-count': '0x2A' }, 'does not match');
    mismatch({ count: 42 }, { 'mcp-param-count': '0b101010' }, 'does not match');
    mismatch({ count: 42 }, { 'mcp-param-count': '0o52' }, 'does not match');
  });

  it('booleans are "true" / "false", lower case', () => {
    ok({ dry: true }, { 'mcp-param-dry': 'true' });
    ok({ dry: false }, { 'mcp-param-dry': 'false' });
    mismatch({ dry: true }, { 'mcp-param-dry': 'false' }, 'does not match arguments.dry true');
    mismatch({ dry: true }, { 'mcp-param-dry': 'TRUE' }, 'does not match');
    mismatch({ dry: true }, { 'mcp-param-dry': '1' }, 'does not match');
    mismatch({ dry: false }, { 'mcp-param-dry': '' }, 'does not match');
  });

  it('a body value of the wrong JSON type never matches', () => {
    mismatch({ region: { a: 1 } }, { 'mcp-param-region': '[object Object]' }, 'does not match');
    mismatch({ region: ['a'] }, { 'mcp-param-region': 'a' }, 'does not match');
  });
});
