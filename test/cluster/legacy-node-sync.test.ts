// NodeSync (src/cluster/legacy/node-sync.ts) over an in-memory wire: the rules that the
// integration test cannot provoke on demand. One id on two nodes, a snapshot replacing what was
// known of its sender, late frames of a dead thread, a worker's `gone`, a membership view
// dropping a node (and its grace after a reconnect), a frame that reached nobody, Redis away.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeFrame } from '../../src/cluster/legacy/frames.js';
import { NodeSync, type NodeWire } from '../../src/cluster/legacy/node-sync.js';
import type { ClusterView } from '../../src/cluster/membership.js';
import { LegacyRegistry } from '../../src/legacy/registry.js';
import type { McpMessageEnvelope, Undelivered } from '../../src/legacy/types.js';

const log = pino({ enabled: false });

/** Threads on one in-memory pub/sub: frames delivered in order, after the sender's turn. */
class Hub {
  readonly threads = new Map<string, (f: NodeFrame) => void>();
  up = true;
  deliver(to: string, f: NodeFrame): boolean {
    const t = this.threads.get(to);
    if (t === undefined) return false;
    queueMicrotask(() => t(f));
    return true;
  }
}

interface Thread {
  registry: LegacyRegistry;
  sync: NodeSync;
  got: McpMessageEnvelope[];
  lost: Undelivered[];
}

function thread(hub: Hub, address: string): Thread {
  const wire: NodeWire = {
    address,
    get up() {
      return hub.up;
    },
    publish(frame) {
      if (!hub.up) return;
      for (const a of hub.threads.keys()) if (a !== address) hub.deliver(a, frame);
    },
    async send(to, frame) {
      if (!hub.up) throw new Error('down');
      return hub.deliver(to, frame);
    },
  };
  const registry = new LegacyRegistry({ logger: log });
  const sync = registry.attachCluster((host) => new NodeSync(host, wire, log)) as NodeSync;
  hub.threads.set(address, (f) => sync.receive(f));
  const t: Thread = { registry, sync, got: [], lost: [] };
  registry.onUndelivered((u) => t.lost.push(u));
  return t;
}

const settle = () => new Promise((r) => setTimeout(r, 5));
const view = (nodes: string[], stale = false): ClusterView => ({
  node: 'x',
  role: 'member',
  state: 'ok',
  redis: 'up',
  stale,
  last_beat_ms: 0,
  heartbeat_ms: 10,
  dead_after_ms: 30,
  nodes: nodes.map((id) => ({
    id,
    advertise: '',
    started_at: 0,
    load: { connections: 0, sessions: 0, requests_per_sec: 0, workers: 1 },
    last_beat_ms: 0,
    self: false,
  })),
});

describe('NodeSync', () => {
  it('an id held by two nodes: every other thread routes to the same holder (the smallest address)', async () => {
    const hub = new Hub();
    const a = thread(hub, 'a/0/1');
    const b = thread(hub, 'b/0/1');
    const c = thread(hub, 'c/0/1');
    // Registered on both before either heard of the other (Redis away for both).
    hub.up = false;
    expect(b.registry.registerServer('dup', (e) => b.got.push(e))).toEqual({ ok: true });
    expect(a.registry.registerServer('dup', (e) => a.got.push(e))).toEqual({ ok: true });
    hub.up = true;
    for (const t of [a, b, c]) t.sync.resync();
    await settle();
    // Each node reaches its own; c picks a's (a/0/1 < b/0/1).
    expect(c.registry.findServer('dup')).toMatchObject({ ok: true, node: 'a' });
    expect(c.registry.routeToServer('dup', 't', 1)).toEqual({ ok: true, delivered: 1, forwarded: 1 });
    expect(b.registry.routeToServer('dup', 't', 2)).toEqual({ ok: true, delivered: 1 });
    await settle();
    expect(a.got.map((e) => e.message)).toEqual([1]);
    expect(b.got.map((e) => e.message)).toEqual([2]);
    // Now that c sees it, c refuses the id.
    expect(c.registry.registerServer('dup', () => {})).toEqual({ ok: false, error: 'already_registered' });
  });

  it('a sync replaces what was known of its sender; late frames of a thread declared gone are ignored', async () => {
    const hub = new Hub();
    const a = thread(hub, 'a/0/1');
    const b = thread(hub, 'b/0/1');
    const b1 = thread(hub, 'b/1/7');
    b.registry.registerServer('keep', () => {});
    b.registry.registerServer('old', () => {});
    b1.registry.registerServer('w1', () => {});
    await settle();
    expect(a.registry.listServers().map((e) => e.id)).toEqual(['keep', 'old', 'w1']);
    // 'old' unregistered while Redis was away: the snapshot after the reconnect removes it.
    hub.up = false;
    b.registry.unregisterServer('old');
    hub.up = true;
    b.sync.resync();
    await settle();
    expect(a.registry.listServers().map((e) => e.id)).toEqual(['keep', 'w1']);
    // b's worker 1 dies: b (its sibling, which knows its address from its frames) says so.
    hub.threads.delete('b/1/7');
    b.sync.siblingDown(1);
    await settle();
    expect(a.registry.findServer('w1')).toEqual({ ok: false, error: 'not_found' });
    // A late frame of the dead incarnation is ignored.
    a.sync.receive({ f: 'b/1/7', p: { op: 'reg', k: 's', e: ['late', 9, {}, null], g: 1 } });
    expect(a.registry.findServer('late')).toEqual({ ok: false, error: 'not_found' });
  });

  it('a node dropped by the membership leaves the view, but not during the grace after a reconnect', async () => {
    const hub = new Hub();
    const a = thread(hub, 'a/0/1');
    const b = thread(hub, 'b/0/1');
    b.registry.registerServer('s', () => {});
    b.registry.registerTransport('t', () => {}, { serverId: 's' });
    await settle();
    a.sync.onView(view(['a', 'b']));
    // Within the grace of a reconnect a view without b (a Redis restarted empty) drops nothing.
    a.sync.reconnected();
    a.sync.onView(view(['a']));
    expect(a.registry.findServer('s')).toMatchObject({ ok: true, node: 'b' });
    // A stale view decides nothing either.
    await new Promise((r) => setTimeout(r, 60));
    a.sync.onView(view(['a'], true));
    expect(a.registry.findServer('s')).toMatchObject({ ok: true });
    a.sync.onView(view(['a']));
    expect(a.registry.findServer('s')).toEqual({ ok: false, error: 'not_found' });
    expect(a.registry.findTransport('t')).toEqual({ ok: false, error: 'not_found' });
    expect(a.registry.getServerForTransport('t')).toEqual({ ok: false, error: 'not_found' });
    expect(a.registry.routeToServer('s', 'x', 1)).toEqual({ ok: true, delivered: 0, dropped: 'server_not_found' });
    // b comes back (it was cut off, not dead): it is asked for its snapshot again.
    a.sync.onView(view(['a', 'b']));
    await settle();
    expect(a.registry.findServer('s')).toMatchObject({ ok: true, node: 'b' });
  });

  it('a route that reached nobody is reported, and the thread leaves the view; Redis away answers cluster_unavailable', async () => {
    const hub = new Hub();
    const a = thread(hub, 'a/0/1');
    const b = thread(hub, 'b/0/1');
    b.registry.registerServer('s', () => {});
    await settle();
    hub.threads.delete('b/0/1'); // b killed: its subscription is gone
    expect(a.registry.routeToServer('s', 'x', { n: 1 })).toEqual({ ok: true, delivered: 1, forwarded: 1 });
    await settle();
    expect(a.lost).toEqual([
      { reason: 'node_unreachable', kind: 'server', id: 's', node: 'b', count: 1, message: { n: 1 } },
    ]);
    expect(a.registry.routeToServer('s', 'x', { n: 2 })).toEqual({
      ok: true,
      delivered: 0,
      dropped: 'server_not_found',
    });

    const c = thread(hub, 'c/0/1');
    c.registry.registerServer('cs', () => {});
    await settle();
    hub.up = false;
    expect(a.registry.routeToServer('cs', 'x', 1)).toEqual({ ok: true, delivered: 0, dropped: 'cluster_unavailable' });
    expect(a.registry.findServer('cs')).toEqual({ ok: false, error: 'not_found', clusterUnavailable: true });
    expect(a.registry.listServers()).toEqual([]);
    hub.up = true;
    expect(() => a.registry.routeToServer('cs', 'x', new Date())).toThrow(
      expect.objectContaining({ code: 'ERR_NOT_SERIALIZABLE' }),
    );
  });
});
