import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { nodeHasReusePort, type ReusePortMode, sharedListenTarget } from '../../src/workers/listen-target.js';
import { freshGets } from './helpers.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

interface Counted {
  listener: Listener;
  count: () => number;
  stop: () => Promise<void>;
}

/** A listen() with reusePort that counts the /health requests it answers. */
async function counted(port: number, reusePort: boolean | ReusePortMode): Promise<Counted> {
  let n = 0;
  const routes = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/health') return false;
    n++;
    res.writeHead(200, { connection: 'close' });
    res.end('ok\n');
    return true;
  };
  const server = new McpServer({ name: 'r', version: '1' });
  const listener = await listen(server, { host: '127.0.0.1', port, reusePort, routes });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= listener.close().then(() => server.close());
    return stopped;
  };
  stops.push(stop);
  return { listener, count: () => n, stop };
}

const modeList: ReusePortMode[] = ['native', 'auto', ...(nodeHasReusePort() ? (['node'] as const) : [])];
const modes = modeList.map((m) => [m] as const);

describe.each(modes)('listen({ reusePort: %s }) in one process', (mode) => {
  it('two listeners on one port both serve; closing one leaves the other serving', async () => {
    const a = await counted(0, mode);
    const b = await counted(a.listener.port, mode);
    expect(b.listener.port).toBe(a.listener.port);
    const codes = await freshGets(a.listener.port, 200);
    expect(codes.every((c) => c === 200)).toBe(true);
    expect(a.count() + b.count()).toBe(200);
    expect(a.count()).toBeGreaterThan(0);
    expect(b.count()).toBeGreaterThan(0);

    await a.stop();
    const before = b.count();
    const after = await freshGets(a.listener.port, 50);
    expect(after.every((c) => c === 200)).toBe(true);
    expect(b.count() - before).toBe(50);
  });

  it('port 0: every listener ends up on the same port', async () => {
    const ls = await Promise.all([counted(0, mode), counted(0, mode), counted(0, mode)]);
    const port = ls[0]?.listener.port;
    expect(port).toBeGreaterThan(0);
    for (const l of ls) {
      expect(l.listener.port).toBe(port);
      expect(l.listener.url).toBe(`http://127.0.0.1:${port}/mcp`);
    }
    await freshGets(port ?? 0, 60);
    expect(ls.reduce((s, l) => s + l.count(), 0)).toBe(60);
  });
});

describe('reusePort modes and errors', () => {
  it.runIf(!nodeHasReusePort())("mode 'node' on a Node without reusePort is a clear ERR_LISTEN", async () => {
    expect(() => sharedListenTarget({ host: '127.0.0.1', port: 0, mode: 'node' })).toThrow(
      expect.objectContaining({ code: 'ERR_LISTEN', message: expect.stringMatching(/22\.12.*'native'/) }),
    );
    const server = new McpServer({ name: 'r', version: '1' });
    await expect(listen(server, { port: 0, reusePort: 'node' })).rejects.toMatchObject({ code: 'ERR_LISTEN' });
  });

  it.runIf(nodeHasReusePort())("a 'node' and a 'native' listener share one port", async () => {
    const a = await counted(0, 'node');
    const b = await counted(0, 'native');
    expect(b.listener.port).toBe(a.listener.port);
    await freshGets(a.listener.port, 100);
    expect(a.count() + b.count()).toBe(100);
    expect(a.count()).toBeGreaterThan(0);
    expect(b.count()).toBeGreaterThan(0);
  });

  it("'auto' picks node where supported, else native", () => {
    const t = sharedListenTarget({ host: '127.0.0.1', port: 0 });
    expect(t.mode).toBe(nodeHasReusePort() ? 'node' : 'native');
    // A native target holds an open socket: hand it to a server so that it gets closed.
    if ('fd' in t.listen) {
      const s = createServer().listen(t.listen);
      stops.push(() => new Promise((r) => s.close(() => r())));
    }
  });

  it('nodeHasReusePort follows the versions that have listen({ reusePort })', () => {
    expect(nodeHasReusePort('20.20.2')).toBe(false);
    expect(nodeHasReusePort('22.11.0')).toBe(false);
    expect(nodeHasReusePort('22.12.0')).toBe(true);
    expect(nodeHasReusePort('23.0.0')).toBe(false);
    expect(nodeHasReusePort('23.1.0')).toBe(true);
    expect(nodeHasReusePort('24.0.0')).toBe(true);
  });

  it('a port held without SO_REUSEPORT fails with ERR_LISTEN and the OS error', async () => {
    const plain = createServer();
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise((r) => plain.close(() => r())));
    const port = (plain.address() as { port: number }).port;
    const server = new McpServer({ name: 'r', version: '1' });
    await expect(listen(server, { port, reusePort: 'native' })).rejects.toMatchObject({
      code: 'ERR_LISTEN',
      message: expect.stringContaining('in use'),
    });
  });

  it('bad options are ERR_INVALID_ARG', () => {
    const bad = (o: object) => () => sharedListenTarget({ host: '127.0.0.1', port: 0, ...o });
    expect(bad({ mode: 'cluster' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(bad({ port: 70_000 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(bad({ backlog: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });

  it('reusePort false keeps the port exclusive (a second listen() gets EADDRINUSE)', async () => {
    const a = await counted(0, 'native');
    const server = new McpServer({ name: 'r', version: '1' });
    await expect(listen(server, { port: a.listener.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
