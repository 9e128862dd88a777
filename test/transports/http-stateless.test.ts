/**
 * StatelessHttpTransport (one client address's MCP 2026-07-28 requests over Streamable HTTP)
 * with fake requests and responses: what it delivers to the protocol layer.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { StatelessHttpTransport } from '../../src/transports/http-stateless.js';
import { SseHub } from '../../src/transports/sse.js';

/** A ServerResponse that records its status and body; `emit('close')` is the client hanging up. */
class FakeResponse extends EventEmitter {
  status: number | undefined;
  body: string | undefined;
  headersSent = false;
  destroyed = false;
  writeHead(status: number): this {
    this.status = status;
    this.headersSent = true;
    return this;
  }
  write(): boolean {
    return true;
  }
  end(body?: string): this {
    this.body = body;
    return this;
  }
}

const req = { headers: {} } as IncomingMessage;
const post = (t: StatelessHttpTransport, value: unknown): FakeResponse => {
  const res = new FakeResponse();
  t.acceptPost(req, res as unknown as ServerResponse, value);
  return res;
};
const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

async function channel(): Promise<{
  t: StatelessHttpTransport;
  delivered: JsonRpcMessage[];
  chargeOnly: JsonRpcMessage[];
}> {
  const t = new StatelessHttpTransport('127.0.0.1', 'client:t:', {
    hub: new SseHub(0, 1 << 20),
    channelClosed: () => {},
    scopeChallenge: () => undefined,
  });
  // What the protocol layer would act on, and what it would only charge to the client's bucket.
  const delivered: JsonRpcMessage[] = [];
  const chargeOnly: JsonRpcMessage[] = [];
  t.onmessage = (m, extra) => (extra?.chargeOnly ? chargeOnly : delivered).push(structuredClone(m));
  await t.start();
  return { t, delivered, chargeOnly };
}

describe('StatelessHttpTransport', () => {
  it("ignores a client's notifications/cancelled (its id names no request of the channel); closing the stream cancels", async () => {
    const { t, delivered, chargeOnly } = await channel();
    // Two clients behind one address, each with its own request id 1.
    const a = post(t, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait', _meta: meta } });
    post(t, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'other', _meta: meta } });
    expect(delivered.map((m) => (m as { id: unknown }).id)).toEqual([1, 2]); // the channel's own ids
    // One of them cancels "its" request 2 (or 1) by notification: that id means nothing here,
    // and must not cancel the request that happens to hold it in the channel.
    const cancel = post(t, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 2, reason: 'mine', _meta: meta },
    });
    expect(cancel.status).toBe(202);
    expect(delivered).toHaveLength(2);
    // Handed up charge-only: it costs the client a token (no free flood) and is not acted on.
    expect(chargeOnly).toEqual([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'mine', _meta: meta } },
    ]);
    // The 2026 way to cancel over HTTP: close the request's stream.
    a.emit('close');
    expect(delivered.slice(2)).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 1, reason: 'the client closed the stream' },
      },
    ]);
    await t.close();
  });

  it('still delivers other notifications', async () => {
    const { t, delivered } = await channel();
    const res = post(t, { jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { _meta: meta } });
    expect(res.status).toBe(202);
    expect(delivered).toEqual([
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { _meta: meta } },
    ]);
    await t.close();
  });
});
