/**
 * The 2026-07-28 validation ladder (src/mcp/era/check.ts, envelope.ts): every rung with its
 * exact code, HTTP status and message essentials, the order of the rungs, and the same rungs
 * through a real ServerSession (where the request's id must be echoed on every refusal).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkModernRequest, type HeaderParamsOf } from '../../src/mcp/era/check.js';
import { checkEnvelope, claimsEnvelope, readEnvelope } from '../../src/mcp/era/envelope.js';
import { headerParamsOf } from '../../src/mcp/era/http-headers.js';
import type { McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer } from '../../src/mcp/server.js';
import { CAPS, envelope, eraClient, INFO, LOG_LEVEL, PV, request2026, V2026 } from './era.js';

type Headers = Record<string, string | string[] | undefined>;

const NO_HEADER_PARAMS: HeaderParamsOf = () => undefined;

/** The headers a conforming 2026 client sends with `method` (and `name` for Mcp-Name). */
function headersFor(method: string, name?: string, extra: Headers = {}): Headers {
  const h: Headers = { 'mcp-protocol-version': V2026, 'mcp-method': method };
  if (name !== undefined) h['mcp-name'] = name;
  return { ...h, ...extra };
}

function refusal(e: McpError | undefined): { code: number; message: string; data: unknown; httpStatus: unknown } {
  expect(e, 'expected a refusal').toBeDefined();
  const err = e as McpError;
  return { code: err.code, message: err.message, data: err.data, httpStatus: err.httpStatus };
}

describe('claimsEnvelope / readEnvelope', () => {
  it('a request claims the envelope exactly when _meta has the protocol-version key', () => {
    expect(claimsEnvelope(undefined)).toBe(false);
    expect(claimsEnvelope({})).toBe(false);
    expect(claimsEnvelope({ _meta: null })).toBe(false);
    expect(claimsEnvelope({ _meta: [] })).toBe(false);
    expect(claimsEnvelope({ _meta: { progressToken: 1 } })).toBe(false);
    expect(claimsEnvelope({ _meta: { [CAPS]: {} } })).toBe(false);
    // Even a malformed value claims it: the ladder then answers -32602 / -32022.
    expect(claimsEnvelope({ _meta: { [PV]: 5 } })).toBe(true);
    expect(claimsEnvelope({ _meta: { [PV]: undefined } })).toBe(true);
  });

  it('reads the required and optional fields, omitting absent optional ones', () => {
    expect(readEnvelope({ _meta: { [PV]: V2026, [CAPS]: { sampling: {} } } })).toEqual({
      protocolVersion: V2026,
      clientCapabilities: { sampling: {} },
    });
    expect(readEnvelope({ _meta: envelope({ meta: { [LOG_LEVEL]: 'warning' } }) })).toEqual({
      protocolVersion: V2026,
      clientCapabilities: {},
      clientInfo: { name: 'era-test', version: '1.0.0' },
      logLevel: 'warning',
    });
  });
});

describe('checkEnvelope (body only: stdio, WebSocket, memory)', () => {
  it('accepts a minimal envelope (clientInfo is optional) and every log level', () => {
    expect(checkEnvelope({ _meta: { [PV]: V2026, [CAPS]: {} } })).toBeUndefined();
    for (const level of ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']) {
      expect(checkEnvelope({ _meta: envelope({ meta: { [LOG_LEVEL]: level } }) })).toBeUndefined();
    }
  });

  it.each([
    ['no params', undefined, '_meta is missing'],
    ['no _meta', {}, '_meta is missing'],
    ['_meta null', { _meta: null }, '_meta must be an object'],
    ['_meta an array', { _meta: [] }, '_meta must be an object'],
    ['_meta a string', { _meta: 'x' }, '_meta must be an object'],
    ['no protocol version', { _meta: { [CAPS]: {} } }, `${PV}: missing`],
    ['no capabilities', { _meta: { [PV]: V2026 } }, `${CAPS}: missing`],
    ['neither', { _meta: { x: 1 } }, `${PV}, ${CAPS}: missing`],
    ['version not a string', { _meta: { [PV]: 20260728, [CAPS]: {} } }, `${PV} must be a string`],
    ['capabilities not an object', { _meta: { [PV]: V2026, [CAPS]: 'all' } }, `${CAPS} must be an object`],
    ['capabilities an array', { _meta: { [PV]: V2026, [CAPS]: [] } }, `${CAPS} must be an object`],
    ['capabilities null', { _meta: { [PV]: V2026, [CAPS]: null } }, `${CAPS} must be an object`],
    ['clientInfo without version', { _meta: { [PV]: V2026, [CAPS]: {}, [INFO]: { name: 'x' } } }, INFO],
    ['clientInfo a string', { _meta: { [PV]: V2026, [CAPS]: {}, [INFO]: 'x' } }, INFO],
    ['unknown log level', { _meta: envelope({ meta: { [LOG_LEVEL]: 'verbose' } }) }, LOG_LEVEL],
    ['log level upper case', { _meta: envelope({ meta: { [LOG_LEVEL]: 'INFO' } }) }, LOG_LEVEL],
  ])('malformed envelope (%s) is -32602 with HTTP 400', (_what, params, detail) => {
    const r = refusal(checkEnvelope(params as Record<string, unknown> | undefined));
    expect(r.code).toBe(-32602);
    expect(r.httpStatus).toBe(400);
    expect(r.message).toMatch(/^Invalid _meta envelope: /);
    expect(r.message).toContain(detail);
    expect(r.data).toBeUndefined();
  });

  it.each([
    ['a future version', '2099-01-01'],
    ['a 2025 version inside the envelope', '2025-11-25'],
    ['the empty string', ''],
  ])('an unsupported version (%s) is -32022 with data {supported, requested} and HTTP 400', (_w, version) => {
    const r = refusal(checkEnvelope({ _meta: { [PV]: version, [CAPS]: {} } }));
    expect(r).toEqual({
      code: -32022,
      message: `Unsupported protocol version: ${version}`,
      data: { supported: [V2026], requested: version },
      httpStatus: 400,
    });
  });

  it('missing required keys are reported before an unsupported version', () => {
    const r = refusal(checkEnvelope({ _meta: { [PV]: '2099-01-01' } }));
    expect(r.code).toBe(-32602);
    expect(r.message).toContain(`${CAPS}: missing`);
  });
});

describe('checkModernRequest: the HTTP ladder in order', () => {
  const params = { _meta: envelope() };

  it('a conforming request passes', () => {
    expect(checkModernRequest('tools/list', params, headersFor('tools/list'), NO_HEADER_PARAMS)).toBeUndefined();
    expect(
      checkModernRequest('tools/call', { ...params, name: 'echo' }, headersFor('tools/call', 'echo'), NO_HEADER_PARAMS),
    ).toBeUndefined();
  });

  it('rung 1: a malformed envelope is -32602/400 even when every header is wrong', () => {
    const r = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: V2026 } },
        { 'mcp-protocol-version': '1999-01-01' },
        NO_HEADER_PARAMS,
      ),
    );
    expect(r.code).toBe(-32602);
    expect(r.httpStatus).toBe(400);
    expect(r.message).toContain(`${CAPS}: missing`);
    const none = refusal(checkModernRequest('tools/list', undefined, headersFor('tools/list'), NO_HEADER_PARAMS));
    expect(none.code).toBe(-32602);
    expect(none.message).toContain('_meta is missing');
  });

  it('rung 2: MCP-Protocol-Version missing or unlike the body is -32020/400, before the version is judged', () => {
    const missing = refusal(checkModernRequest('tools/list', params, { 'mcp-method': 'tools/list' }, NO_HEADER_PARAMS));
    expect(missing.code).toBe(-32020);
    expect(missing.httpStatus).toBe(400);
    expect(missing.message).toMatch(/^Header mismatch: /);
    expect(missing.message).toContain('MCP-Protocol-Version header is required');

    const differs = refusal(
      checkModernRequest(
        'tools/list',
        params,
        headersFor('tools/list', undefined, { 'mcp-protocol-version': '2025-11-25' }),
        NO_HEADER_PARAMS,
      ),
    );
    expect(differs.code).toBe(-32020);
    expect(differs.message).toContain('"2025-11-25"');
    expect(differs.message).toContain(`"${V2026}"`);

    // The body names a version we do not speak and the header disagrees: the mismatch wins.
    const both = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: '2099-01-01', [CAPS]: {} } },
        headersFor('tools/list'),
        NO_HEADER_PARAMS,
      ),
    );
    expect(both.code).toBe(-32020);
  });

  it('rung 3: an unsupported version named by both header and body is -32022/400 with {supported, requested}', () => {
    const r = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: '2099-01-01', [CAPS]: {}, [LOG_LEVEL]: 'nope' } },
        { 'mcp-protocol-version': '2099-01-01' }, // also no Mcp-Method: the version comes first
        NO_HEADER_PARAMS,
      ),
    );
    expect(r).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 2099-01-01',
      data: { supported: [V2026], requested: '2099-01-01' },
      httpStatus: 400,
    });
  });

  it('rung 4: the optional envelope fields are checked before the routing headers', () => {
    const r = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: envelope({ meta: { [LOG_LEVEL]: 'loud' } }) },
        { 'mcp-protocol-version': V2026 }, // Mcp-Method missing too
        NO_HEADER_PARAMS,
      ),
    );
    expect(r.code).toBe(-32602);
    expect(r.httpStatus).toBe(400);
    expect(r.message).toContain(LOG_LEVEL);
  });

  it('rung 5: Mcp-Method missing, different, or differently cased is -32020/400', () => {
    for (const [h, detail] of [
      [{ 'mcp-protocol-version': V2026 }, 'Mcp-Method header is required'],
      [headersFor('tools/call'), '"tools/call" does not match method "tools/list"'],
      [headersFor('Tools/List'), '"Tools/List" does not match method "tools/list"'],
    ] as const) {
      const r = refusal(checkModernRequest('tools/list', params, h, NO_HEADER_PARAMS));
      expect(r.code).toBe(-32020);
      expect(r.httpStatus).toBe(400);
      expect(r.message).toContain(detail);
    }
  });

  it('rung 5: Mcp-Name is required for tools/call, prompts/get (name) and resources/read (uri), and must match', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['tools/call', { name: 'echo' }, 'echo'],
      ['prompts/get', { name: 'brief' }, 'brief'],
      ['resources/read', { uri: 'file:///a b.txt' }, 'file:///a b.txt'],
    ];
    for (const [method, p, name] of cases) {
      const body = { ...p, ...params };
      expect(checkModernRequest(method, body, headersFor(method, name), NO_HEADER_PARAMS)).toBeUndefined();
      const missing = refusal(checkModernRequest(method, body, headersFor(method), NO_HEADER_PARAMS));
      expect(missing.code).toBe(-32020);
      expect(missing.message).toContain(`the Mcp-Name header is required for ${method}`);
      const wrong = refusal(checkModernRequest(method, body, headersFor(method, `${name}x`), NO_HEADER_PARAMS));
      expect(wrong.code).toBe(-32020);
      expect(wrong.httpStatus).toBe(400);
      expect(wrong.message).toContain('does not match');
    }
    // Other methods need no Mcp-Name; one sent anyway is not checked.
    expect(
      checkModernRequest('tools/list', params, headersFor('tools/list', 'whatever'), NO_HEADER_PARAMS),
    ).toBeUndefined();
  });

  it('rung 6: Mcp-Param-* are checked last', () => {
    const headerParams = headerParamsOf({
      type: 'object',
      properties: { region: { type: 'string', 'x-mcp-header': 'Region' } },
    });
    const lookup: HeaderParamsOf = (n) => (n === 'sql' ? headerParams : undefined);
    const body = { ...params, name: 'sql', arguments: { region: 'us-west1' } };
    expect(
      checkModernRequest(
        'tools/call',
        body,
        headersFor('tools/call', 'sql', { 'mcp-param-region': 'us-west1' }),
        lookup,
      ),
    ).toBeUndefined();
    // Both Mcp-Name and Mcp-Param wrong: Mcp-Name is reported.
    const r = refusal(
      checkModernRequest('tools/call', body, headersFor('tools/call', 'other', { 'mcp-param-region': 'eu' }), lookup),
    );
    expect(r.code).toBe(-32020);
    expect(r.message).toContain('Mcp-Name');
    const p = refusal(
      checkModernRequest('tools/call', body, headersFor('tools/call', 'sql', { 'mcp-param-region': 'eu' }), lookup),
    );
    expect(p.code).toBe(-32020);
    expect(p.message).toContain('Mcp-Param-Region "eu" does not match arguments.region "us-west1"');
  });

  it('without headers (stdio, WebSocket) only the body is checked', () => {
    expect(checkModernRequest('tools/call', { ...params, name: 'x' }, undefined, NO_HEADER_PARAMS)).toBeUndefined();
    const r = refusal(
      checkModernRequest('tools/list', { _meta: { [PV]: '2099-01-01', [CAPS]: {} } }, undefined, NO_HEADER_PARAMS),
    );
    expect(r.code).toBe(-32022);
  });
});

// check.ts documents the order "a malformed envelope (-32602), then the HTTP headers against
// the body (-32020), then the protocol version (-32022)". A required key of the wrong type is as
// malformed as a missing one; only the optional fields come after the version.
describe('checkModernRequest: required keys of the wrong type are rung 1 too', () => {
  it('a protocolVersion that is not a string is -32602, whatever the header says', () => {
    const r = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: 20260728, [CAPS]: {} } },
        headersFor('tools/list', undefined, { 'mcp-protocol-version': '20260728' }),
        NO_HEADER_PARAMS,
      ),
    );
    expect([r.code, r.httpStatus]).toEqual([-32602, 400]);
  });

  it('clientCapabilities that is not an object is -32602 before a header mismatch or an unsupported version', () => {
    const mismatch = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: V2026, [CAPS]: 'none' } },
        headersFor('tools/list', undefined, { 'mcp-protocol-version': '2025-11-25' }),
        NO_HEADER_PARAMS,
      ),
    );
    expect(mismatch.code).toBe(-32602);
    const unsupported = refusal(
      checkModernRequest(
        'tools/list',
        { _meta: { [PV]: '2099-01-01', [CAPS]: 'none' } },
        headersFor('tools/list', undefined, { 'mcp-protocol-version': '2099-01-01' }),
        NO_HEADER_PARAMS,
      ),
    );
    expect(unsupported.code).toBe(-32602);
  });
});

describe('the ladder through a ServerSession (a memory connection that never initialized)', () => {
  const servers: McpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  function server(): McpServer {
    const s = new McpServer({ name: 'ladder', version: '2.0.0' });
    s.registerTool('echo', {}, () => ({ content: [{ type: 'text', text: 'ok' }] }));
    servers.push(s);
    return s;
  }

  it('answers every refusal with the request id it came with, and the connection keeps serving', async () => {
    const c = await eraClient(server());
    const cases: [string | number, Record<string, unknown>, number, string][] = [
      ['a', { _meta: { [PV]: V2026 } }, -32602, `${CAPS}: missing`],
      [7, { _meta: { [PV]: 7, [CAPS]: {} } }, -32602, 'must be a string'],
      ['c', { _meta: { [PV]: '2099-01-01', [CAPS]: {} } }, -32022, 'Unsupported protocol version: 2099-01-01'],
      [0, { _meta: { [PV]: V2026, [CAPS]: 1 } }, -32602, `${CAPS} must be an object`],
      ['e', { _meta: envelope({ meta: { [INFO]: { name: 1, version: '1' } } }) }, -32602, INFO],
      [-1, { _meta: envelope({ meta: { [LOG_LEVEL]: 'trace' } }) }, -32602, LOG_LEVEL],
    ];
    for (const [id, params, code, detail] of cases) {
      c.send({ jsonrpc: '2.0', id, method: 'tools/list', params });
      const r = await c.response(id);
      expect(r.id).toBe(id);
      expect(r.error.code).toBe(code);
      expect(r.error.message).toContain(detail);
    }
    const unsupported = await (async () => {
      c.send({ jsonrpc: '2.0', id: 'v', method: 'tools/list', params: { _meta: { [PV]: '2024-01-01', [CAPS]: {} } } });
      return c.response('v');
    })();
    expect(unsupported).toEqual({
      jsonrpc: '2.0',
      id: 'v',
      error: {
        code: -32022,
        message: 'Unsupported protocol version: 2024-01-01',
        data: { supported: [V2026], requested: '2024-01-01' },
      },
    });
    // The same connection serves a good 2026 request afterwards, and nothing else was sent.
    const ok = await c.call('ok', 'tools/list');
    expect(ok.result.tools.map((t: { name: string }) => t.name)).toEqual(['echo']);
    expect(c.inbox).toEqual([]);
  });

  it('refusals before the handler take no admission slot and leave nothing in flight', async () => {
    const s = server();
    const c = await eraClient(s);
    for (let i = 0; i < 20; i++) {
      c.send(request2026(i, 'tools/list', {}, { meta: { [PV]: '2099-01-01' } }));
      expect((await c.response(i)).error.code).toBe(-32022);
    }
    expect(s.inFlight).toBe(0);
    expect(s.gate.admission.globalDepth).toBe(0);
    expect(s.gate.breaker.state).toBe('closed');
  });
});
