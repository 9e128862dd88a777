import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { McpClient, type McpClientOptions } from '../../src/mcp/client.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import {
  type Answer,
  discoverResult,
  type FakeServer,
  fakeServer,
  initializeResult,
  METHOD_NOT_FOUND,
  SERVER_INFO,
} from './fake-server.js';

const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function client(options: McpClientOptions = {}): McpClient {
  const c = new McpClient({ name: 'neg', version: '1.0.0' }, options);
  clients.push(c);
  return c;
}

/** A 2025 server: initialize and tools/list; anything else before initialize gets `early`. */
function legacyServer(early: Answer | 'silent' = METHOD_NOT_FOUND) {
  return (req: { method: string }): Answer => {
    if (req.method === 'initialize') return { result: initializeResult() };
    if (req.method === 'tools/list') return { result: { tools: [] } };
    return early === 'silent' ? undefined : early;
  };
}

async function connect(c: McpClient, fake: FakeServer) {
  return c.connect(fake.clientEnd);
}

describe('version negotiation', () => {
  it("defaults to 'legacy': the initialize handshake, no probe", async () => {
    const fake = await fakeServer(legacyServer());
    const c = client();
    const r = await connect(c, fake);
    expect(fake.requests.map((q) => q.method)).toEqual(['initialize']);
    expect(r).toEqual({ ...initializeResult(), era: 'legacy' });
    expect(c.era).toBe('legacy');
  });

  it("'auto' against a modern server stays modern and describes it from server/discover", async () => {
    const fake = await fakeServer((req) =>
      req.method === 'server/discover' ? { result: discoverResult() } : METHOD_NOT_FOUND,
    );
    const c = client({ versionNegotiation: 'auto' });
    const r = await connect(c, fake);
    expect(r).toEqual({
      era: 'modern',
      protocolVersion: '2026-07-28',
      capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
      serverInfo: SERVER_INFO,
      instructions: 'fake instructions',
      supportedVersions: ['2026-07-28'],
    });
    expect(c.era).toBe('modern');
    expect(c.serverInfo).toEqual(SERVER_INFO);
    expect(c.protocolVersion).toBe('2026-07-28');
    expect(c.supportedVersions).toEqual(['2026-07-28']);
    // One probe, no handshake; the probe carries the envelope.
    expect(fake.requests.map((q) => q.method)).toEqual(['server/discover']);
    expect(fake.requests[0]?.params?._meta).toEqual({
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'neg', version: '1.0.0' },
    });
  });

  it("'auto' against a legacy server that answers -32601 falls back to initialize", async () => {
    const fake = await fakeServer(legacyServer());
    const c = client({ versionNegotiation: 'auto' });
    const r = await connect(c, fake);
    expect(r.era).toBe('legacy');
    expect(fake.requests.map((q) => q.method)).toEqual(['server/discover', 'initialize']);
    expect(fake.notifications.map((n) => n.method)).toEqual(['notifications/initialized']);
    expect(await c.listTools()).toEqual({ tools: [] });
  });

  it("'auto' falls back on any non-modern error, not one code (-32600 'not initialized')", async () => {
    const fake = await fakeServer(legacyServer({ error: { code: -32600, message: 'not initialized' } }));
    const c = client({ versionNegotiation: 'auto' });
    expect((await connect(c, fake)).era).toBe('legacy');
  });

  it("'auto' on a shared channel falls back when the probe gets no answer in time", async () => {
    const fake = await fakeServer(legacyServer('silent'));
    const c = client({ versionNegotiation: 'auto', probeTimeoutMs: 30 });
    expect((await connect(c, fake)).era).toBe('legacy');
    // The abandoned probe was cancelled, as any timed-out request on stdio is.
    expect(fake.notifications[0]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: fake.requests[0]?.id, reason: 'probe timeout' },
    });
  });

  it('pinned, a legacy server fails with ERR_ERA_NEGOTIATION and never sees initialize', async () => {
    const fake = await fakeServer(legacyServer());
    const c = client({ versionNegotiation: { pin: '2026-07-28' } });
    const err = await connect(c, fake).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(err.message).toBe(
      'versionNegotiation is pinned to 2026-07-28 (no fallback), but the server did not take it: server/discover answered -32601 Method not found',
    );
    expect(fake.requests.map((q) => q.method)).toEqual(['server/discover']);
    expect(c.closed).toBe(true);
  });

  it('pinned, a modern server is used at exactly that version', async () => {
    const fake = await fakeServer(() => ({ result: discoverResult(['2026-07-28', '2027-01-01']) }));
    const c = client({ versionNegotiation: { pin: '2026-07-28' } });
    expect((await connect(c, fake)).protocolVersion).toBe('2026-07-28');
  });

  it('-32022 naming a shared version is probed again once; a second refusal fails', async () => {
    let n = 0;
    const refuse = {
      error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } },
    };
    const fake = await fakeServer(() => (++n === 1 ? refuse : { result: discoverResult() }));
    expect((await connect(client({ versionNegotiation: 'auto' }), fake)).era).toBe('modern');
    expect(fake.of('server/discover')).toHaveLength(2);

    const stubborn = await fakeServer(() => refuse);
    const err = await connect(client({ versionNegotiation: 'auto' }), stubborn).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(stubborn.of('server/discover')).toHaveLength(2);
    expect(stubborn.of('initialize')).toHaveLength(0);
  });

  it('-32022 naming only 2025 versions falls back; naming only unknown modern ones fails', async () => {
    const old = await fakeServer((req) =>
      req.method === 'initialize'
        ? { result: initializeResult() }
        : { error: { code: -32022, message: 'Unsupported', data: { supported: ['2025-11-25', '2025-06-18'] } } },
    );
    expect((await connect(client({ versionNegotiation: 'auto' }), old)).era).toBe('legacy');

    const future = await fakeServer(() => ({
      error: { code: -32022, message: 'Unsupported', data: { supported: ['2027-01-01'] } },
    }));
    const err = await connect(client({ versionNegotiation: 'auto' }), future).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(err.message).toBe('no protocol version in common: the server supports 2027-01-01, this client 2026-07-28');
    expect(err.cause).toBeInstanceOf(McpError);
  });

  it('a modern server refusing discovery (-32021) is not mistaken for a legacy one', async () => {
    const fake = await fakeServer(() => ({ error: { code: -32021, message: 'Missing required client capability' } }));
    const err = await connect(client({ versionNegotiation: 'auto' }), fake).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
    expect(fake.of('initialize')).toHaveLength(0);
  });

  it('a server that goes away during the probe fails the connect', async () => {
    const fake = await fakeServer(() => {
      void fake.clientEnd.peer?.close();
      return undefined;
    });
    const err = await connect(client({ versionNegotiation: 'auto' }), fake).catch((e) => e);
    expect(hasErrorCode(err, 'ERR_ERA_NEGOTIATION')).toBe(true);
  });

  it('rejects bad options with ERR_INVALID_ARG', () => {
    const bad = (o: unknown) => {
      try {
        new McpClient({ name: 'x', version: '1' }, o as McpClientOptions);
        return 'accepted';
      } catch (e) {
        return (e as { code: string; message: string }).code;
      }
    };
    expect(bad({ versionNegotiation: { pin: '2025-11-25' } })).toBe('ERR_INVALID_ARG');
    expect(bad({ versionNegotiation: 'modern' })).toBe('ERR_INVALID_ARG');
    expect(bad({ maxInputRounds: 0 })).toBe('ERR_INVALID_ARG');
    expect(bad({ logLevel: 'loud' })).toBe('ERR_INVALID_ARG');
    expect(bad({ cache: { maxEntries: -1 } })).toBe('ERR_INVALID_ARG');
    expect(bad({ tasks: { minPollIntervalMs: 500, maxPollIntervalMs: 100 } })).toBe('ERR_INVALID_ARG');
    expect(bad({ versionNegotiation: 'auto', tasks: true, cache: false })).toBe('accepted');
  });
});
