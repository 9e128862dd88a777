/**
 * A scripted MCP server on an in-memory transport pair, for client tests that need exact
 * control of every answer (eras, errors, input_required rounds, listen streams, tasks).
 */
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from '../../src/mcp/jsonrpc.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../src/transports/memory.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire values
export type Wire = any;

/** What a handler answers: a result, a JSON-RPC error, or nothing at all (no answer is sent). */
export type Answer =
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } }
  | undefined;

export interface FakeServer {
  /** The end to give the client. */
  clientEnd: MemoryTransport;
  /** Every request received, in order. */
  requests: JsonRpcRequest[];
  /** Every notification received, in order. */
  notifications: JsonRpcNotification[];
  /** Requests of one method. */
  of(method: string): JsonRpcRequest[];
  /** Sends a raw message to the client. */
  send(message: Wire): void;
  /** Resolves with the next request of `method` (already received or not). */
  next(method: string): Promise<JsonRpcRequest>;
  /** Resolves with the next notification of `method`. */
  nextNotification(method: string): Promise<JsonRpcNotification>;
}

export const SERVER_INFO = { name: 'fake', version: '9.9.9' };

/** A DiscoverResult for `versions`. */
export function discoverResult(
  versions: string[] = ['2026-07-28'],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    resultType: 'complete',
    supportedVersions: versions,
    capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
    instructions: 'fake instructions',
    ttlMs: 0,
    cacheScope: 'private',
    _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
    ...extra,
  };
}

/** A legacy initialize answer. */
export function initializeResult(version = '2025-11-25'): Record<string, unknown> {
  return { protocolVersion: version, capabilities: { tools: {} }, serverInfo: SERVER_INFO };
}

/**
 * Starts a fake server: `handle` decides each request's answer (sync or async). Requests it
 * does not recognise should return a -32601 error like a real server.
 */
export async function fakeServer(
  handle: (req: JsonRpcRequest, fake: FakeServer) => Answer | Promise<Answer>,
): Promise<FakeServer> {
  const [c, s] = createMemoryTransportPair();
  const waiters: { pick: (m: JsonRpcMessage) => boolean; resolve: (m: Wire) => void }[] = [];
  const seen: JsonRpcMessage[] = [];
  const fake: FakeServer = {
    clientEnd: c,
    requests: [],
    notifications: [],
    of: (method) => fake.requests.filter((r) => r.method === method),
    send: (m) => void s.send(m),
    next: (method) => waitFor((m) => 'id' in m && 'method' in m && m.method === method),
    nextNotification: (method) => waitFor((m) => !('id' in m) && 'method' in m && m.method === method),
  };
  const taken = new Set<JsonRpcMessage>();
  function waitFor(pick: (m: JsonRpcMessage) => boolean): Promise<Wire> {
    const found = seen.find((m) => !taken.has(m) && pick(m));
    if (found) {
      taken.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve) => waiters.push({ pick, resolve }));
  }
  s.onmessage = (m) => {
    const msg = m as Wire;
    if ('method' in msg && 'id' in msg) fake.requests.push(msg);
    else if ('method' in msg) fake.notifications.push(msg);
    const w = waiters.findIndex((x) => x.pick(msg));
    if (w >= 0) {
      taken.add(msg);
      waiters.splice(w, 1)[0]?.resolve(msg);
    } else {
      seen.push(msg);
    }
    if (!('method' in msg && 'id' in msg)) return;
    void Promise.resolve(handle(msg, fake)).then((answer) => {
      if (answer === undefined || s.closed) return;
      s.send({ jsonrpc: '2.0', id: msg.id, ...answer } as Wire);
    });
  };
  await s.start();
  return fake;
}

/** A handler for a modern server: discover answered, everything else by `rest`. */
export function modern(rest: (req: JsonRpcRequest, fake: FakeServer) => Answer | Promise<Answer>) {
  return (req: JsonRpcRequest, fake: FakeServer): Answer | Promise<Answer> =>
    req.method === 'server/discover' ? { result: discoverResult() } : rest(req, fake);
}

export const METHOD_NOT_FOUND = { error: { code: -32601, message: 'Method not found' } };

/** A request's `_meta` (empty when it has none). */
export function metaOf(req: { params?: Record<string, unknown> } | undefined): Record<string, unknown> {
  return (req?.params?._meta ?? {}) as Record<string, unknown>;
}
