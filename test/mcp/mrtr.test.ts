/**
 * Multi round-trip requests (SEP-2322) as erlmcp serves them: the same handler code
 * (`await ctx.elicit(...)`, `ctx.sample`, `ctx.listRoots`, or `return ctx.inputRequired(...)`)
 * becomes `input_required` results with sealed requestState for 2026 requests, and real
 * server -> client requests in a 2025 session.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import { ServerContext } from '../../src/mcp/server-context.js';
import type { CallToolResult, CreateMessageParams } from '../../src/mcp/types.js';
import { createMemoryTransportPair } from '../../src/transports/memory.js';
import { type EraClient, eraClient, SERVER_INFO } from './era.js';
import type { Wire } from './harness.js';

const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const ASK_NAME = { message: 'Your name?', requestedSchema: NAME_SCHEMA };
const SAMPLE: CreateMessageParams = {
  messages: [{ role: 'user', content: { type: 'text', text: 'capital of France?' } }],
  maxTokens: 50,
};
const ELICIT_CAPS = { elicitation: {} };
const ALL_CAPS = { elicitation: {}, sampling: {}, roots: {} };
const SERVER = { name: 'mrtr', version: '3.1.0' };
const META = { [SERVER_INFO]: SERVER };

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

const servers: McpServer[] = [];
const clients: McpClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** How often each tool's handler ran (a handler replays from the top every round). */
let runs: Record<string, number> = {};

function newServer(options: McpServerOptions = {}): McpServer {
  runs = {};
  const count = (name: string) => {
    runs[name] = (runs[name] ?? 0) + 1;
  };
  const s = new McpServer(SERVER, options);
  s.registerTool('greet', {}, async (_a, ctx) => {
    count('greet');
    const r = await ctx.elicit(ASK_NAME);
    return text(r.action === 'accept' ? `Hello ${String(r.content?.name)}` : `no name (${r.action})`);
  });
  s.registerTool('both', {}, async (_a, ctx) => {
    count('both');
    const [who, answer] = await Promise.all([
      ctx.elicit(ASK_NAME, { key: 'github_login' }),
      ctx.sample(SAMPLE, { key: 'capital' }),
    ]);
    const content = answer.content as { text: string };
    return text(`${String(who.content?.name)}: ${content.text}`);
  });
  s.registerTool('chain', {}, async (_a, ctx) => {
    count('chain');
    const who = await ctx.elicit(ASK_NAME);
    const answer = await ctx.sample(SAMPLE);
    const roots = await ctx.listRoots();
    return text(
      `${String(who.content?.name)}|${(answer.content as { text: string }).text}|${roots.map((r) => r.uri).join(',')}`,
    );
  });
  s.registerTool('explicit', {}, (_a, ctx) => {
    count('explicit');
    if (ctx.requestState === undefined) {
      return ctx.inputRequired({
        inputRequests: {
          confirm: ServerContext.inputRequest('elicitation/create', {
            mode: 'form',
            message: 'Sure?',
            requestedSchema: { type: 'object' },
          }),
        },
        state: { step: 1, cart: ['a', 'b'] },
      });
    }
    return text(JSON.stringify({ state: ctx.requestState, answers: ctx.inputResponses }));
  });
  s.registerTool('stateOnly', {}, (_a, ctx) => {
    count('stateOnly');
    if (ctx.requestState === undefined) return ctx.inputRequired({ state: 'poll-again' });
    return text(`state was ${String(ctx.requestState)}`);
  });
  s.registerTool('swallow', {}, async (_a, ctx) => {
    try {
      await ctx.elicit(ASK_NAME);
    } catch {
      // A handler that catches everything still gets its input_required answer.
    }
    return text('swallowed');
  });
  s.registerTool(
    'book',
    { inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    async ({ city }: { city: string }, ctx) => {
      const r = await ctx.elicit({ message: `Book ${city}?`, requestedSchema: { type: 'object' } });
      return text(`${city}: ${r.action}`);
    },
  );
  s.registerPrompt('intro', { arguments: [{ name: 'topic', required: true }] }, async ({ topic }, ctx) => {
    const r = await ctx.elicit(ASK_NAME);
    return { messages: [{ role: 'user', content: { type: 'text', text: `${String(r.content?.name)} on ${topic}` } }] };
  });
  s.registerResource(
    'secret',
    'vault://secret',
    { cache: { ttlMs: 5_000, cacheScope: 'private' } },
    async (uri, ctx) => {
      const r = await ctx.elicit({ message: 'PIN?', requestedSchema: { type: 'object' } }, { key: 'pin' });
      return { contents: [{ uri, text: `opened with ${String(r.content?.pin)}` }] };
    },
  );
  s.registerResourceTemplate(
    'listed',
    'listed://{id}',
    {
      list: async (ctx) => {
        await ctx.elicit(ASK_NAME); // not allowed outside tools/call, prompts/get, resources/read
        return [];
      },
    },
    (uri) => ({ contents: [{ uri, text: 'x' }] }),
  );
  servers.push(s);
  return s;
}

const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });
const sampled = (t: string) => ({
  role: 'assistant',
  content: { type: 'text', text: t },
  model: 'm1',
  stopReason: 'endTurn',
});

/** Calls a tool with a 2026 envelope declaring `caps`. */
function callTool(
  c: EraClient,
  id: string | number,
  name: string,
  extra: Record<string, unknown> = {},
  caps: Record<string, unknown> = ALL_CAPS,
) {
  return c.call(id, 'tools/call', { name, arguments: {}, ...extra }, { caps });
}

describe('2026: input_required results', () => {
  it('one elicitation: input_required with the request and sealed state; the retry completes', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'greet', {}, ELICIT_CAPS);
    expect(first).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        resultType: 'input_required',
        inputRequests: { 'elicitation-1': { method: 'elicitation/create', params: { mode: 'form', ...ASK_NAME } } },
        requestState: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
        _meta: META,
      },
    });
    // No cache hints on an interim result, and nothing was sent to the client as a request.
    expect(first.result).not.toHaveProperty('ttlMs');
    expect(first.result).not.toHaveProperty('cacheScope');
    expect(c.inbox).toEqual([]);

    const retry = await callTool(
      c,
      2,
      'greet',
      { inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) }, requestState: first.result.requestState },
      ELICIT_CAPS,
    );
    expect(retry).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { ...text('Hello Ada'), resultType: 'complete', _meta: META },
    });
    expect(runs.greet).toBe(2);
  });

  it('decline and cancel are valid answers', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'greet');
    for (const [id, action] of [
      [2, 'decline'],
      [3, 'cancel'],
    ] as const) {
      const r = await callTool(c, id, 'greet', {
        inputResponses: { 'elicitation-1': { action } },
        requestState: first.result.requestState,
      });
      expect(r.result.content).toEqual([{ type: 'text', text: `no name (${action})` }]);
    }
  });

  it('several requests in one round, under the keys the handler chose', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 'a', 'both');
    expect(first.result.resultType).toBe('input_required');
    expect(first.result.inputRequests).toEqual({
      github_login: { method: 'elicitation/create', params: { mode: 'form', ...ASK_NAME } },
      capital: { method: 'sampling/createMessage', params: SAMPLE },
    });
    const done = await callTool(c, 'b', 'both', {
      inputResponses: { github_login: accept({ name: 'octocat' }), capital: sampled('Paris'), unrelated: { x: 1 } },
      requestState: first.result.requestState,
    });
    expect(done.result).toEqual({ ...text('octocat: Paris'), resultType: 'complete', _meta: META });
  });

  it('multi-round: each round asks for the next input and carries the earlier answers in requestState', async () => {
    const c = await eraClient(newServer());
    const r1 = await callTool(c, 1, 'chain');
    expect(Object.keys(r1.result.inputRequests)).toEqual(['elicitation-1']);
    const r2 = await callTool(c, 2, 'chain', {
      inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
      requestState: r1.result.requestState,
    });
    expect(r2.result.resultType).toBe('input_required');
    expect(r2.result.inputRequests).toEqual({ 'sampling-1': { method: 'sampling/createMessage', params: SAMPLE } });
    expect(r2.result.requestState).not.toBe(r1.result.requestState);
    // Round 3 answers only the new question: the first answer comes from the state.
    const r3 = await callTool(c, 3, 'chain', {
      inputResponses: { 'sampling-1': sampled('Paris') },
      requestState: r2.result.requestState,
    });
    expect(r3.result.inputRequests).toEqual({ 'roots-1': { method: 'roots/list', params: {} } });
    const r4 = await callTool(c, 4, 'chain', {
      inputResponses: { 'roots-1': { roots: [{ uri: 'file:///w', name: 'w' }, { uri: 'file:///x' }] } },
      requestState: r3.result.requestState,
    });
    expect(r4.result).toEqual({ ...text('Ada|Paris|file:///w,file:///x'), resultType: 'complete', _meta: META });
    expect(runs.chain).toBe(4);
  });

  it('an answer carried in the state cannot be replaced by a later round', async () => {
    const c = await eraClient(newServer());
    const r1 = await callTool(c, 1, 'chain');
    const r2 = await callTool(c, 2, 'chain', {
      inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
      requestState: r1.result.requestState,
    });
    const r3 = await callTool(c, 3, 'chain', {
      inputResponses: { 'sampling-1': sampled('Paris'), 'elicitation-1': accept({ name: 'Mallory' }) },
      requestState: r2.result.requestState,
    });
    const r4 = await callTool(c, 4, 'chain', {
      inputResponses: { 'roots-1': { roots: [] } },
      requestState: r3.result.requestState,
    });
    expect(r4.result.content).toEqual([{ type: 'text', text: 'Ada|Paris|' }]);
  });

  it('explicit ctx.inputRequired with state: the retry sees the state and the answers', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'explicit');
    expect(first.result).toEqual({
      resultType: 'input_required',
      inputRequests: {
        confirm: {
          method: 'elicitation/create',
          params: { mode: 'form', message: 'Sure?', requestedSchema: { type: 'object' } },
        },
      },
      requestState: expect.any(String),
      _meta: META,
    });
    // The handler's state is sealed, not readable.
    expect(first.result.requestState).not.toContain('cart');
    const done = await callTool(c, 2, 'explicit', {
      inputResponses: { confirm: { action: 'accept', content: {} } },
      requestState: first.result.requestState,
    });
    expect(JSON.parse(done.result.content[0].text)).toEqual({
      state: { step: 1, cart: ['a', 'b'] },
      answers: { confirm: { action: 'accept', content: {} } },
    });
  });

  it('explicit ctx.inputRequired with only state: requestState and no inputRequests', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'stateOnly');
    expect(first.result).toEqual({ resultType: 'input_required', requestState: expect.any(String), _meta: META });
    const done = await callTool(c, 2, 'stateOnly', { requestState: first.result.requestState });
    expect(done.result.content).toEqual([{ type: 'text', text: 'state was poll-again' }]);
  });

  it('a handler that catches the unwinding still answers input_required', async () => {
    const c = await eraClient(newServer());
    const r = await callTool(c, 1, 'swallow');
    expect(r.result.resultType).toBe('input_required');
    expect(Object.keys(r.result.inputRequests)).toEqual(['elicitation-1']);
  });

  it('missing or wrongly keyed answers get a new input_required asking again', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'both');
    for (const [id, inputResponses] of [
      [2, {}],
      [3, { 'elicitation-1': accept({ name: 'x' }), capitol: sampled('Paris') }],
    ] as const) {
      const again = await callTool(c, id, 'both', { inputResponses, requestState: first.result.requestState });
      expect(again.result.resultType).toBe('input_required');
      expect(Object.keys(again.result.inputRequests).sort()).toEqual(['capital', 'github_login']);
    }
    // Half answered: only the other half is asked for.
    const half = await callTool(c, 4, 'both', {
      inputResponses: { capital: sampled('Paris') },
      requestState: first.result.requestState,
    });
    expect(Object.keys(half.result.inputRequests)).toEqual(['github_login']);
    const done = await callTool(c, 5, 'both', {
      inputResponses: { github_login: accept({ name: 'Ada' }) },
      requestState: half.result.requestState,
    });
    expect(done.result.content).toEqual([{ type: 'text', text: 'Ada: Paris' }]);
  });

  it.each([
    [
      'an elicitation answer without a valid action',
      'greet',
      { 'elicitation-1': { action: 'yes' } },
      'inputResponses.elicitation-1 (answer to elicitation/create) action must be accept, decline or cancel',
    ],
    [
      'an elicitation answer whose content is not an object',
      'greet',
      { 'elicitation-1': { action: 'accept', content: 'Ada' } },
      'content must be an object',
    ],
    ['an answer that is not an object', 'greet', { 'elicitation-1': 'Ada' }, 'must be an object'],
    [
      'a sampling answer without model',
      'chainSampling',
      { 'sampling-1': { role: 'assistant', content: { type: 'text', text: 'x' } } },
      'model must be a string',
    ],
    [
      'a sampling answer with a bad role',
      'chainSampling',
      { 'sampling-1': { role: 'system', content: { type: 'text', text: 'x' }, model: 'm' } },
      'role must be user or assistant',
    ],
    ['a roots answer without roots', 'chainRoots', { 'roots-1': { rooots: [] } }, 'roots must be an array'],
    ['a root without uri', 'chainRoots', { 'roots-1': { roots: [{ name: 'x' }] } }, 'every root needs a uri string'],
  ])('%s is -32602 naming the key', async (_what, tool, inputResponses, detail) => {
    const s = newServer();
    s.registerTool('chainSampling', {}, async (_a, ctx) => text(JSON.stringify(await ctx.sample(SAMPLE))));
    s.registerTool('chainRoots', {}, async (_a, ctx) => text(JSON.stringify(await ctx.listRoots())));
    const c = await eraClient(s);
    const first = await callTool(c, 1, tool);
    expect(first.result.resultType).toBe('input_required');
    const r = await callTool(c, 2, tool, { inputResponses, requestState: first.result.requestState });
    expect(r.id).toBe(2);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain(detail);
  });

  it.each([
    ['null', null],
    ['an array', [{ action: 'accept' }]],
    ['a string', 'accept'],
    ['a number', 1],
  ])('inputResponses that is %s is -32602', async (_what, inputResponses) => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'greet');
    const r = await callTool(c, 2, 'greet', { inputResponses, requestState: first.result.requestState });
    expect(r.error).toEqual({
      code: -32602,
      message: 'Invalid params: inputResponses must be an object of answers by key',
    });
  });

  it('tampered requestState is -32602', async () => {
    const c = await eraClient(newServer());
    const first = await callTool(c, 1, 'greet');
    const raw = Buffer.from(first.result.requestState, 'base64url');
    raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 0x80, raw.length - 1);
    const r = await callTool(c, 2, 'greet', {
      inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
      requestState: raw.toString('base64url'),
    });
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toContain('Invalid requestState: integrity check failed');
    const garbage = await callTool(c, 3, 'greet', { requestState: 'not-state' });
    expect(garbage.error.code).toBe(-32602);
    expect(garbage.error.message).toContain('Invalid requestState');
    const wrongType = await callTool(c, 4, 'greet', { requestState: { a: 1 } });
    expect(wrongType.error.code).toBe(-32602);
  });

  it("another request's requestState (other tool, other arguments) is -32602", async () => {
    const c = await eraClient(newServer());
    const greet = await callTool(c, 1, 'greet');
    const other = await callTool(c, 2, 'chain', { requestState: greet.result.requestState });
    expect(other.error.code).toBe(-32602);
    expect(other.error.message).toContain('belongs to another request');

    const oslo = await c.call(3, 'tools/call', { name: 'book', arguments: { city: 'Oslo' } }, { caps: ELICIT_CAPS });
    expect(oslo.result.resultType).toBe('input_required');
    const bergen = await c.call(
      4,
      'tools/call',
      {
        name: 'book',
        arguments: { city: 'Bergen' },
        inputResponses: { 'elicitation-1': { action: 'accept' } },
        requestState: oslo.result.requestState,
      },
      { caps: ELICIT_CAPS },
    );
    expect(bergen.error.code).toBe(-32602);
    expect(bergen.error.message).toContain('belongs to another request');
    // The same arguments in another key order are the same request.
    const same = await c.call(
      5,
      'tools/call',
      {
        arguments: { city: 'Oslo' },
        name: 'book',
        inputResponses: { 'elicitation-1': { action: 'accept' } },
        requestState: oslo.result.requestState,
      },
      { caps: ELICIT_CAPS },
    );
    expect(same.result.content).toEqual([{ type: 'text', text: 'Oslo: accept' }]);
  });

  it("another server's key: refused; servers sharing a key open each other's state", async () => {
    const key = 's'.repeat(40);
    const a = await eraClient(newServer({ requestState: { key } }));
    const b = await eraClient(newServer({ requestState: { key } }));
    const stranger = await eraClient(newServer());
    const first = await callTool(a, 1, 'greet');
    const retry = {
      inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
      requestState: first.result.requestState,
    };
    const onB = await callTool(b, 2, 'greet', retry);
    expect(onB.result.content).toEqual([{ type: 'text', text: 'Hello Ada' }]);
    const onStranger = await callTool(stranger, 3, 'greet', retry);
    expect(onStranger.error.code).toBe(-32602);
    expect(onStranger.error.message).toContain('integrity check failed');
  });

  it('expired requestState is -32602 (fake clock); within the ttl it opens', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-09-01T00:00:00Z'));
    const c = await eraClient(newServer({ requestState: { ttlMs: 60_000 } }));
    const first = await callTool(c, 1, 'greet');
    const retry = {
      inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
      requestState: first.result.requestState,
    };
    vi.setSystemTime(new Date('2026-09-01T00:01:00Z'));
    expect((await callTool(c, 2, 'greet', retry)).result.content).toEqual([{ type: 'text', text: 'Hello Ada' }]);
    vi.setSystemTime(new Date('2026-09-01T00:01:00.001Z'));
    const late = await callTool(c, 3, 'greet', retry);
    expect(late.error.code).toBe(-32602);
    expect(late.error.message).toContain('expired');
  });

  it.each([
    ['greet', { sampling: {}, roots: {} }, { elicitation: {} }],
    ['chainSampling', { elicitation: {} }, { sampling: {} }],
    ['chainRoots', { elicitation: {}, sampling: {} }, { roots: {} }],
  ])('%s without the client capability is -32021 with data.requiredCapabilities', async (tool, caps, required) => {
    const s = newServer();
    s.registerTool('chainSampling', {}, async (_a, ctx) => text(JSON.stringify(await ctx.sample(SAMPLE))));
    s.registerTool('chainRoots', {}, async (_a, ctx) => text(JSON.stringify(await ctx.listRoots())));
    const c = await eraClient(s);
    const r = await callTool(c, 'x', tool, {}, caps);
    expect(r).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      error: {
        code: -32021,
        message: `Missing required client capability: ${Object.keys(required)[0]}`,
        data: { requiredCapabilities: required },
      },
    });
  });

  it('an explicit input request of an undeclared capability is -32021 too (never sent to the client)', async () => {
    const s = newServer();
    s.registerTool('needsSampling', {}, (_a, ctx) =>
      ctx.inputRequired({ inputRequests: { s: ServerContext.inputRequest('sampling/createMessage', SAMPLE) } }),
    );
    const c = await eraClient(s);
    const r = await callTool(c, 1, 'needsSampling', {}, ELICIT_CAPS);
    expect(r.error).toEqual({
      code: -32021,
      message: 'Missing required client capability: sampling',
      data: { requiredCapabilities: { sampling: {} } },
    });
  });

  it('prompts/get: input_required, then the prompt', async () => {
    const c = await eraClient(newServer());
    const first = await c.call(1, 'prompts/get', { name: 'intro', arguments: { topic: 'MCP' } }, { caps: ELICIT_CAPS });
    expect(first.result.resultType).toBe('input_required');
    expect(Object.keys(first.result.inputRequests)).toEqual(['elicitation-1']);
    const done = await c.call(
      2,
      'prompts/get',
      {
        name: 'intro',
        arguments: { topic: 'MCP' },
        inputResponses: { 'elicitation-1': accept({ name: 'Ada' }) },
        requestState: first.result.requestState,
      },
      { caps: ELICIT_CAPS },
    );
    expect(done.result).toEqual({
      messages: [{ role: 'user', content: { type: 'text', text: 'Ada on MCP' } }],
      resultType: 'complete',
      _meta: META,
    });
  });

  it('resources/read: input_required carries no cache hints; the completed read carries the resource hints', async () => {
    const c = await eraClient(newServer());
    const first = await c.call(1, 'resources/read', { uri: 'vault://secret' }, { caps: ELICIT_CAPS });
    expect(first.result).toEqual({
      resultType: 'input_required',
      inputRequests: {
        pin: {
          method: 'elicitation/create',
          params: { mode: 'form', message: 'PIN?', requestedSchema: { type: 'object' } },
        },
      },
      requestState: expect.any(String),
      _meta: META,
    });
    const done = await c.call(
      2,
      'resources/read',
      {
        uri: 'vault://secret',
        inputResponses: { pin: accept({ pin: '1234' }) },
        requestState: first.result.requestState,
      },
      { caps: ELICIT_CAPS },
    );
    expect(done.result).toEqual({
      contents: [{ uri: 'vault://secret', text: 'opened with 1234' }],
      resultType: 'complete',
      ttlMs: 5_000,
      cacheScope: 'private',
      _meta: META,
    });
  });

  it('input requests are refused outside tools/call, prompts/get and resources/read (no input_required on resources/list)', async () => {
    const c = await eraClient(newServer());
    const r = await c.call(1, 'resources/list', {}, { caps: ALL_CAPS });
    expect(r.error.code).toBe(-32603);
    expect(r.error.message).toContain('allowed only in tools/call, prompts/get and resources/read');
    expect(c.inbox).toEqual([]);
  });
});

describe("2026: requestState size is the client's business, not a server fault", () => {
  // The sealed state holds the client's answers. A client that sends answers too big to seal is
  // making a bad request: answering it -32603 (internal error) counts as a server failure for
  // the global circuit breaker, so one client could open the breaker for every client.
  it('oversized answers nobody asked for on a first request: not carried, the breaker stays closed', async () => {
    const s = newServer();
    const bad = await eraClient(s);
    const good = await eraClient(s);
    const states: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await callTool(bad, i, 'greet', { inputResponses: { junk: 'x'.repeat(70_000) } }, ELICIT_CAPS);
      // Answered as a first round: the unasked answer is dropped, so the sealed state stays small.
      expect(r.result?.resultType).toBe('input_required');
      states.push((r.result.requestState as string).length);
    }
    expect(Math.max(...states)).toBeLessThan(2_000);
    expect(s.gate.breaker.state).toBe('closed');
    expect((await callTool(good, 'g', 'stateOnly')).result?.resultType).toBe('input_required');
  });

  it('an oversized answer to an asked key in a multi-round request: refused as invalid params, the breaker stays closed', async () => {
    const s = newServer();
    const c = await eraClient(s);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r1 = await callTool(c, `r1-${i}`, 'chain');
      const r2 = await callTool(c, `r2-${i}`, 'chain', {
        inputResponses: { 'elicitation-1': accept({ name: 'x'.repeat(70_000) }) },
        requestState: r1.result.requestState,
      });
      codes.push(r2.error?.code);
    }
    expect(s.gate.breaker.state).toBe('closed');
    expect(codes).toEqual([-32602, -32602, -32602, -32602, -32602, -32602]);
  });
});

describe('2025 session: the same handlers make real server -> client requests', () => {
  async function connected(server: McpServer, setup: (c: McpClient) => void): Promise<McpClient> {
    const client = new McpClient({ name: 'legacy', version: '1.0.0' });
    setup(client);
    clients.push(client);
    const [ct, st] = createMemoryTransportPair();
    await server.connect(st);
    await client.connect(ct);
    return client;
  }

  it('ctx.elicit, ctx.sample and ctx.listRoots are requests the client answers, in order', async () => {
    const server = newServer();
    const seen: string[] = [];
    const client = await connected(server, (c) => {
      c.onElicitation((p) => {
        seen.push(`elicit:${p.message}:${String((p as { mode?: string }).mode)}`);
        return { action: 'accept', content: { name: 'Grace' } };
      });
      c.onSampling((p) => {
        seen.push(`sample:${JSON.stringify(p.messages.map((m) => m.content))}`);
        return sampled('Paris') as never;
      });
      c.setRoots([{ uri: 'file:///repo', name: 'repo' }]);
    });
    const r = await client.callTool({ name: 'chain', arguments: {} });
    expect(r).toEqual(text('Grace|Paris|file:///repo'));
    expect(r).not.toHaveProperty('resultType');
    expect(seen).toEqual(['elicit:Your name?:form', 'sample:[{"type":"text","text":"capital of France?"}]']);
    expect(runs.chain).toBe(1); // no replay in a session: each await is a real round trip
  });

  it('explicit ctx.inputRequired is fulfilled with real requests, then the handler runs again with the answers', async () => {
    const server = newServer();
    const asked: unknown[] = [];
    const client = await connected(server, (c) =>
      c.onElicitation((p) => {
        asked.push(p);
        return { action: 'accept', content: {} };
      }),
    );
    const r = await client.callTool({ name: 'explicit', arguments: {} });
    expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual({
      state: { step: 1, cart: ['a', 'b'] },
      answers: { confirm: { action: 'accept', content: {} } },
    });
    expect(asked).toEqual([{ mode: 'form', message: 'Sure?', requestedSchema: { type: 'object' } }]);
    expect(runs.explicit).toBe(2);
  });

  it('without the capability the handler sees ERR_CAPABILITY (an isError result), nothing is asked', async () => {
    const server = newServer();
    const client = await connected(server, () => {});
    const r = await client.callTool({ name: 'greet', arguments: {} });
    expect(r.isError).toBe(true);
    expect((r.content[0] as { text: string }).text).toContain('did not declare the "elicitation" capability');
  });

  it('an invalid answer from the client is -32602 naming the key', async () => {
    const server = newServer();
    const client = await connected(server, (c) => c.onElicitation(() => ({ action: 'maybe' }) as never));
    await expect(client.callTool({ name: 'greet', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining(
        'inputResponses.elicitation-1 (answer to elicitation/create) action must be accept',
      ),
    });
  });

  it('maxInputRounds: a handler that keeps asking gets exactly that many rounds, then an error', async () => {
    const server = newServer({ maxInputRounds: 3 });
    let asks = 0;
    server.registerTool('insatiable', {}, (_a, ctx) =>
      ctx.inputRequired({
        inputRequests: {
          again: ServerContext.inputRequest('elicitation/create', {
            mode: 'form',
            message: 'more?',
            requestedSchema: { type: 'object' },
          }),
        },
        state: Object.keys(ctx.inputResponses).length,
      }),
    );
    const client = await connected(server, (c) =>
      c.onElicitation(() => {
        asks++;
        return { action: 'accept', content: {} };
      }),
    );
    const err = await client.callTool({ name: 'insatiable', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32603);
    expect((err as McpError).message).toBe('the handler still needs input after 3 rounds');
    expect(asks).toBe(3);
    expect(server.inFlight).toBe(0);
  });

  it('a raw 2025 client sees the exact elicitation/create request, tied to nothing of the 2026 shape', async () => {
    const server = newServer();
    const c = await eraClient(server);
    await c.initialize('2025-11-25', { elicitation: {} });
    c.send({ jsonrpc: '2.0', id: 'call', method: 'tools/call', params: { name: 'greet', arguments: {} } });
    const req: Wire = await c.next();
    expect(req).toEqual({
      jsonrpc: '2.0',
      id: expect.any(Number),
      method: 'elicitation/create',
      params: { mode: 'form', ...ASK_NAME },
    });
    c.send({ jsonrpc: '2.0', id: req.id, result: accept({ name: 'Linus' }) });
    expect(await c.response('call')).toEqual({ jsonrpc: '2.0', id: 'call', result: text('Hello Linus') });
  });

  it('a 2026 request on the same connection as a 2025 session still gets input_required (never a real request)', async () => {
    const server = newServer();
    const c = await eraClient(server);
    await c.initialize('2025-11-25', { elicitation: {} });
    const r = await callTool(c, 'modern', 'greet', {}, ELICIT_CAPS);
    expect(r.result.resultType).toBe('input_required');
    expect(c.inbox).toEqual([]);
    // And the 2026 request's capabilities are its own: without elicitation in its envelope it
    // gets -32021, although the session declared elicitation at initialize.
    const r2 = await callTool(c, 'modern2', 'greet', {}, {});
    expect(r2.error.code).toBe(-32021);
  });
});
