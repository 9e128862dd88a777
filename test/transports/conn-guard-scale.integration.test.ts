/**
 * The scale case: 5,000 connections that send half a request and stop are all closed
 * by the headers deadline, while real clients (2025 sessions over HTTP and a WebSocket) are
 * served without an error the whole time. Both ends of every socket live in this process
 * (10,000 descriptors; the limit here is 20,000).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import { StreamableHttpClientTransport } from '../../src/transports/http-client.js';
import { WebSocketClientTransport } from '../../src/transports/ws-client.js';
import { cleanup, HALF_REQUEST, onCleanup, type RawSocket, rawConnect, serve, until } from './conn-guard-fixtures.js';

afterEach(cleanup);

const SOCKETS = 5_000;
/** Sockets connecting at once: more would overflow the listen backlog and wait for SYN retries. */
const BATCH = 100;
const HEADERS_MS = 2_000;
const SLACK_MS = 5_000;

describe('5,000 half-sent requests', () => {
  it('are all closed by their deadline while real clients keep being served', { timeout: 90_000 }, async () => {
    const { listener } = await serve({ headersTimeoutMs: HEADERS_MS, bodyTimeoutMs: 10_000 });
    const clients: McpClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = new McpClient({ name: `real-${i}`, version: '1' });
      const transport =
        i === 3
          ? new WebSocketClientTransport(new URL(listener.url.replace(/^http/, 'ws')))
          : new StreamableHttpClientTransport(listener.url);
      await c.connect(transport);
      onCleanup(() => c.close());
      clients.push(c);
    }

    let running = true;
    let calls = 0;
    const failures: unknown[] = [];
    const loops = clients.map(async (c, i) => {
      while (running) {
        try {
          const r = await c.callTool({ name: 'echo', arguments: { text: `c${i}` } });
          if ((r.content[0] as { text?: string } | undefined)?.text !== `c${i}`) failures.push(r);
          calls++;
        } catch (err) {
          failures.push(err);
        }
      }
    });
    onCleanup(async () => {
      running = false;
      await Promise.allSettled(loops);
    });

    // The kernel completes a handshake before node accepts it, and the deadline starts at
    // node's accept: open each batch once node has accepted the last, so that the time a
    // client measures from its connect is the time the server had.
    const accepted = () => {
      const { open, closed } = listener.connectionStats();
      return open + closed.headersTimeout + closed.bodyTimeout + closed.idleTimeout;
    };
    const before = accepted();
    const raws: RawSocket[] = [];
    for (let i = 0; i < SOCKETS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, SOCKETS - i) }, () => rawConnect(listener.port, HALF_REQUEST));
      raws.push(...(await Promise.all(batch)));
      await until(() => accepted() >= before + raws.length, 30_000);
    }
    const callsWhileOpening = calls;
    const outcomes = await Promise.all(raws.map((r) => r.closed));
    running = false;
    await Promise.all(loops);

    const late = outcomes.filter((o) => o.afterMs > HEADERS_MS + SLACK_MS);
    expect(late).toEqual([]);
    const unanswered = outcomes.filter((o) => !o.received.startsWith('HTTP/1.1 408 Request Timeout\r\n'));
    expect(unanswered).toEqual([]);
    expect(failures).toEqual([]);
    // Served throughout: while the sockets were being opened and while they were waiting.
    expect(callsWhileOpening).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(callsWhileOpening);
    const stats = listener.connectionStats();
    expect(stats.closed).toEqual({ headersTimeout: SOCKETS, bodyTimeout: 0, idleTimeout: 0, overLimit: 0 });
    // The real clients' connections are all that remain.
    expect(stats.open).toBeLessThan(20);
  });
});
