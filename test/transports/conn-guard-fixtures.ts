/**
 * Shared pieces of the connection-guard tests: a listen() server with an `echo` tool, raw
 * TCP sockets that record what they got and when they closed, and cleanup that runs even
 * when a test fails.
 */
import net from 'node:net';
import { McpServer } from '../../src/mcp/server.js';
import type { ConnectionGuardOptions } from '../../src/transports/conn-guard.js';
import { type Listener, type ListenOptions, listen } from '../../src/transports/listen.js';

export interface Served {
  server: McpServer;
  listener: Listener;
}

/** Everything a test opened; {@link cleanup} closes it in reverse order. */
const stops: (() => Promise<void> | void)[] = [];

export function onCleanup(stop: () => Promise<void> | void): void {
  stops.push(stop);
}

export async function cleanup(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) {
    try {
      await stop();
    } catch {
      // One failing stop must not keep the others from running.
    }
  }
}

export async function serve(connections: ConnectionGuardOptions, extra: Omit<ListenOptions, 'connections'> = {}) {
  const server = new McpServer({ name: 'guard', version: '1' });
  server.registerTool('echo', {}, (args: { text?: string }) => ({
    content: [{ type: 'text', text: String(args?.text ?? '') }],
  }));
  const listener = await listen(server, { host: '127.0.0.1', port: 0, ...extra, connections });
  onCleanup(async () => {
    await listener.close();
    await server.close();
  });
  return { server, listener } satisfies Served;
}

/** A raw TCP client: what it received, and when the connection ended. */
export interface RawSocket {
  socket: net.Socket;
  /** Milliseconds since the process started (performance.now) when it connected. */
  connectedAt: number;
  /** Everything received so far, latin1. */
  readonly received: string;
  /** Resolves once the connection closed: after how many ms since connecting, and what was received. */
  closed: Promise<{ afterMs: number; received: string }>;
  isClosed(): boolean;
}

/** Connects to 127.0.0.1:port and writes `data` (if any) once connected. */
export function rawConnect(port: number, data?: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    onCleanup(() => {
      socket.destroy();
    });
    let received = '';
    let done = false;
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    // A refused or reset connection is a close like any other here.
    socket.on('error', () => {});
    const closed = new Promise<{ afterMs: number; received: string }>((res) => {
      socket.once('close', () => {
        done = true;
        res({ afterMs: performance.now() - raw.connectedAt, received });
      });
    });
    const raw: RawSocket = {
      socket,
      connectedAt: 0,
      get received() {
        return received;
      },
      closed,
      isClosed: () => done,
    };
    socket.once('connect', () => {
      raw.connectedAt = performance.now();
      if (data !== undefined) socket.write(data);
      resolve(raw);
    });
    socket.once('close', () => {
      if (raw.connectedAt === 0) reject(new Error('connection closed before it was established'));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms up to `ms` (default 5 s). */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}

export const HALF_REQUEST = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-';

export const INIT_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
