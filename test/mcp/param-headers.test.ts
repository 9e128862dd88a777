import { describe, expect, it } from 'vitest';
import { ToolHeaderIndex } from '../../src/mcp/client/tool-headers.js';
import { decodeHeaderValue, encodeHeaderValue, headerValueOf } from '../../src/mcp/header-value.js';
import { paramHeaders, scanHeaderParams } from '../../src/mcp/param-headers.js';

describe('header value encoding (streamable-http.mdx, Value Encoding)', () => {
  it('passes safe ASCII through and base64-encodes the rest, as the spec table shows', () => {
    expect(encodeHeaderValue('us-west1')).toBe('us-west1');
    expect(encodeHeaderValue('Hello, 世界')).toBe('=?base64?SGVsbG8sIOS4lueVjA==?=');
    expect(encodeHeaderValue(' padded ')).toBe('=?base64?IHBhZGRlZCA=?=');
    expect(encodeHeaderValue('line1\nline2')).toBe('=?base64?bGluZTEKbGluZTI=?=');
    expect(encodeHeaderValue('=?base64?literal?=')).toBe('=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=');
    expect(encodeHeaderValue('a\tb')).toBe('a\tb');
    expect(encodeHeaderValue('')).toBe('=?base64??=');
  });

  it('decodes what it encodes; rejects a sentinel that is not canonical base64 or UTF-8', () => {
    for (const v of ['us-west1', 'Hello, 世界', ' padded ', 'line1\nline2', '=?base64?literal?=']) {
      expect(decodeHeaderValue(encodeHeaderValue(v))).toBe(v);
    }
    expect(decodeHeaderValue('=?base64?not base64?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?/w==?=')).toBeUndefined(); // 0xff is not UTF-8
  });

  it('converts primitives: strings, safe integers, booleans; nothing else', () => {
    expect([
      headerValueOf('x'),
      headerValueOf(42),
      headerValueOf(-7),
      headerValueOf(true),
      headerValueOf(false),
    ]).toEqual(['x', '42', '-7', 'true', 'false']);
    expect([headerValueOf(1.5), headerValueOf(2 ** 53), headerValueOf(null), headerValueOf({})]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('x-mcp-header', () => {
  const schema = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    ...extra,
  });

  it('finds annotated properties through chains of properties keys, nested too', () => {
    const s = schema({
      region: { type: 'string', 'x-mcp-header': 'Region' },
      opts: { type: 'object', properties: { dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' } } },
      count: { type: 'integer', 'x-mcp-header': 'Count' },
      query: { type: 'string' },
    });
    expect(scanHeaderParams(s)).toEqual({
      ok: true,
      params: [
        { path: ['region'], name: 'Region', type: 'string' },
        { path: ['opts', 'dry'], name: 'Dry-Run', type: 'boolean' },
        { path: ['count'], name: 'Count', type: 'integer' },
      ],
    });
  });

  it('rejects the annotations the spec forbids', () => {
    const bad = (s: unknown) => {
      const r = scanHeaderParams(s);
      return r.ok ? 'valid' : r.reason;
    };
    expect(bad(schema({ n: { type: 'number', 'x-mcp-header': 'N' } }))).toBe(
      'x-mcp-header "N" is on a property of type "number"; only string, integer and boolean are allowed',
    );
    expect(bad(schema({ a: { type: 'string', 'x-mcp-header': '' } }))).toBe(
      'x-mcp-header at a must be a non-empty HTTP token, got ""',
    );
    expect(bad(schema({ a: { type: 'string', 'x-mcp-header': 'Has Space' } }))).toBe(
      'x-mcp-header at a must be a non-empty HTTP token, got "Has Space"',
    );
    expect(
      bad(schema({ a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } })),
    ).toBe('x-mcp-header "x" is declared twice (also as "X")');
    expect(bad(schema({ list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } }))).toBe(
      'x-mcp-header at list.* is not reachable through properties alone',
    );
    expect(bad(schema({}, { oneOf: [schema({ a: { type: 'string', 'x-mcp-header': 'A' } })] }))).toBe(
      'x-mcp-header at *.a is not reachable through properties alone',
    );
    expect(bad(schema({}, { $defs: { d: { type: 'string', 'x-mcp-header': 'D' } } }))).toBe(
      'x-mcp-header at * is not reachable through properties alone',
    );
    expect(bad({ type: 'object', 'x-mcp-header': 'Root' })).toBe(
      'x-mcp-header at the schema root is not reachable through properties alone',
    );
    expect(bad(schema({ plain: { type: 'string' } }))).toBe('valid');
  });

  it('builds the headers of a call: encoded values, absent and null left out', () => {
    const params = [
      { path: ['region'], name: 'Region', type: 'string' as const },
      { path: ['opts', 'dry'], name: 'Dry', type: 'boolean' as const },
      { path: ['n'], name: 'N', type: 'integer' as const },
      { path: ['gone'], name: 'Gone', type: 'string' as const },
    ];
    expect(paramHeaders(params, { region: 'Zürich', opts: { dry: false }, n: null })).toEqual({
      'Mcp-Param-Region': '=?base64?WsO8cmljaA==?=',
      'Mcp-Param-Dry': 'false',
    });
  });

  it('the tool index drops invalid tools only when asked to, and serves headers by tool name', () => {
    const idx = new ToolHeaderIndex();
    const good = { name: 'sql', inputSchema: schema({ region: { type: 'string', 'x-mcp-header': 'Region' } }) };
    const invalid = { name: 'bad', inputSchema: schema({ n: { type: 'number', 'x-mcp-header': 'N' } }) };
    expect(idx.learn([good, invalid], false).tools.map((t) => t.name)).toEqual(['sql', 'bad']);
    const dropped = idx.learn([good, invalid], true);
    expect(dropped.tools.map((t) => t.name)).toEqual(['sql']);
    expect(dropped.rejected).toEqual([
      {
        name: 'bad',
        reason: 'x-mcp-header "N" is on a property of type "number"; only string, integer and boolean are allowed',
      },
    ]);
    expect(idx.headersFor('sql', { region: 'eu' })).toEqual({ 'Mcp-Param-Region': 'eu' });
    expect(idx.headersFor('sql', {})).toBeUndefined();
    expect(idx.headersFor('unknown', { region: 'eu' })).toBeUndefined();
  });
});
