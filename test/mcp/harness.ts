import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import type { McpServer } from '../../src/mcp/server.js';
import type { ServerSession } from '../../src/mcp/session.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../src/transports/memory.js';

// biome-ignore lint/suspicious/noExplicitAny: test inbox holds arbitrary wire messages
export type Wire = any;

/** A client speaking raw JSON-RPC to a server over an in-memory pair. */
export interface RawClient {
  transport: MemoryTransport;
  session: ServerSession;
  inbox: Wire[];
  send(message: Wire): void;
  /** The next message not yet taken (waits for it). */
  next(): Promise<Wire>;
  /** The response with this id (waits; notifications before it stay in the inbox). */
  response(id: string | number | null): Promise<Wire>;
  request(id: string | number, method: string, params?: Record<string, unknown>): Promise<Wire>;
  initialize(version?: string, capabilities?: Record<string, unknown>): Promise<Wire>;
  /** Lets pending microtasks and timers of 0 ms run. */
  settle(): Promise<void>;
}

export async function rawClient(server: McpServer): Promise<RawClient> {
  const [c, s] = createMemoryTransportPair();
  const inbox: Wire[] = [];
  let wake: (() => void) | undefined;
  c.onmessage = (m: JsonRpcMessage) => {
    inbox.push(m);
    wake?.();
  };
  await c.start();
  const session = await server.connect(s);
  const waitFor = async (pick: (m: Wire) => boolean): Promise<Wire> => {
    for (;;) {
      const i = inbox.findIndex(pick);
      if (i >= 0) return inbox.splice(i, 1)[0];
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  const client: RawClient = {
    transport: c,
    session,
    inbox,
    send: (m) => c.sendRaw(JSON.stringify(m)),
    next: () => waitFor(() => true),
    response: (id) => waitFor((m) => m.id === id && ('result' in m || 'error' in m)),
    request: async (id, method, params) => {
      client.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
      return client.response(id);
    },
    initialize: async (version = '2025-11-25', capabilities = {}) => {
      const r = await client.request('init', 'initialize', {
        protocolVersion: version,
        capabilities,
        clientInfo: { name: 'raw', version: '0' },
      });
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      return r;
    },
    settle: () => new Promise((r) => setTimeout(r, 5)),
  };
  return client;
}
