import { describe, expect, it } from 'vitest';
import * as legacy from '../../src/legacy/index.js';
import { recorder } from './helpers.js';

describe('module-level functions (the Erlang module style)', () => {
  it('act on one default registry', () => {
    const s = recorder();
    const t = recorder();
    expect(legacy.registerServer('s1', s, { v: 1 })).toEqual({ ok: true });
    expect(legacy.registerServer('s1', s)).toEqual({ ok: false, error: 'already_registered' });
    expect(legacy.registerTransport('t1', t)).toEqual({ ok: true });
    expect(legacy.findServer('s1')).toMatchObject({ ok: true, server: s, config: { v: 1 } });
    expect(legacy.findTransport('t1')).toMatchObject({ ok: true, transport: t });
    expect(legacy.listServers()).toHaveLength(1);
    expect(legacy.listTransports()).toHaveLength(1);
    expect(legacy.bindTransportToServer('t1', 's1')).toEqual({ ok: true });
    expect(legacy.getServerForTransport('t1')).toEqual({ ok: true, serverId: 's1' });
    expect(legacy.routeToServer('s1', 't1', 'req')).toEqual({ ok: true, delivered: 1 });
    expect(legacy.routeToTransport('t1', 's1', 'res')).toEqual({ ok: true, delivered: 1 });
    expect(legacy.routeToTransport('broadcast', 's1', 'all')).toEqual({ ok: true, delivered: 1 });
    expect(legacy.unbindTransport('t1')).toEqual({ ok: true });
    expect(legacy.unregisterTransport('t1')).toEqual({ ok: true });
    expect(legacy.unregisterServer('s1')).toEqual({ ok: true });
    expect(s.got).toHaveLength(1);
    expect(t.got).toHaveLength(2);
  });

  it('setDefaultRegistry swaps the registry the functions use', () => {
    const mine = new legacy.LegacyRegistry();
    const previous = legacy.setDefaultRegistry(mine);
    expect(previous).toBeInstanceOf(legacy.LegacyRegistry);
    legacy.registerServer('x', () => {});
    expect(mine.findServer('x').ok).toBe(true);
    expect(legacy.defaultRegistry()).toBe(mine);
  });
});
