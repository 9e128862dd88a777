/**
 * A raw node:http server on 127.0.0.1 that records every request exactly as it arrived
 * (method, headers, parsed body) and lets a test script each answer, to assert what a client
 * puts on the wire.
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire values
type Wire = any;

export interface Exchange {
  method: string;
  headers: IncomingHttpHeaders;
  body: Wire;
  res: ServerResponse;
  /** Resolves when the client closed the connection before the answer ended (a cancel in 2026). */
  aborted: Promise<void>;
}

export interface RawServer {
  url: string;
  exchanges: Exchange[];
  /** Exchanges whose body is a JSON-RPC message of `method`. */
  of(method: string): Exchange[];
  stop(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(body === undefined ? '' : JSON.stringify(body));
}

/** Opens an SSE answer and writes `messages` as events; `end` closes it afterwards. */
export function sse(res: ServerResponse, messages: unknown[], end = true): void {
  if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const m of messages) res.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
  if (end) res.end();
}

export async function startRaw(handle: (ex: Exchange) => void | Promise<void>): Promise<RawServer> {
  const exchanges: Exchange[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const aborted = new Promise<void>((resolve) => {
      res.once('close', () => {
        if (!res.writableFinished) resolve();
      });
    });
    const ex: Exchange = {
      method: req.method ?? '',
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
      res,
      aborted,
    };
    exchanges.push(ex);
    await handle(ex);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    exchanges,
    of: (method) => exchanges.filter((e) => e.body?.method === method),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
