import { describe, expect, it } from 'vitest';
import { LegacyRegistry } from '../../src/legacy/index.js';
import { Child, EmitterEndpoint, recorder } from './helpers.js';

describe('exit monitoring (the Erlang monitor)', () => {
  it('a server that exits (onExit) is removed with its transports’ bindings', () => {
    const r = new LegacyRegistry();
    const server = new Child();
    r.registerServer('s1', server);
    r.registerTransport('t1', recorder(), { serverId: 's1' });
    server.exit('crash');
    expect(r.findServer('s1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.findTransport('t1').ok).toBe(true);
    expect(r.routeToServer('s1', 't1', 'm')).toMatchObject({ delivered: 0, dropped: 'server_not_found' });
    expect(server.watchers).toBe(0);
  });

  it('a transport that exits is removed with its binding', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', recorder());
    const t = new Child();
    r.registerTransport('t1', t, { serverId: 's1' });
    t.exit();
    expect(r.findTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.getServerForTransport('t1')).toEqual({ ok: false, error: 'not_found' });
    expect(r.routeToTransport('broadcast', 's1', 'm')).toEqual({ ok: true, delivered: 0 });
  });

  it('EventEmitter endpoints: "close" and "exit" both count; listeners are removed', () => {
    const r = new LegacyRegistry();
    const socket = new EmitterEndpoint();
    const worker = new EmitterEndpoint();
    r.registerTransport('sock', socket);
    r.registerServer('w', worker);
    expect(socket.listenerCount('close')).toBe(1);
    socket.emit('close');
    worker.emit('exit', 1);
    expect(r.listTransports()).toEqual([]);
    expect(r.listServers()).toEqual([]);
    for (const e of [socket, worker]) {
      expect(e.listenerCount('close') + e.listenerCount('exit')).toBe(0);
    }
  });

  it('unregistering stops watching: a later exit does not touch a re-registration of the id', () => {
    const r = new LegacyRegistry();
    const first = new Child();
    r.registerServer('s1', first);
    r.unregisterServer('s1');
    expect(first.watchers).toBe(0);
    const second = new Child();
    r.registerServer('s1', second);
    first.exit();
    expect(r.findServer('s1')).toMatchObject({ ok: true, server: second });
  });

  it('an exit listener that fires late (not unsubscribable) cannot remove the new owner', () => {
    const r = new LegacyRegistry();
    let fire: (() => void) | undefined;
    const sticky = {
      deliver() {},
      onExit(l: () => void) {
        fire = l;
        return undefined;
      },
    };
    r.registerServer('s1', sticky);
    r.unregisterServer('s1');
    r.registerServer('s1', recorder());
    fire?.();
    expect(r.findServer('s1').ok).toBe(true);
  });

  it('a plain function is never removed automatically', () => {
    const r = new LegacyRegistry();
    r.registerServer('s1', () => {});
    expect(r.findServer('s1').ok).toBe(true);
  });
});
