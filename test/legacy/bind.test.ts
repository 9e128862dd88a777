import { describe, expect, it } from 'vitest';
import { LegacyRegistry } from '../../src/legacy/index.js';
import { recorder } from './helpers.js';

function setup() {
  const r = new LegacyRegistry();
  r.registerServer('s1', recorder());
  r.registerServer('s2', recorder());
  r.registerTransport('t1', recorder());
  r.registerTransport('t2', recorder());
  return r;
}

describe('bindTransportToServer / unbindTransport / getServerForTransport', () => {
  it('bind: ok, and getServerForTransport answers the server', () => {
    const r = setup();
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.bindTransportToServer('t1', 's1')).toEqual({ ok: true });
    expect(r.getServerForTransport('t1')).toEqual({ ok: true, serverId: 's1' });
  });

  it('bind to an unknown server: server_not_found', () => {
    expect(setup().bindTransportToServer('t1', 'nope')).toEqual({ ok: false, error: 'server_not_found' });
  });

  it('bind an unknown transport: transport_not_found', () => {
    expect(setup().bindTransportToServer('nope', 's1')).toEqual({ ok: false, error: 'transport_not_found' });
  });

  it('both unknown: server_not_found (the server is checked first, as in the original)', () => {
    expect(setup().bindTransportToServer('nope', 'nope')).toEqual({ ok: false, error: 'server_not_found' });
  });

  it('rebind moves the transport to the new server (and out of the old one’s broadcast)', () => {
    const r = setup();
    r.bindTransportToServer('t1', 's1');
    expect(r.bindTransportToServer('t1', 's2')).toEqual({ ok: true });
    expect(r.getServerForTransport('t1')).toEqual({ ok: true, serverId: 's2' });
    expect(r.routeToTransport('broadcast', 's1', 'm')).toEqual({ ok: true, delivered: 0 });
    expect(r.routeToTransport('broadcast', 's2', 'm')).toEqual({ ok: true, delivered: 1 });
  });

  it('unbind: ok, bound or not', () => {
    const r = setup();
    r.bindTransportToServer('t1', 's1');
    expect(r.unbindTransport('t1')).toEqual({ ok: true });
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.unbindTransport('t1')).toEqual({ ok: true });
    expect(r.unbindTransport('never-registered')).toEqual({ ok: true });
    // The transport itself stays registered.
    expect(r.findTransport('t1').ok).toBe(true);
  });

  it('unregistering a server removes its transports’ bindings, not the transports', () => {
    const r = setup();
    r.bindTransportToServer('t1', 's1');
    r.bindTransportToServer('t2', 's2');
    r.unregisterServer('s1');
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.getServerForTransport('t2')).toEqual({ ok: true, serverId: 's2' });
    expect(r.findTransport('t1').ok).toBe(true);
    // A new server under the same id starts with no transports.
    r.registerServer('s1', recorder());
    expect(r.routeToTransport('broadcast', 's1', 'm')).toEqual({ ok: true, delivered: 0 });
  });

  it('unregistering a server also drops config.serverId bindings made before it existed', () => {
    const r = new LegacyRegistry();
    r.registerTransport('t1', recorder(), { serverId: 's1' });
    r.registerServer('s1', recorder());
    expect(r.routeToTransport('broadcast', 's1', 'm')).toEqual({ ok: true, delivered: 1 });
    r.unregisterServer('s1');
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
  });
});
