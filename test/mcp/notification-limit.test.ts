/**
 * Inbound notifications pay the sender's token bucket like requests (one token each, the same
 * bucket, no admission slot); past it they are dropped and counted, and a sender that keeps
 * flooding breaks the flood rule (reported once per window; the transports disconnect it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/core/bucket.js';
import { Gate } from '../../src/mcp/gate.js';
import { ErrorCode } from '../../src/mcp/jsonrpc.js';
import { NotificationDrops } from '../../src/mcp/notification-drops.js';
import { McpServer, type McpServerOptions } from '../../src/mcp/server.js';
import { rawClient } from './harness.js';

const servers: McpServer[] = [];
function newServer(options: McpServerOptions): McpServer {
  const s = new McpServer({ name: 'notif', version: '1' }, options);
  s.registerTool('wait', {}, (_a, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', reject)));
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const rootsChanged = { jsonrpc: '2.0', method: 'notifications/roots/list_changed' };

describe('notifications against the token bucket', () => {
  it('capacity 5: five notifications are handled, the sixth dropped and counted; requests then get -32010 until refill', async () => {
    // 10 tokens/s: one comes back 100 ms after the burst; the burst itself takes well under that.
    const server = newServer({ gate: { bucket: { capacity: 5, refillPerSec: 10 } } });
    let handled = 0;
    server.on('rootschanged', () => handled++);
    const c = await rawClient(server);
    for (let i = 0; i < 6; i++) c.send(rootsChanged);
    await c.settle();
    expect(handled).toBe(5);
    expect(c.session.notificationsDropped).toBe(1);
    expect(server.gate.notificationStats()).toEqual({ dropped: 1, floods: 0 });
    // The same bucket: a request of that session is refused now (ping needs no initialize).
    const refused = await c.request(1, 'ping');
    expect(refused.error.code).toBe(ErrorCode.RATE_LIMITED);
    expect(refused.error.data.reason).toBe('rate_limited');
    const wait = refused.error.data.retryAfterMs as number;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100);
    // Notifications took no admission slot: nothing is in flight.
    expect(server.gate.admission.stats().globalDepth).toBe(0);
    expect(server.gate.router.stats().verdicts.ok).toBe(0);
    await new Promise((r) => setTimeout(r, wait + 20));
    expect((await c.request(2, 'ping')).result).toEqual({});
    // The dropped notification stays dropped: nothing replays it.
    expect(handled).toBe(5);
  });

  it('notifications/initialized and notifications/cancelled work under the limit, each costing one token', async () => {
    const server = newServer({ gate: { bucket: { capacity: 5, refillPerSec: 1 } } });
    const c = await rawClient(server);
    await c.initialize(); // initialize + notifications/initialized: 2 tokens
    await c.settle();
    expect(c.session.initialized).toBe(true);
    c.send({ jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'wait' } }); // 3
    await c.settle();
    expect(c.session.inFlight).toBe(1);
    c.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w' } }); // 4
    await c.settle();
    expect(c.session.inFlight).toBe(0);
    expect(server.gate.admission.stats().globalDepth).toBe(0);
    expect(server.gate.buckets.consume(c.session.ticket.handle, 0)).toBe(1);
    expect(c.session.notificationsDropped).toBe(0);
    expect(c.inbox.filter((m) => m.id === 'w')).toEqual([]); // a cancelled request gets no answer
  });

  it('the flood rule: more than floodDisconnectAfter drops within the window is reported once as ERR_NOTIFICATION_FLOOD', async () => {
    const server = newServer({
      gate: { bucket: { capacity: 2, refillPerSec: 1 }, floodDisconnectAfter: 3, floodWindowMs: 60_000 },
    });
    const errors: string[] = [];
    server.on('sessionerror', (e) => errors.push((e as { code?: string }).code ?? e.message));
    const c = await rawClient(server);
    for (let i = 0; i < 2 + 10; i++) c.send(rootsChanged);
    await c.settle();
    expect(c.session.notificationsDropped).toBe(10);
    expect(server.gate.notificationStats()).toEqual({ dropped: 10, floods: 1 });
    expect(errors).toEqual(['ERR_NOTIFICATION_FLOOD']);
    // A transport that cannot tell the client (memory, stdio) is not closed for it.
    expect(c.session.closed).toBe(false);
  });

  it('floodDisconnectAfter 0 never breaks the rule; drops are still counted', async () => {
    const server = newServer({ gate: { bucket: { capacity: 1, refillPerSec: 1 }, floodDisconnectAfter: 0 } });
    const c = await rawClient(server);
    for (let i = 0; i < 50; i++) c.send(rootsChanged);
    await c.settle();
    expect(server.gate.notificationStats()).toEqual({ dropped: 49, floods: 0 });
  });

  it('validates the flood options', () => {
    expect(() => new Gate({ floodDisconnectAfter: -1 })).toThrow(/floodDisconnectAfter/);
    expect(() => new Gate({ floodDisconnectAfter: 1.5 })).toThrow(/floodDisconnectAfter/);
    expect(() => new Gate({ floodWindowMs: 0 })).toThrow(/floodWindowMs/);
    expect(new Gate().flood).toEqual({ after: 1000, windowMs: 10_000 });
  });
});

describe('NotificationDrops (the flood window)', () => {
  it('breaks the rule at the first drop past `after` in a window, once; a new window starts over', () => {
    const d = new NotificationDrops(new TokenBuckets(), 0, { after: 2, windowMs: 100 });
    expect([d.record(0), d.record(10), d.flooding]).toEqual([false, false, false]);
    expect([d.record(20), d.flooding]).toEqual([true, true]);
    expect([d.record(30), d.flooding]).toEqual([false, true]); // still flooding, reported once
    expect([d.record(100), d.flooding]).toEqual([false, false]); // a new window from t=100
    d.record(110);
    expect(d.record(199)).toBe(true);
    expect(d.total).toBe(7);
  });
});
