import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

// The sockets a worker pool holds (src/workers/pool.ts): what a stopping pool relies on to
// reset nothing, refusing new connection attempts while the queued ones are accepted.
const held: number[] = [];
const clients: Socket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  for (const fd of held.splice(0)) native.releaseListenSocket(fd);
});

function client(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    clients.push(s);
    s.once('error', reject);
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.runIf(process.platform === 'linux')('held listening sockets', () => {
  it('count their queue, refuse new attempts, and still hand queued connections to a copy', async () => {
    const fd = native.holdListenSocket('127.0.0.1', 0, 16);
    held.push(fd);
    const port = native.socketPort(fd);
    expect(native.queuedConnections(fd)).toBe(0);
    const queued = await client(port);
    await until(() => native.queuedConnections(fd) === 1, 'the queued connection');
    expect(native.refuseNewConnections(fd)).toBe(true);
    // A new attempt is not answered (its SYN is dropped): neither connected nor reset.
    const late = connect(port, '127.0.0.1');
    clients.push(late);
    let lateOutcome = 'pending';
    late.once('connect', () => (lateOutcome = 'connected'));
    late.once('error', (e) => (lateOutcome = (e as NodeJS.ErrnoException).code ?? 'error'));
    // A server on a copy of the socket accepts the queued connection and talks to it.
    const server = createServer((s) => s.end('hello'));
    await new Promise<void>((r) => server.listen({ fd: native.dupListenSocket(fd) }, r));
    const got = await new Promise<string>((resolve) => {
      let text = '';
      queued.on('data', (d) => (text += d));
      queued.on('end', () => resolve(text));
    });
    expect(got).toBe('hello');
    expect(native.queuedConnections(fd)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(lateOutcome).toBe('pending');
    await new Promise((r) => server.close(r));
  });

  it('say clearly when a descriptor is not held', () => {
    for (const call of [() => native.queuedConnections(987_654), () => native.refuseNewConnections(987_654)]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
  });
});
