/**
 * MCP 2026-07-28 over Streamable HTTP, end to end on 127.0.0.x: the validation ladder with
 * its HTTP statuses, ids echoed on every error, both eras on one endpoint, request-scoped SSE
 * (progress, logging), cancellation by closing the stream, subscriptions/listen streams, and
 * the per-client stateless channel (token bucket, idle expiry, maxClients, listener close).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { McpServerOptions } from '../../src/mcp/server.js';
import type { StreamableHttpListenerOptions } from '../../src/transports/http-server.js';
import { bounded, envelope, LOG_LEVEL, request2026, SERVER_INFO, SUB_ID, until, V2026 } from '../mcp/era.js';
import type { Wire } from '../mcp/harness.js';
import {
  CAPS,
  initialize2025,
  PV,
  post,
  post2025,
  postJson,
  request,
  type StatelessHarness,
  start,
  startStateless,
} from './stateless-fixtures.js';
import { buildToolset, type Controls, TOOLSET_INFO, text } from './stateless-toolset.js';

const META = { [SERVER_INFO]: TOOLSET_INFO };
const B = '127.0.0.2';
const C = '127.0.0.3';

const harnesses: StatelessHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function serve(
  options: McpServerOptions = {},
  listener: Partial<StreamableHttpListenerOptions> = {},
): Promise<StatelessHarness & { controls: Controls }> {
  const { server, controls } = buildToolset(options);
  const h = await startStateless(server, listener);
  harnesses.push(h);
  return Object.assign(h, { controls });
}

const echo = (id: string | number, message: string) =>
  request2026(id, 'tools/call', { name: 'echo', arguments: { message } });

describe('the ladder over HTTP: status, code, and the request id on every refusal', () => {
  it('rung 1: a 2026 header on a body without an envelope is 400 / -32602, id echoed', async () => {
    const h = await serve();
    const r = await postJson(
      h.port,
      { jsonrpc: '2.0', id: 'no-meta', method: 'tools/list' },
      { headers: { 'mcp-protocol-version': V2026, 'mcp-method': 'tools/list' } },
    );
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      jsonrpc: '2.0',
      id: 'no-meta',
      error: { code: -32602, message: 'Invalid _meta envelope: _meta is missing' },
    });
    const noCaps = await postJson(h.port, {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/list',
      params: { _meta: { [PV]: V2026 } },
    });
    expect(noCaps.status).toBe(400);
    expect(noCaps.body.id).toBe(3);
    expect(noCaps.body.error.code).toBe(-32602);
    expect(noCaps.body.error.message).toContain(`${CAPS}: missing`);
  });

  it('rung 2: MCP-Protocol-Version missing or unlike the body is 400 / -32020', async () => {
    const h = await serve();
    const missing = await postJson(h.port, request2026(1, 'tools/list'), {
      headers: { 'mcp-protocol-version': undefined },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.id).toBe(1);
    expect(missing.body.error.code).toBe(-32020);
    expect(missing.body.error.message).toContain('MCP-Protocol-Version header is required');
    const old = await postJson(h.port, request2026(2, 'tools/list'), {
      headers: { 'mcp-protocol-version': '2025-11-25' },
    });
    expect([old.status, old.body.id, old.body.error.code]).toEqual([400, 2, -32020]);
  });

  it('rung 3: an unsupported version is 400 / -32022 with {supported, requested}', async () => {
    const h = await serve();
    const r = await postJson(h.port, request2026('v', 'tools/list', {}, { meta: { [PV]: '2099-01-01' } }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      jsonrpc: '2.0',
      id: 'v',
      error: {
        code: -32022,
        message: 'Unsupported protocol version: 2099-01-01',
        data: { supported: [V2026], requested: '2099-01-01' },
      },
    });
  });

  it('rung 4: an invalid logLevel is 400 / -32602', async () => {
    const h = await serve();
    const r = await postJson(h.port, request2026(4, 'tools/list', {}, { meta: { [LOG_LEVEL]: 'chatty' } }));
    expect([r.status, r.body.id, r.body.error.code]).toEqual([400, 4, -32602]);
    expect(r.body.error.message).toContain(LOG_LEVEL);
  });

  it('rung 5: Mcp-Method and Mcp-Name missing or wrong are 400 / -32020; base64 names are decoded', async () => {
    const h = await serve();
    const noMethod = await postJson(h.port, request2026(5, 'tools/list'), { headers: { 'mcp-method': undefined } });
    expect([noMethod.status, noMethod.body.id, noMethod.body.error.code]).toEqual([400, 5, -32020]);
    const wrong = await postJson(h.port, request2026(6, 'tools/list'), { headers: { 'mcp-method': 'prompts/list' } });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, -32020]);
    const noName = await postJson(h.port, echo(7, 'x'), { headers: { 'mcp-name': undefined } });
    expect([noName.status, noName.body.id, noName.body.error.code]).toEqual([400, 7, -32020]);
    const otherName = await postJson(h.port, echo(8, 'x'), { headers: { 'mcp-name': 'whoami' } });
    expect([otherName.status, otherName.body.error.code]).toEqual([400, -32020]);
    const b64 = await postJson(h.port, echo(9, 'x'), { headers: { 'mcp-name': '=?base64?ZWNobw==?=' } });
    expect([b64.status, b64.body.result.content]).toEqual([200, [{ type: 'text', text: 'x' }]]);
    const readName = await postJson(h.port, request2026(10, 'resources/read', { uri: 'mem://readme' }), {
      headers: { 'mcp-name': 'mem://other' },
    });
    expect([readName.status, readName.body.error.code]).toEqual([400, -32020]);
    // Header names are case-insensitive.
    const upper = await postJson(h.port, echo(11, 'y'), {
      auto: false,
      headers: { 'MCP-PROTOCOL-VERSION': V2026, 'MCP-METHOD': 'tools/call', 'MCP-NAME': 'echo' },
    });
    expect(upper.status).toBe(200);
  });

  it('ids of every valid type come back exactly (the channel renumbers requests internally)', async () => {
    const h = await serve();
    for (const id of ['abc', '', 0, -7, 1.5, 2 ** 40, '1', 1]) {
      const ok = await postJson(h.port, echo(id, 'x'));
      expect(ok.body.id).toBe(id);
      const refused = await postJson(h.port, request2026(id, 'ping'));
      expect([refused.status, refused.body.id]).toEqual([404, id]);
    }
  });

  it('a conforming request: 200 JSON, no Mcp-Session-Id minted, an Mcp-Session-Id sent is ignored', async () => {
    const h = await serve();
    const r = await postJson(h.port, echo('ok', 'hello'), { headers: { 'mcp-session-id': 'no-such-session' } });
    expect(r.status).toBe(200);
    expect(r.reply.headers['content-type']).toBe('application/json');
    expect(r.reply.headers['mcp-session-id']).toBeUndefined();
    expect(r.body).toEqual({
      jsonrpc: '2.0',
      id: 'ok',
      result: { ...text('hello'), resultType: 'complete', _meta: META },
    });
  });

  it('unknown and removed methods are 404 / -32601; initialize with an envelope too', async () => {
    const h = await serve();
    for (const [id, method, params] of [
      [1, 'no/such', {}],
      [2, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }],
      [3, 'ping', {}],
      [4, 'logging/setLevel', { level: 'info' }],
      [5, 'resources/subscribe', { uri: 'mem://readme' }],
      [6, 'resources/unsubscribe', { uri: 'mem://readme' }],
    ] as const) {
      const r = await postJson(h.port, request2026(id, method, params));
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
    }
    expect(h.server.sessions.size).toBe(0);
  });

  it('handler errors travel in-band with 200; -32021 is 400', async () => {
    const h = await serve();
    const unknownTool = await postJson(h.port, request2026(1, 'tools/call', { name: 'nope' }));
    expect([unknownTool.status, unknownTool.body.error.code]).toEqual([200, -32602]);
    const missing = await postJson(h.port, request2026(2, 'resources/read', { uri: 'mem://missing' }));
    expect(missing.status).toBe(200);
    expect(missing.body.error).toEqual({
      code: -32602,
      message: 'Resource not found: mem://missing',
      data: { uri: 'mem://missing' },
    });
    const cap = await postJson(h.port, request2026(3, 'tools/call', { name: 'greet' }));
    expect(cap.status).toBe(400);
    expect(cap.body).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: {
        code: -32021,
        message: 'Missing required client capability: elicitation',
        data: { requiredCapabilities: { elicitation: {} } },
      },
    });
  });

  it('a batch with a 2026 element is 400 / -32600; a parse error is 400 / -32700 (no id to echo)', async () => {
    const h = await serve();
    const batch = await postJson(h.port, [request2026(1, 'tools/list'), request2026(2, 'tools/list')], {
      auto: false,
      headers: { 'mcp-protocol-version': V2026 },
    });
    expect(batch.status).toBe(400);
    expect(batch.body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid request: MCP 2026-07-28 has no batches' },
    });
    const batchNoHeader = await postJson(h.port, [request2026(1, 'tools/list')], { auto: false });
    expect([batchNoHeader.status, batchNoHeader.body.error.code]).toEqual([400, -32600]);
    const parse = await postJson(h.port, undefined, {
      raw: '{"jsonrpc":"2.0","id":1,',
      headers: { 'mcp-protocol-version': V2026 },
    });
    expect(parse.status).toBe(400);
    expect(parse.body.id).toBeNull();
    expect(parse.body.error.code).toBe(-32700);
  });

  it('a malformed 2026 message is 400 / -32600 with its id when it has a usable one; a response is refused', async () => {
    const h = await serve();
    const badMethod = await postJson(
      h.port,
      { jsonrpc: '2.0', id: 'm', method: 5, params: { _meta: envelope() } },
      { headers: { 'mcp-protocol-version': V2026 } },
    );
    expect(badMethod.status).toBe(400);
    expect(badMethod.body).toEqual({
      jsonrpc: '2.0',
      id: 'm',
      error: { code: -32600, message: 'Invalid request: "method" must be a string' },
    });
    const response = await postJson(
      h.port,
      { jsonrpc: '2.0', id: 'r', result: {} },
      { headers: { 'mcp-protocol-version': V2026 } },
    );
    expect(response.status).toBe(400);
    expect(response.body.id).toBe('r');
    expect(response.body.error.message).toContain('clients do not send responses');
  });

  it('a 2026 notification is 202 with no body', async () => {
    const h = await serve();
    const r = await post(
      h.port,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'nothing' } },
      { headers: { 'mcp-protocol-version': V2026 } },
    );
    expect(r.status).toBe(202);
    expect(await r.text()).toBe('');
  });

  it('GET and DELETE without a 2025 session, or announcing 2026, are 405', async () => {
    const h = await serve();
    for (const [method, headers] of [
      ['GET', { accept: 'text/event-stream' }],
      ['GET', { accept: 'text/event-stream', 'mcp-protocol-version': V2026 }],
      ['GET', { accept: 'text/event-stream', 'mcp-protocol-version': V2026, 'mcp-session-id': 'x' }],
      ['DELETE', {}],
      ['DELETE', { 'mcp-protocol-version': V2026, 'mcp-session-id': 'x' }],
    ] as const) {
      const r = await request(h.port, method, headers);
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, POST, DELETE');
      expect(JSON.parse(r.body).error.code).toBe(-32600);
    }
  });

  // docs/transports.md: "Every refusal carries a JSON-RPC error body (id null unless the
  // request's id was known)". Here the body was parsed and its id is known.
  it('a request with neither an envelope nor a session is refused with its id echoed', async () => {
    const h = await serve();
    const r = await postJson(h.port, { jsonrpc: '2.0', id: 77, method: 'tools/list' }, { auto: false });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(-32600);
    expect(r.body.id).toBe(77);
  });

  it('an unknown Mcp-Session-Id on a 2025 request is 404 with the request id echoed', async () => {
    const h = await serve();
    const r = await post2025(h.port, 'gone', { jsonrpc: '2.0', id: 'lost', method: 'tools/list' });
    expect(r.status).toBe(404);
    expect(r.body.id).toBe('lost');
  });
});

describe('x-mcp-header over HTTP', () => {
  const sql = (id: number, args: Record<string, unknown>) =>
    request2026(id, 'tools/call', { name: 'sql', arguments: args });

  it('matching headers are served; each kind of mismatch is 400 / -32020 with the id', async () => {
    const h = await serve();
    const ok = await postJson(
      h.port,
      sql(1, { region: 'us-west1', limit: 42, dry: false, config: { zone: 'b' }, query: 'select 1' }),
      {
        headers: {
          'mcp-param-region': 'us-west1',
          'mcp-param-limit': '42.0',
          'mcp-param-dry-run': 'false',
          'mcp-param-zone': 'b',
        },
      },
    );
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.result.content[0].text)).toEqual({
      region: 'us-west1',
      limit: 42,
      dry: false,
      config: { zone: 'b' },
      query: 'select 1',
    });
    // Nothing annotated in the arguments: no headers needed.
    expect((await postJson(h.port, sql(2, { query: 'q' }))).status).toBe(200);
    const cases: [Record<string, unknown>, Record<string, string>, string][] = [
      [{ region: 'us-west1' }, {}, 'the Mcp-Param-Region header is required'],
      [{ region: 'us-west1' }, { 'mcp-param-region': 'eu-north1' }, 'does not match arguments.region'],
      [{}, { 'mcp-param-region': 'eu-north1' }, 'is sent but arguments.region has no value'],
      [{ limit: 42 }, { 'mcp-param-limit': '41' }, 'does not match arguments.limit 42'],
      [{ dry: true }, { 'mcp-param-dry-run': 'True' }, 'does not match arguments.dry true'],
      [{ region: 'x' }, { 'mcp-param-region': '=?base64?%%%?=' }, 'is not valid =?base64?...?='],
      [{ region: '=?base64?literal?=' }, { 'mcp-param-region': '=?base64?literal?=' }, 'is not valid'],
      [{ config: { zone: 'a' } }, {}, 'the Mcp-Param-Zone header is required'],
    ];
    let id = 10;
    for (const [args, headers, detail] of cases) {
      const r = await postJson(h.port, sql(id, args), { headers });
      expect(r.status).toBe(400);
      expect(r.body.id).toBe(id);
      expect(r.body.error.code).toBe(-32020);
      expect(r.body.error.message).toContain(detail);
      id++;
    }
  });

  it('base64 sentinel values match non-ASCII and whitespace-padded arguments', async () => {
    const h = await serve();
    for (const [i, region] of ['Hello, 世界', ' padded ', 'line1\nline2', '=?base64?literal?='].entries()) {
      const r = await postJson(h.port, sql(i, { region }), {
        headers: { 'mcp-param-region': `=?base64?${Buffer.from(region).toString('base64')}?=` },
      });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.result.content[0].text)).toEqual({ region });
    }
  });

  // SEP-2243: "Servers MUST reject requests with a recognized Mcp-Param-{Name} header that
  // contains invalid characters (see Value Encoding)": a non-ASCII value must come
  // base64-encoded. Node reads raw header bytes as latin1, so the byte 0xE9 arrives as "é"
  // and equals an argument "é" unless the server checks the characters.
  it('a raw non-ASCII Mcp-Param value is refused even when it happens to equal the argument', async () => {
    const h = await serve();
    const r = await postJson(h.port, sql(1, { region: 'é' }), { headers: { 'mcp-param-region': 'é' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(-32020);
  });

  it('header checks apply only to the tool that declares them', async () => {
    const h = await serve();
    const r = await postJson(h.port, echo(1, 'hi'), { headers: { 'mcp-param-region': 'anything' } });
    expect(r.status).toBe(200);
  });
});

describe('clients do not disturb each other', () => {
  it('a client sending garbage from 127.0.0.2 does not disturb one at 127.0.0.1', async () => {
    const h = await serve();
    let stop = false;
    const garbage: Promise<void> = (async () => {
      const bad: (() => Promise<unknown>)[] = [
        () => postJson(h.port, undefined, { from: B, raw: '{not json', headers: { 'mcp-protocol-version': V2026 } }),
        () => postJson(h.port, [request2026(1, 'tools/list')], { from: B, headers: { 'mcp-protocol-version': V2026 } }),
        () => postJson(h.port, request2026(1, 'tools/list', {}, { meta: { [PV]: '1999-01-01' } }), { from: B }),
        () =>
          postJson(h.port, request2026(1, 'tools/call', { name: 'echo' }), {
            from: B,
            headers: { 'mcp-name': 'evil' },
          }),
        () => postJson(h.port, request2026(1, 'ping'), { from: B }),
        () => postJson(h.port, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { from: B }),
        () => postJson(h.port, { jsonrpc: '1.0', id: 1 }, { from: B, headers: { 'mcp-protocol-version': V2026 } }),
      ];
      let i = 0;
      while (!stop) {
        const r = (await (bad[i++ % bad.length] as () => Promise<{ status: number }>)()) as { status: number };
        expect(r.status).toBeGreaterThanOrEqual(400);
      }
    })();
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => postJson(h.port, echo(i % 4, `good-${i}`))),
      );
      answers.forEach((a, i) => {
        expect(a.status).toBe(200);
        expect(a.body).toEqual({
          jsonrpc: '2.0',
          id: i % 4,
          result: { ...text(`good-${i}`), resultType: 'complete', _meta: META },
        });
      });
    } finally {
      stop = true;
      await garbage;
    }
    expect(h.server.gate.breaker.state).toBe('closed');
    expect(h.server.inFlight).toBe(0);
  });

  it('two addresses using the same JSON-RPC ids concurrently get their own answers', async () => {
    const h = await serve();
    const [a, b] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => postJson(h.port, echo('same', `a${i}`)))),
      Promise.all(Array.from({ length: 20 }, (_, i) => postJson(h.port, echo('same', `b${i}`), { from: B }))),
    ]);
    expect(a.map((r) => r.body.result.content[0].text)).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(b.map((r) => r.body.result.content[0].text)).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    expect(h.server.statelessClients.size).toBe(2);
    expect(h.listener.clients).toBe(2);
  });
});

describe('both eras on one endpoint', () => {
  it('a 2025 session and 2026 requests interleave, from the same and from another address', async () => {
    const h = await serve();
    const sid = await initialize2025(h.port);
    const who = (r: { body: Wire }) => JSON.parse(r.body.result.content[0].text);
    const results = await Promise.all([
      post2025(h.port, sid, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      postJson(h.port, request2026(1, 'tools/call', { name: 'whoami' }, { caps: { sampling: {} } })),
      postJson(h.port, request2026(1, 'tools/call', { name: 'whoami' }), { from: B }),
      post2025(h.port, sid, { jsonrpc: '2.0', id: 2, method: 'ping' }),
      postJson(h.port, request2026(2, 'ping')),
      // A 2026 request carrying the 2025 session's id is still served statelessly.
      postJson(h.port, request2026(3, 'tools/call', { name: 'whoami' }), { headers: { 'mcp-session-id': sid } }),
    ]);
    const [legacy, modernA, modernB, ping2025, ping2026, modernWithSid] = results;
    expect(legacy?.status).toBe(200);
    expect(who(legacy as { body: Wire })).toEqual({
      protocolVersion: '2025-11-25',
      capabilities: {},
      stateless: false,
      sessionId: sid,
    });
    expect(legacy?.body.result).not.toHaveProperty('resultType');
    expect(who(modernA as { body: Wire })).toEqual({
      protocolVersion: V2026,
      capabilities: { sampling: {} },
      stateless: true,
      sessionId: null,
    });
    expect(who(modernB as { body: Wire })).toEqual({
      protocolVersion: V2026,
      capabilities: {},
      stateless: true,
      sessionId: null,
    });
    expect(ping2025?.body).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    expect([ping2026?.status, ping2026?.body.error.code]).toEqual([404, -32601]);
    expect(who(modernWithSid as { body: Wire }).stateless).toBe(true);
    expect(modernWithSid?.reply.headers['mcp-session-id']).toBeUndefined();
    expect(h.server.sessions.size).toBe(1);
    expect(h.server.statelessClients.size).toBe(2);
    // The 2025 session still works and still has its own methods.
    const sub = await post2025(h.port, sid, {
      jsonrpc: '2.0',
      id: 9,
      method: 'resources/subscribe',
      params: { uri: 'mem://readme' },
    });
    expect(sub.body).toEqual({ jsonrpc: '2.0', id: 9, result: {} });
    // And a body claiming 2026 with the session's 2025 header is a mismatch, not a session request.
    const mixed = await postJson(h.port, request2026(10, 'tools/list'), {
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    });
    expect([mixed.status, mixed.body.error.code]).toEqual([400, -32020]);
  });

  it('closing the 2025 session leaves the 2026 channel of the same address serving', async () => {
    const h = await serve();
    const sid = await initialize2025(h.port);
    expect((await postJson(h.port, echo(1, 'x'))).status).toBe(200);
    const del = await request(h.port, 'DELETE', { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    expect(del.status).toBe(200);
    await until(() => h.server.sessions.size === 0);
    expect((await postJson(h.port, echo(2, 'y'))).body.result.content).toEqual([{ type: 'text', text: 'y' }]);
  });
});

describe('request-scoped SSE: progress and logging', () => {
  it('without logLevel and progressToken the answer is plain JSON and carries no notifications', async () => {
    const h = await serve();
    const r = await post(h.port, request2026('q', 'tools/call', { name: 'chatty' }));
    expect(r.headers['content-type']).toBe('application/json');
    expect(await r.messages()).toEqual([
      { jsonrpc: '2.0', id: 'q', result: { ...text('chatted'), resultType: 'complete', _meta: META } },
    ]);
  });

  it('logLevel and progressToken turn the answer into an SSE stream: filtered logs, progress, then the answer', async () => {
    const h = await serve();
    const r = await post(
      h.port,
      request2026('s', 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'warning', progressToken: 'p1' } }),
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['x-accel-buffering']).toBe('no');
    expect(await r.messages()).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', data: 'at warning' } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', data: 'at error' } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p1', progress: 1, total: 2 } },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'p1', progress: 2, total: 2, message: 'done' },
      },
      { jsonrpc: '2.0', id: 's', result: { ...text('chatted'), resultType: 'complete', _meta: META } },
    ]);
    expect(r.ended).toBe(true);
  });

  it('progress only: the stream carries no log messages', async () => {
    const h = await serve();
    const r = await post(h.port, request2026(1, 'tools/call', { name: 'chatty' }, { meta: { progressToken: 7 } }));
    expect((await r.messages()).map((m) => m.method ?? 'answer')).toEqual([
      'notifications/progress',
      'notifications/progress',
      'answer',
    ]);
  });

  it("one request's notifications never travel on another's stream", async () => {
    const h = await serve();
    const [a, b] = await Promise.all([
      post(h.port, request2026('a', 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'debug' } })),
      post(h.port, request2026('b', 'tools/call', { name: 'chatty' })),
    ]);
    expect((await a.messages()).length).toBe(6);
    expect(await b.messages()).toEqual([
      { jsonrpc: '2.0', id: 'b', result: { ...text('chatted'), resultType: 'complete', _meta: META } },
    ]);
  });
});

describe('cancellation: closing the POST stream', () => {
  it('before any answer: the handler aborts, nothing is in flight, the admission slot is back', async () => {
    const h = await serve();
    const p = start(h.port, request2026('c1', 'tools/call', { name: 'wait', arguments: { key: 'k1' } }));
    await until(() => h.controls.started.includes('k1'));
    expect(h.server.inFlight).toBe(1);
    expect(h.server.gate.admission.globalDepth).toBe(1);
    p.abort();
    await until(() => h.controls.aborted.length === 1);
    expect(h.controls.aborted[0]?.key).toBe('k1');
    await until(() => h.server.inFlight === 0 && h.server.gate.admission.globalDepth === 0);
    expect(h.server.gate.admission.stats()).toMatchObject({ globalDepth: 0 });
    // The channel keeps serving, and the cancellation is not a server fault.
    expect((await postJson(h.port, echo(2, 'after'))).body.result.content).toEqual([{ type: 'text', text: 'after' }]);
    expect(h.server.gate.breaker.state).toBe('closed');
  });

  it('after the stream started (SSE): the handler aborts and no answer is written', async () => {
    const h = await serve();
    const r = await post(
      h.port,
      request2026(
        'c2',
        'tools/call',
        { name: 'progressThenWait', arguments: { key: 'k2' } },
        { meta: { progressToken: 't' } },
      ),
    );
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 't', progress: 0, total: 1, message: 'started' },
    });
    r.close();
    await until(() => h.controls.aborted.length === 1);
    await until(() => h.server.inFlight === 0 && h.server.gate.admission.globalDepth === 0);
    h.controls.release('k2'); // a late return must not reach anything
    expect(h.server.inFlight).toBe(0);
  });

  it("one client's cancel does not touch another client's request", async () => {
    const h = await serve();
    const a = start(h.port, request2026(1, 'tools/call', { name: 'wait', arguments: { key: 'a' } }));
    const b = start(h.port, request2026(1, 'tools/call', { name: 'wait', arguments: { key: 'b' } }), { from: B });
    await until(() => h.controls.started.length === 2);
    a.abort();
    await until(() => h.controls.aborted.length === 1);
    h.controls.release('b');
    const rb = await b.reply;
    expect(await rb.json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { ...text('released b'), resultType: 'complete', _meta: META },
    });
    expect(h.controls.aborted.map((x) => x.key)).toEqual(['a']);
  });

  // The channel renumbers requests (its own ids 1, 2, 3, ...) so that the ids of clients never
  // meet. A notifications/cancelled POSTed by a client names the client's ids, so it must never
  // cancel the request that happens to have that number inside the channel.
  it('a notifications/cancelled naming an id the client never used cancels nothing', async () => {
    const h = await serve();
    const p = start(h.port, request2026('mine', 'tools/call', { name: 'wait', arguments: { key: 'mine' } }));
    await until(() => h.controls.started.includes('mine'));
    const note = await post(
      h.port,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'not yours' } },
      {
        headers: { 'mcp-protocol-version': V2026 },
      },
    );
    expect(note.status).toBe(202);
    await note.text();
    // The notification is handed to the channel before the 202 is written.
    expect(h.controls.aborted).toEqual([]);
    expect(h.server.inFlight).toBe(1);
    h.controls.release('mine');
    const r = await bounded(p.reply, 5_000, 'the answer to "mine"');
    expect(await r.json(5_000)).toEqual({
      jsonrpc: '2.0',
      id: 'mine',
      result: { ...text('released mine'), resultType: 'complete', _meta: META },
    });
    expect(h.controls.aborted).toEqual([]);
  });
});

describe('subscriptions/listen over HTTP', () => {
  const listenBody = (id: string | number, notifications: Record<string, unknown>) =>
    request2026(id, 'subscriptions/listen', { notifications });

  it('an SSE stream: the ack first, then tagged notifications with the client id, until the client closes it', async () => {
    const h = await serve();
    const r = await post(
      h.port,
      listenBody('sub-1', {
        toolsListChanged: true,
        promptsListChanged: true,
        resourceSubscriptions: ['mem://readme'],
      }),
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['x-accel-buffering']).toBe('no');
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: {
        notifications: { toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ['mem://readme'] },
        _meta: { [SUB_ID]: 'sub-1' },
      },
    });
    await until(() => h.server.subscriptions === 1);
    h.server.notifyResourceUpdated('mem://readme');
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'mem://readme', _meta: { [SUB_ID]: 'sub-1' } },
    });
    h.server.registerTool('extra', {}, () => text('x'));
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { [SUB_ID]: 'sub-1' } },
    });
    // Other requests of the same client are served meanwhile.
    expect((await postJson(h.port, echo(2, 'meanwhile'))).status).toBe(200);
    r.close();
    await until(() => h.server.subscriptions === 0 && h.server.inFlight === 0);
    expect(h.server.gate.admission.globalDepth).toBe(0);
  });

  it('log messages never travel on a listen stream, whatever the listen or the server sends', async () => {
    const h = await serve();
    const r = await post(h.port, listenBody('quiet', { toolsListChanged: true }), {});
    await r.next();
    await until(() => h.server.subscriptions === 1);
    // A 2025 session that wants every level, and a broadcast log: neither reaches the listen.
    const sid = await initialize2025(h.port);
    h.server.sendLog('error', 'for 2025 sessions');
    const chatty = await post(
      h.port,
      request2026('c', 'tools/call', { name: 'chatty' }, { meta: { [LOG_LEVEL]: 'debug' } }),
    );
    expect((await chatty.messages()).filter((m) => m.method === 'notifications/message').length).toBe(5);
    h.server.registerTool('marker', {}, () => text('m'));
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { [SUB_ID]: 'quiet' } },
    });
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    r.close();
  });

  it('two listens of two clients with the same id: each stream gets only its own', async () => {
    const h = await serve();
    const a = await post(h.port, listenBody(1, { toolsListChanged: true }));
    const b = await post(h.port, listenBody(1, { resourceSubscriptions: ['mem://readme'] }), { from: B });
    expect((await a.next()).params.notifications).toEqual({ toolsListChanged: true });
    expect((await b.next()).params.notifications).toEqual({ resourceSubscriptions: ['mem://readme'] });
    await until(() => h.server.subscriptions === 2);
    h.server.notifyResourceUpdated('mem://readme');
    h.server.registerTool('extra', {}, () => text('x'));
    expect(await b.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'mem://readme', _meta: { [SUB_ID]: 1 } },
    });
    expect(await a.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { [SUB_ID]: 1 } },
    });
    a.close();
    b.close();
    await until(() => h.server.subscriptions === 0);
  });

  it('graceful shutdown answers the listen with a completion result on its stream and ends it', async () => {
    const h = await serve();
    const r = await post(h.port, listenBody('bye', { toolsListChanged: true }));
    await r.next();
    await until(() => h.server.subscriptions === 1);
    await h.server.shutdown(2_000);
    expect(await r.next()).toEqual({
      jsonrpc: '2.0',
      id: 'bye',
      result: { resultType: 'complete', _meta: { [SUB_ID]: 'bye', ...META } },
    });
    await r.text();
    expect(r.ended).toBe(true);
  });

  it('a listen outlives requestTimeoutMs (an ordinary request does not)', async () => {
    const h = await serve({ requestTimeoutMs: 80 });
    const r = await post(h.port, listenBody('long', { toolsListChanged: true }));
    await r.next();
    const timedOut = await postJson(
      h.port,
      request2026(2, 'tools/call', { name: 'wait', arguments: { key: 'never' } }),
    );
    expect(timedOut.body.error).toEqual({
      code: -32001,
      message: 'Request timed out after 80 ms',
      data: { timeoutMs: 80 },
    });
    expect(r.ended).toBe(false);
    h.server.registerTool('later', {}, () => text('x'));
    expect((await r.next()).method).toBe('notifications/tools/list_changed');
    r.close();
  });

  it('maxSubscriptions: one more is 503 / -32012 (max_subscriptions) with Retry-After', async () => {
    const h = await serve({ subscriptions: { maxSubscriptions: 1 } });
    const first = await post(h.port, listenBody(1, { toolsListChanged: true }));
    await first.next();
    await until(() => h.server.subscriptions === 1);
    const second = await postJson(h.port, listenBody(2, { toolsListChanged: true }), { from: B });
    expect(second.status).toBe(503);
    expect(second.reply.headers['retry-after']).toBe('1');
    expect(second.body).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: {
        code: -32012,
        message: 'Server overloaded: 1 subscriptions are open',
        data: { reason: 'max_subscriptions', retryAfterMs: 1000 },
      },
    });
    first.close();
  });
});

describe('the stateless channel of each client', () => {
  it('each address has its own token bucket: one exhausted gets 429 / -32010 with Retry-After, another is served', async () => {
    // The smallest refill the native bucket takes is 1 token/s: a burst of 20 at once finds at
    // most the 3 of the capacity plus what refilled meanwhile; the counts are bounded, the
    // refusals exact.
    const h = await serve({ gate: { bucket: { capacity: 3, refillPerSec: 1 } } });
    const began = performance.now();
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(h.port, echo(`a${i}`, 'a'))));
    const refilled = Math.ceil((performance.now() - began) / 1000); // at most this many tokens came back
    const served = burst.filter((r) => r.status === 200);
    const limited = burst.filter((r) => r.status !== 200);
    expect(served.length).toBeGreaterThanOrEqual(3);
    expect(served.length).toBeLessThanOrEqual(3 + refilled);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.status).toBe(429);
      expect(Number(r.reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.body.error.code).toBe(-32010);
      expect(r.body.error.data.reason).toBe('rate_limited');
      expect(r.body.error.data.retryAfterMs).toBeGreaterThan(0);
      expect(r.body.id).toMatch(/^a\d+$/);
    }
    // Every answer carries the id of its own request.
    expect(burst.map((r) => r.body.id)).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    // Another address has a full bucket of its own.
    const other = await Promise.all(Array.from({ length: 3 }, (_, i) => postJson(h.port, echo(i, 'b'), { from: B })));
    expect(other.map((r) => [r.status, r.body.result.content[0].text])).toEqual([
      [200, 'b'],
      [200, 'b'],
      [200, 'b'],
    ]);
    // Refusals before the bucket (a bad envelope) cost no token.
    for (let i = 0; i < 5; i++) {
      const bad = await postJson(h.port, request2026(i, 'tools/list', {}, { meta: { [PV]: '2099-01-01' } }), {
        from: C,
      });
      expect(bad.status).toBe(400);
    }
    const third = await Promise.all(Array.from({ length: 3 }, (_, i) => postJson(h.port, echo(i, 'c'), { from: C })));
    expect(third.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('a channel with nothing in flight expires after clientIdleMs; the next request opens a new one', async () => {
    const h = await serve({}, { clientIdleMs: 40 });
    expect((await postJson(h.port, echo(1, 'x'))).status).toBe(200);
    expect(h.server.statelessClients.size).toBe(1);
    const first = [...h.server.statelessClients][0];
    await until(() => h.server.statelessClients.size === 0 && h.listener.clients === 0);
    expect(h.server.gate.sessions).toBe(0);
    expect((await postJson(h.port, echo(2, 'y'))).body.result.content).toEqual([{ type: 'text', text: 'y' }]);
    expect(h.server.statelessClients.size).toBe(1);
    expect([...h.server.statelessClients][0]).not.toBe(first);
  });

  it('a channel with a request in flight or an open listen does not expire', async () => {
    const h = await serve({}, { clientIdleMs: 40 });
    const busy = start(h.port, request2026(1, 'tools/call', { name: 'wait', arguments: { key: 'busy' } }));
    const listen = await post(
      h.port,
      request2026(2, 'subscriptions/listen', { notifications: { toolsListChanged: true } }),
      { from: B },
    );
    await listen.next();
    await until(() => h.controls.started.includes('busy'));
    // A third client comes and goes: once its channel has expired, the sweep has run past the
    // idle time of the other two as well.
    await postJson(h.port, echo(3, 'z'), { from: C });
    await until(() => h.listener.clients === 2);
    expect(h.server.statelessClients.size).toBe(2);
    h.controls.release('busy');
    expect((await (await busy.reply).json()).result.content).toEqual([{ type: 'text', text: 'released busy' }]);
    listen.close();
  });

  it('maxClients: a new address beyond it gets 503 / -32012 (max_clients) with its id; known ones are served', async () => {
    const h = await serve({}, { maxClients: 1, clientIdleMs: 60_000 });
    expect((await postJson(h.port, echo(1, 'a'))).status).toBe(200);
    const refused = await postJson(h.port, echo('b1', 'b'), { from: B });
    expect(refused.status).toBe(503);
    expect(refused.reply.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({
      jsonrpc: '2.0',
      id: 'b1',
      error: {
        code: -32012,
        message: 'Service Unavailable: the server serves its maximum of 1 clients',
        data: { reason: 'max_clients', retryAfterMs: 1000, limit: 1 },
      },
    });
    expect((await postJson(h.port, echo(2, 'a'))).status).toBe(200);
    // 2025 sessions are not clients: initialize still works from the refused address.
    await initialize2025(h.port, B);
  });

  // 2025 sessions get random ids, so one McpServer can sit behind several listeners (two ports,
  // say). Stateless channels are named client:<address> in the server's gate: the same client
  // address reaching the server through a second listener must get a channel there too.
  it('one McpServer behind two listeners serves the same client address on both', async () => {
    const { server } = buildToolset();
    const first = await startStateless(server);
    const second = await startStateless(server);
    harnesses.push(second, first);
    const a = await postJson(first.port, echo(1, 'first'));
    expect([a.status, a.body.result?.content]).toEqual([200, [{ type: 'text', text: 'first' }]]);
    const b = await postJson(second.port, echo(2, 'second'));
    expect([b.status, b.body.result?.content]).toEqual([200, [{ type: 'text', text: 'second' }]]);
  });

  it('listener close answers pending POSTs 503 / -32014 with their ids; later POSTs get 503', async () => {
    const h = await serve();
    const p = start(h.port, request2026('held', 'tools/call', { name: 'wait', arguments: { key: 'held' } }));
    await until(() => h.controls.started.includes('held'));
    await h.listener.close();
    const r = await p.reply;
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(await r.json()).toEqual({
      jsonrpc: '2.0',
      id: 'held',
      error: { code: -32014, message: 'the server is closing', data: { reason: 'session_closing' } },
    });
    await until(() => h.controls.aborted.length === 1 && h.server.inFlight === 0);
    const late = await postJson(h.port, echo(1, 'late'));
    expect(late.status).toBe(503);
    expect(late.body.error.code).toBe(-32014);
    expect(h.server.statelessClients.size).toBe(0);
  });
});
