import { describe, expect, it, vi } from 'vitest';
import { LegacyRegistry, type McpMessageEnvelope, type McpResponseEnvelope } from '../../src/legacy/index.js';
import { recorder } from './helpers.js';

describe('routeToServer', () => {
  it('delivers { type: mcp_message, transportId, message } to the server', () => {
    const r = new LegacyRegistry();
    const s = recorder<McpMessageEnvelope>();
    r.registerServer('s1', s);
    const msg = { jsonrpc: '2.0', id: 1, method: 'ping' };
    expect(r.routeToServer('s1', 't1', msg)).toEqual({ ok: true, delivered: 1 });
    expect(s.got).toEqual([{ type: 'mcp_message', transportId: 't1', message: msg }]);
  });

  it('a plain function is a server too', () => {
    const r = new LegacyRegistry();
    const fn = vi.fn();
    r.registerServer('s1', fn);
    r.routeToServer('s1', 't1', 'hi');
    expect(fn).toHaveBeenCalledWith({ type: 'mcp_message', transportId: 't1', message: 'hi' });
  });

  it('an unknown server: logged at warn and dropped, and the result says so', () => {
    const warn = vi.fn();
    const logger = { warn, debug: vi.fn() } as unknown as NonNullable<
      ConstructorParameters<typeof LegacyRegistry>[0]
    >['logger'];
    const r = new LegacyRegistry({ logger });
    expect(r.routeToServer('nope', 't1', 'm')).toEqual({ ok: true, delivered: 0, dropped: 'server_not_found' });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a server’s exception reaches the caller', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', () => {
      throw new Error('boom');
    });
    expect(() => r.routeToServer('s1', 't1', 'm')).toThrow('boom');
  });
});

describe('routeToTransport', () => {
  it('delivers { type: mcp_response, serverId, message } to the transport', () => {
    const r = new LegacyRegistry();
    const t = recorder<McpResponseEnvelope>();
    r.registerTransport('t1', t);
    expect(r.routeToTransport('t1', 's1', { result: {} })).toEqual({ ok: true, delivered: 1 });
    expect(t.got).toEqual([{ type: 'mcp_response', serverId: 's1', message: { result: {} } }]);
  });

  it('an unknown transport: dropped, the result says so', () => {
    const r = new LegacyRegistry();
    expect(r.routeToTransport('nope', 's1', 'm')).toEqual({ ok: true, delivered: 0, dropped: 'transport_not_found' });
  });

  it('broadcast reaches every transport bound to the server, and only those', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', recorder());
    const [a, b, c, other] = [recorder(), recorder(), recorder(), recorder()];
    r.registerTransport('a', a, { serverId: 's1' });
    r.registerTransport('b', b);
    r.bindTransportToServer('b', 's1');
    r.registerTransport('c', c);
    r.registerTransport('other', other, { serverId: 's2' });
    expect(r.routeToTransport('broadcast', 's1', 'news')).toEqual({ ok: true, delivered: 2 });
    const env = { type: 'mcp_response', serverId: 's1', message: 'news' };
    expect(a.got).toEqual([env]);
    expect(b.got).toEqual([env]);
    expect(c.got).toEqual([]);
    expect(other.got).toEqual([]);
  });

  it('broadcast with no bound transports delivers 0 and drops nothing', () => {
    const r = new LegacyRegistry();
    expect(r.routeToTransport('broadcast', 's1', 'm')).toEqual({ ok: true, delivered: 0 });
  });

  it('broadcast tries every transport, then rethrows the first exception', () => {
    const r = new LegacyRegistry();
    const ok = recorder();
    r.registerTransport(
      'bad',
      () => {
        throw new Error('bad transport');
      },
      { serverId: 's1' },
    );
    r.registerTransport('ok', ok, { serverId: 's1' });
    expect(() => r.routeToTransport('broadcast', 's1', 'm')).toThrow('bad transport');
    expect(ok.got).toHaveLength(1);
  });
});
