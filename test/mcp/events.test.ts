import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/mcp/client.js';
import type { ServerEvent, ServerEventBus } from '../../src/mcp/events/bus.js';
import { McpServer } from '../../src/mcp/server.js';
import { createMemoryTransportPair } from '../../src/transports/memory.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A bus joining several server copies in one process: each endpoint hears the others, never itself. */
function hub(): { endpoint(): ServerEventBus; published: ServerEvent[] } {
  const endpoints = new Set<Set<(e: ServerEvent) => void>>();
  const published: ServerEvent[] = [];
  return {
    published,
    endpoint() {
      const mine = new Set<(e: ServerEvent) => void>();
      endpoints.add(mine);
      return {
        publish(event) {
          published.push(event);
          for (const other of endpoints) if (other !== mine) for (const l of other) l(event);
        },
        subscribe(listener) {
          mine.add(listener);
          return () => mine.delete(listener);
        },
      };
    },
  };
}

function copy(bus: ServerEventBus): McpServer {
  const server = new McpServer({ name: 'copy', version: '1' }, { events: bus });
  server.registerResource('thing', 'mem://thing', {}, () => ({ contents: [{ uri: 'mem://thing', text: 'x' }] }));
  cleanup.push(() => server.close());
  return server;
}

async function client(server: McpServer, era: '2026-07-28' | '2025-11-25'): Promise<McpClient> {
  const c = new McpClient(
    { name: 'c', version: '1' },
    { versionNegotiation: era === '2026-07-28' ? { pin: era } : 'legacy' },
  );
  const [ct, st] = createMemoryTransportPair();
  await server.connect(st);
  await c.connect(ct);
  cleanup.push(() => c.close());
  return c;
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('McpServer events option (a bus between copies of a server)', () => {
  it('a resource updated on one copy reaches the listen streams and 2025 subscribers of the others, once each', async () => {
    const h = hub();
    const a = copy(h.endpoint());
    const b = copy(h.endpoint());
    const onA: string[] = [];
    const onB: string[] = [];
    const on2025: string[] = [];
    const listenA = await client(a, '2026-07-28');
    const listenB = await client(b, '2026-07-28');
    const session = await client(a, '2025-11-25');
    await listenA.listen({ resourceSubscriptions: ['mem://thing'] }, { onResourceUpdated: (u) => onA.push(u) });
    await listenB.listen({ resourceSubscriptions: ['mem://thing'] }, { onResourceUpdated: (u) => onB.push(u) });
    session.onNotification('notifications/resources/updated', (p) => on2025.push(String(p.uri)));
    await session.subscribeResource({ uri: 'mem://thing' });

    b.notifyResourceUpdated('mem://thing');
    await waitFor(() => onA.length === 1 && onB.length === 1 && on2025.length === 1);
    a.notifyResourceUpdated('mem://thing');
    await waitFor(() => onA.length === 2 && onB.length === 2 && on2025.length === 2);
    // Give a duplicate the time to show up: none does (the bus never calls the publisher back).
    await new Promise((r) => setTimeout(r, 30));
    expect([onA, onB, on2025]).toEqual([
      ['mem://thing', 'mem://thing'],
      ['mem://thing', 'mem://thing'],
      ['mem://thing', 'mem://thing'],
    ]);
    expect(h.published).toEqual([
      { type: 'resource_updated', uri: 'mem://thing' },
      { type: 'resource_updated', uri: 'mem://thing' },
    ]);
  });

  it('list changes and local-scope updates stay on their copy; events it does not understand are ignored; close unsubscribes', async () => {
    const h = hub();
    const a = copy(h.endpoint());
    const raw = h.endpoint();
    const b = copy(raw);
    const onB: string[] = [];
    const listenB = await client(b, '2026-07-28');
    await listenB.listen(
      { toolsListChanged: true, resourceSubscriptions: ['mem://thing'] },
      { onToolsListChanged: () => onB.push('tools'), onResourceUpdated: (u) => onB.push(u) },
    );
    a.registerTool('only-on-a', {}, () => ({ content: [] }));
    raw.publish({ type: 'tools_list_changed' } as unknown as ServerEvent);
    raw.publish({ type: 'resource_updated', uri: '' } as ServerEvent);
    a.notifyResourceUpdated('mem://other');
    a.notifyResourceUpdated('mem://thing');
    await waitFor(() => onB.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(onB).toEqual(['mem://thing']);
    expect(h.published.filter((e) => e.type === 'resource_updated').map((e) => e.uri)).toEqual([
      '',
      'mem://other',
      'mem://thing',
    ]);
    // scope 'local': told to the copy's own clients, not published.
    a.notifyResourceUpdated('mem://thing', { scope: 'local' });
    await new Promise((r) => setTimeout(r, 30));
    expect(onB).toEqual(['mem://thing']);
    expect(h.published).toHaveLength(4); // the two raw ones, mem://other, mem://thing
    await a.close();
    b.notifyResourceUpdated('mem://thing');
    await waitFor(() => onB.length === 2);
  });
});
