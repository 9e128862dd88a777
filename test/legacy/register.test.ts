import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/index.js';
import { LegacyRegistry, type LegacyServer } from '../../src/legacy/index.js';
import { recorder } from './helpers.js';

describe('registerServer / unregisterServer / findServer / listServers', () => {
  it('registerServer: ok, then already_registered for the same id', () => {
    const r = new LegacyRegistry();
    expect(r.registerServer('s1', recorder(), { name: 'one' })).toEqual({ ok: true });
    expect(r.registerServer('s1', recorder())).toEqual({ ok: false, error: 'already_registered' });
    expect(r.serverCount).toBe(1);
  });

  it('findServer: the server, its config and handle, or not_found', () => {
    const r = new LegacyRegistry();
    const s = recorder();
    r.registerServer('s1', s, { name: 'one' });
    const found = r.findServer('s1');
    expect(found).toMatchObject({ ok: true, id: 's1', server: s, config: { name: 'one' } });
    expect(found.ok && Number.isInteger(found.handle)).toBe(true);
    expect(r.findServer('nope')).toEqual({ ok: false, error: 'not_found' });
  });

  it('config defaults to {}', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', () => {});
    expect(r.findServer('s1')).toMatchObject({ ok: true, config: {} });
  });

  it('listServers: every registered server in registration order', () => {
    const r = new LegacyRegistry();
    expect(r.listServers()).toEqual([]);
    const a = recorder();
    const b = () => {};
    r.registerServer('a', a, { n: 1 });
    r.registerServer('b', b, { n: 2 });
    expect(r.listServers()).toMatchObject([
      { id: 'a', server: a, config: { n: 1 } },
      { id: 'b', server: b, config: { n: 2 } },
    ]);
  });

  it('unregisterServer: ok always; the id is free again', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', recorder());
    expect(r.unregisterServer('s1')).toEqual({ ok: true });
    expect(r.unregisterServer('s1')).toEqual({ ok: true });
    expect(r.unregisterServer('never')).toEqual({ ok: true });
    expect(r.findServer('s1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.registerServer('s1', recorder())).toEqual({ ok: true });
  });

  it('handles are reused after unregistering, and never shared by two live ids', () => {
    const r = new LegacyRegistry();
    const handles = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      r.registerServer(`s${i}`, () => {});
      const f = r.findServer(`s${i}`);
      if (f.ok) handles.add(f.handle);
    }
    expect(handles.size).toBe(3000);
    const freed = r.findServer('s5');
    r.unregisterServer('s5');
    r.registerServer('again', () => {});
    const again = r.findServer('again');
    expect(freed.ok && again.ok && again.handle === freed.handle).toBe(true);
  });

  it('rejects what cannot receive a message, and invalid ids, with ERR_INVALID_ARG', () => {
    const r = new LegacyRegistry();
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return hasErrorCode(e, 'ERR_INVALID_ARG');
      }
      return false;
    };
    expect(bad(() => r.registerServer('x', {} as unknown as LegacyServer))).toBe(true);
    expect(bad(() => r.registerServer('x', null as unknown as LegacyServer))).toBe(true);
    expect(bad(() => r.registerServer(42 as unknown as string, () => {}))).toBe(true);
    expect(bad(() => r.registerServer('', () => {}))).toBe(true);
    expect(bad(() => r.registerTransport('t', () => {}, { serverId: 7 as unknown as string }))).toBe(true);
    // Nothing was registered and no handle leaked into a live id.
    expect(r.serverCount).toBe(0);
    expect(r.transportCount).toBe(0);
  });

  it('server and transport ids are separate namespaces, as in the original', () => {
    const r = new LegacyRegistry();
    expect(r.registerServer('x', () => {})).toEqual({ ok: true });
    expect(r.registerTransport('x', () => {})).toEqual({ ok: true });
  });
});

describe('registerTransport / unregisterTransport / findTransport / listTransports', () => {
  it('registerTransport: ok, then already_registered', () => {
    const r = new LegacyRegistry();
    expect(r.registerTransport('t1', recorder(), { type: 'stdio' })).toEqual({ ok: true });
    expect(r.registerTransport('t1', recorder())).toEqual({ ok: false, error: 'already_registered' });
  });

  it('config.serverId binds the transport, even before the server is registered', () => {
    const r = new LegacyRegistry();
    r.registerTransport('t1', recorder(), { serverId: 's1' });
    expect(r.getServerForTransport('t1')).toEqual({ ok: true, serverId: 's1' });
  });

  it('findTransport: the transport and config, or not_found', () => {
    const r = new LegacyRegistry();
    const t = recorder();
    r.registerTransport('t1', t, { type: 'ws' });
    expect(r.findTransport('t1')).toMatchObject({ ok: true, id: 't1', transport: t, config: { type: 'ws' } });
    expect(r.findTransport('t2')).toEqual({ ok: false, error: 'not_found' });
  });

  it('listTransports: every registered transport', () => {
    const r = new LegacyRegistry();
    const t = recorder();
    r.registerTransport('t1', t, { type: 'ws' });
    expect(r.listTransports()).toMatchObject([{ id: 't1', transport: t, config: { type: 'ws' } }]);
  });

  it('unregisterTransport: ok always, and its binding goes too', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', recorder());
    r.registerTransport('t1', recorder(), { serverId: 's1' });
    expect(r.unregisterTransport('t1')).toEqual({ ok: true });
    expect(r.unregisterTransport('t1')).toEqual({ ok: true });
    expect(r.findTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    // Re-registering does not resurrect the old binding.
    r.registerTransport('t1', recorder());
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
  });

  it('close() unregisters everything', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', () => {});
    r.registerTransport('t1', () => {}, { serverId: 's1' });
    r.close();
    expect(r.listServers()).toEqual([]);
    expect(r.listTransports()).toEqual([]);
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.registerServer('s1', () => {})).toEqual({ ok: true });
  });
});
