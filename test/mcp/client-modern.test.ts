import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import type { JsonRpcRequest } from '../../src/mcp/jsonrpc.js';
import {
  type Answer,
  discoverResult,
  type FakeServer,
  fakeServer,
  METHOD_NOT_FOUND,
  metaOf,
  modern,
} from './fake-server.js';

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function connected(
  rest: (req: JsonRpcRequest, fake: FakeServer) => Answer | Promise<Answer>,
  options: McpClientOptions = {},
  configure?: (c: McpClient) => void,
): Promise<{ client: McpClient; fake: FakeServer }> {
  const fake = await fakeServer(modern(rest));
  const client = new McpClient({ name: 'modern-test', version: '2.0.0' }, { versionNegotiation: 'auto', ...options });
  configure?.(client);
  clients.push(client);
  await client.connect(fake.clientEnd);
  return { client, fake };
}

const echo = (req: JsonRpcRequest): Answer =>
  req.method === 'tools/call' ? { result: { content: [{ type: 'text', text: 'ok' }] } } : METHOD_NOT_FOUND;

describe('McpClient in the 2026 era: the request envelope', () => {
  it('every request carries protocolVersion, the capabilities of the handlers set, clientInfo', async () => {
    const { client, fake } = await connected(echo, {}, (c) => {
      c.onSampling(() => ({ role: 'assistant', model: 'm', content: { type: 'text', text: '' } }));
      c.setRoots([{ uri: 'file:///w' }]);
    });
    await client.callTool({ name: 'x', arguments: { a: 1 }, _meta: { mine: 1 } }, { onprogress: () => {} });
    const call = fake.of('tools/call')[0];
    expect(call?.params).toEqual({
      name: 'x',
      arguments: { a: 1 },
      _meta: {
        mine: 1,
        progressToken: call?.id,
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': { sampling: {}, roots: { listChanged: true } },
        'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '2.0.0' },
      },
    });
  });

  it('handlers set after connect are declared on the next request (no handshake froze them)', async () => {
    const { client, fake } = await connected(echo);
    await client.callTool({ name: 'x' });
    client.onElicitation(() => ({ action: 'cancel' }));
    await client.callTool({ name: 'x' });
    const caps = fake.of('tools/call').map((r) => metaOf(r)['io.modelcontextprotocol/clientCapabilities']);
    expect(caps).toEqual([{}, { elicitation: {} }]);
  });

  it('declares extensions: the Tasks extension when opted in, and any given', async () => {
    const { client, fake } = await connected(echo, { tasks: true, extensions: { 'com.example/x': { v: 1 } } });
    await client.callTool({ name: 'x' });
    const meta = metaOf(fake.of('tools/call')[0]);
    expect(meta['io.modelcontextprotocol/clientCapabilities']).toEqual({
      extensions: { 'com.example/x': { v: 1 }, 'io.modelcontextprotocol/tasks': {} },
    });
  });

  it('setLoggingLevel is a client-side setting: no request, the level rides every later envelope', async () => {
    const { client, fake } = await connected(echo);
    await client.callTool({ name: 'x' });
    expect(await client.setLoggingLevel('warning')).toEqual({});
    await client.callTool({ name: 'x' });
    expect(fake.of('logging/setLevel')).toHaveLength(0);
    const levels = fake.of('tools/call').map((r) => metaOf(r)['io.modelcontextprotocol/logLevel']);
    expect(levels).toEqual([undefined, 'warning']);
    expect(client.logLevel).toBe('warning');
    const bad = await client.setLoggingLevel('loud' as never).catch((e) => e);
    expect(hasErrorCode(bad, 'ERR_INVALID_ARG')).toBe(true);
  });

  it('the logLevel option applies from the probe on', async () => {
    const { fake } = await connected(echo, { logLevel: 'debug' });
    expect(metaOf(fake.requests[0])['io.modelcontextprotocol/logLevel']).toBe('debug');
  });

  it('2025-only calls fail with ERR_UNSUPPORTED_IN_ERA; 2026-only calls fail in the 2025 era', async () => {
    const { client, fake } = await connected(echo);
    for (const p of [
      client.ping(),
      client.subscribeResource({ uri: 'a://b' }),
      client.unsubscribeResource({ uri: 'a://b' }),
    ]) {
      expect(hasErrorCode(await p.catch((e) => e), 'ERR_UNSUPPORTED_IN_ERA')).toBe(true);
    }
    expect(fake.requests.map((r) => r.method)).toEqual(['server/discover']);

    const old = await fakeServer((req) =>
      req.method === 'initialize'
        ? { result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'o', version: '1' } } }
        : METHOD_NOT_FOUND,
    );
    const legacy = new McpClient({ name: 'l', version: '1' });
    clients.push(legacy);
    await legacy.connect(old.clientEnd);
    expect(hasErrorCode(await legacy.discover().catch((e) => e), 'ERR_UNSUPPORTED_IN_ERA')).toBe(true);
    expect(
      hasErrorCode(await legacy.listen({ toolsListChanged: true }).catch((e) => e), 'ERR_UNSUPPORTED_IN_ERA'),
    ).toBe(true);
  });

  it('discover() asks again and refreshes what the client knows of the server', async () => {
    let n = 0;
    const fake = await fakeServer((req) =>
      req.method === 'server/discover'
        ? { result: discoverResult(['2026-07-28'], { instructions: `v${++n}` }) }
        : METHOD_NOT_FOUND,
    );
    const client = new McpClient({ name: 'd', version: '1' }, { versionNegotiation: 'auto' });
    clients.push(client);
    await client.connect(fake.clientEnd);
    expect(client.instructions).toBe('v1');
    const d = await client.discover();
    expect(d.instructions).toBe('v2');
    expect(client.instructions).toBe('v2');
    expect(fake.of('server/discover')).toHaveLength(2);
  });
});

describe('McpClient in the 2026 era: resultType', () => {
  it('a missing resultType is complete; complete is complete', async () => {
    const { client } = await connected((req) =>
      req.method === 'prompts/get'
        ? { result: { messages: [], resultType: 'complete' } }
        : { result: { content: [{ type: 'text', text: 'no resultType' }] } },
    );
    expect(await client.callTool({ name: 'x' })).toEqual({ content: [{ type: 'text', text: 'no resultType' }] });
    expect(await client.getPrompt({ name: 'p' })).toEqual({ messages: [], resultType: 'complete' });
  });

  it('an unknown resultType, input_required where it is not allowed, or an unasked-for task is invalid', async () => {
    const { client } = await connected((req) => {
      if (req.method === 'tools/call') return { result: { resultType: 'streaming', content: [] } };
      if (req.method === 'tools/list') return { result: { resultType: 'input_required', requestState: 's' } };
      if (req.method === 'prompts/get') return { result: { resultType: 'task', taskId: 't', status: 'working' } };
      if (req.method === 'resources/read') return { result: { resultType: 'input_required' } };
      return METHOD_NOT_FOUND;
    });
    const errs = await Promise.all([
      client.callTool({ name: 'x' }).catch((e) => e),
      client.listTools().catch((e) => e),
      client.getPrompt({ name: 'p' }).catch((e) => e),
      client.readResource({ uri: 'a://b' }).catch((e) => e),
    ]);
    expect(errs.map((e) => [e.code, e.message])).toEqual([
      ['ERR_INVALID_RESULT', 'invalid answer to tools/call: unknown resultType "streaming"'],
      [
        'ERR_INVALID_RESULT',
        'invalid answer to tools/list: input_required is only allowed on tools/call, prompts/get and resources/read',
      ],
      [
        'ERR_INVALID_RESULT',
        'invalid answer to prompts/get: resultType "task" without the Tasks extension declared for a tools/call',
      ],
      [
        'ERR_INVALID_RESULT',
        'invalid answer to resources/read: input_required carries neither inputRequests nor requestState',
      ],
    ]);
  });

  it('request() is the raw call: the envelope is added, input_required comes back as it is', async () => {
    const ir = { resultType: 'input_required', requestState: 'opaque' };
    const { client, fake } = await connected(() => ({ result: ir }));
    expect(await client.request('tools/call', { name: 'x' })).toEqual(ir);
    expect(fake.of('tools/call')).toHaveLength(1);
  });
});
