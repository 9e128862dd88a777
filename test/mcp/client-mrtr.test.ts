import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import type { JsonRpcRequest } from '../../src/mcp/jsonrpc.js';
import { type Answer, type FakeServer, fakeServer, modern } from './fake-server.js';

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function connected(
  rest: (req: JsonRpcRequest) => Answer,
  options: McpClientOptions = {},
  configure?: (c: McpClient) => void,
): Promise<{ client: McpClient; fake: FakeServer }> {
  const fake = await fakeServer(modern(rest));
  const client = new McpClient({ name: 'mrtr', version: '1.0.0' }, { versionNegotiation: 'auto', ...options });
  configure?.(client);
  clients.push(client);
  await client.connect(fake.clientEnd);
  return { client, fake };
}

/** The call's params without the envelope (what the spec says the retry repeats). */
function bare(req: JsonRpcRequest | undefined): Record<string, unknown> {
  const { _meta, ...rest } = (req?.params ?? {}) as Record<string, unknown>;
  return rest;
}

const elicit = (message: string) => ({
  method: 'elicitation/create',
  params: { mode: 'form', message, requestedSchema: { type: 'object', properties: { v: { type: 'string' } } } },
});
const sample = { method: 'sampling/createMessage', params: { messages: [], maxTokens: 5 } };
const roots = { method: 'roots/list' };

describe('McpClient: multi round-trip requests (input_required)', () => {
  it('answers each round through the handlers and retries with inputResponses and the exact requestState', async () => {
    // Three rounds of input, then the result: who+llm; roots with state A; state B alone.
    const rounds: Answer[] = [
      { result: { resultType: 'input_required', inputRequests: { who: elicit('Who?'), llm: sample } } },
      { result: { resultType: 'input_required', inputRequests: { r: roots }, requestState: 'state A =?/+' } },
      { result: { resultType: 'input_required', requestState: 'state B' } },
      { result: { content: [{ type: 'text', text: 'done' }] } },
    ];
    let round = 0;
    const { client, fake } = await connected(
      () => rounds[round++],
      {},
      (c) => {
        c.onElicitation((p) => ({ action: 'accept', content: { v: `re:${p.message}` } }));
        c.onSampling(() => ({ role: 'assistant', model: 'm1', content: { type: 'text', text: 'gen' } }));
        c.setRoots([{ uri: 'file:///r', name: 'r' }]);
      },
    );
    const result = await client.callTool({ name: 'multi', arguments: { n: 1 } });
    expect(result).toEqual({ content: [{ type: 'text', text: 'done' }] });
    const seen = fake.of('tools/call');
    expect(seen.map(bare)).toEqual([
      { name: 'multi', arguments: { n: 1 } },
      {
        name: 'multi',
        arguments: { n: 1 },
        inputResponses: {
          who: { action: 'accept', content: { v: 're:Who?' } },
          llm: { role: 'assistant', model: 'm1', content: { type: 'text', text: 'gen' } },
        },
      },
      {
        name: 'multi',
        arguments: { n: 1 },
        inputResponses: { r: { roots: [{ uri: 'file:///r', name: 'r' }] } },
        requestState: 'state A =?/+',
      },
      // A requestState-only round: the state echoed, no inputResponses.
      { name: 'multi', arguments: { n: 1 }, requestState: 'state B' },
    ]);
    // Every retry is a new request: a new id each time.
    expect(new Set(seen.map((r) => r.id)).size).toBe(4);
  });

  it('works the same for prompts/get and resources/read, and never caches a retried read', async () => {
    const { client, fake } = await connected(
      (req) => {
        const p = req.params ?? {};
        if (p.inputResponses === undefined)
          return { result: { resultType: 'input_required', inputRequests: { ok: elicit('ok?') } } };
        if (req.method === 'prompts/get')
          return { result: { messages: [{ role: 'user', content: { type: 'text', text: 'p' } }] } };
        return { result: { contents: [{ uri: 'a://r', text: 't' }], ttlMs: 60_000, cacheScope: 'private' } };
      },
      {},
      (c) => c.onElicitation(() => ({ action: 'accept', content: {} })),
    );
    expect((await client.getPrompt({ name: 'p' })).messages).toHaveLength(1);
    expect((await client.readResource({ uri: 'a://r' })).contents).toEqual([{ uri: 'a://r', text: 't' }]);
    await client.readResource({ uri: 'a://r' });
    // 2 prompts/get, then 2 + 2 resources/read: the second read went to the server again.
    expect(fake.of('prompts/get')).toHaveLength(2);
    expect(fake.of('resources/read')).toHaveLength(4);
  });

  it('a request for input the client has no handler for fails with ERR_INPUT_UNSUPPORTED, not a retry', async () => {
    const { client, fake } = await connected(() => ({
      result: { resultType: 'input_required', inputRequests: { llm: sample } },
    }));
    const err = await client.callTool({ name: 'x' }).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_INPUT_UNSUPPORTED')).toBe(true);
    expect(err.message).toBe(
      'the server asked for input "llm" (sampling/createMessage) but the client has no handler for it: call onSampling() before connecting',
    );
    expect(fake.of('tools/call')).toHaveLength(1);

    const other = await connected(() => ({
      result: { resultType: 'input_required', inputRequests: { z: { method: 'x/y' } } },
    }));
    expect(hasErrorCode(await other.client.callTool({ name: 'x' }).catch((e) => e), 'ERR_INPUT_UNSUPPORTED')).toBe(
      true,
    );
  });

  it('stops after maxInputRounds retries with ERR_INPUT_ROUNDS_EXCEEDED', async () => {
    const { client, fake } = await connected(
      () => ({ result: { resultType: 'input_required', requestState: 'more' } }),
      {
        maxInputRounds: 3,
      },
    );
    const err = await client.callTool({ name: 'x' }).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_INPUT_ROUNDS_EXCEEDED')).toBe(true);
    expect(err.message).toBe('tools/call still required input after 3 rounds (maxInputRounds)');
    expect(fake.of('tools/call')).toHaveLength(4);
  });

  it('a handler that throws fails the call with its error and aborts the other handlers', async () => {
    let sibling: AbortSignal | undefined;
    const { client } = await connected(
      () => ({ result: { resultType: 'input_required', inputRequests: { a: elicit('a'), b: elicit('b') } } }),
      {},
      (c) =>
        c.onElicitation((p, ctx) => {
          if (p.message === 'a') return Promise.reject(new Error('user closed the dialog'));
          sibling = ctx.signal;
          return new Promise(() => {});
        }),
    );
    expect((await client.callTool({ name: 'x' }).catch((e) => e)).message).toBe('user closed the dialog');
    expect(sibling?.aborted).toBe(true);
  });

  it("aborting the call while a handler waits rejects with the reason and aborts the handler's signal", async () => {
    let handlerSignal: AbortSignal | undefined;
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => {
      entered = r;
    });
    const { client, fake } = await connected(
      () => ({ result: { resultType: 'input_required', inputRequests: { a: elicit('a') } } }),
      {},
      (c) =>
        c.onElicitation((_p, ctx) => {
          handlerSignal = ctx.signal;
          entered();
          return new Promise(() => {});
        }),
    );
    const ac = new AbortController();
    const call = client.callTool({ name: 'x' }, { signal: ac.signal });
    await inHandler;
    const reason = new Error('user left');
    ac.abort(reason);
    expect(await call.catch((e) => e)).toBe(reason);
    expect(handlerSignal?.aborted).toBe(true);
    expect(fake.of('tools/call')).toHaveLength(1);
  });
});
