// The official SDK (@modelcontextprotocol/sdk): one McpServer + transport per connection or
// session, as SDK users must do.
// - WebSocket: our minimal WsServerTransport (the SDK has no WebSocket server) on a `ws` server.
// - Streamable HTTP: the SDK's documented stateful pattern on a plain node:http server:
//   StreamableHTTPServerTransport with a sessionIdGenerator, a map of sessions, a new
//   server + transport on `initialize`, 400/404 for a missing/unknown session id.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WebSocketServer } from 'ws';
import { listenLoopback } from './loopback.mjs';
import { createSdkServer } from './sdk-tool.mjs';
import { WsServerTransport } from './sdk-ws-transport.mjs';

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  return transport === 'ws' ? startWs() : startHttp();
}

async function startWs() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/mcp', perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (socket) => {
    createSdkServer()
      .connect(new WsServerTransport(socket))
      .catch(() => socket.terminate());
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  return {
    url: `ws://127.0.0.1:${port}/mcp`,
    close: () => new Promise((resolve) => wss.close(() => resolve(undefined))),
  };
}

async function startHttp() {
  /** @type {Map<string, StreamableHTTPServerTransport>} */
  const sessions = new Map();
  const server = http.createServer(async (req, res) => {
    try {
      if (req.url !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const sid = /** @type {string | undefined} */ (req.headers['mcp-session-id']);
      let transport = sid ? sessions.get(sid) : undefined;
      if (!transport) {
        if (sid || body?.method !== 'initialize') {
          res.writeHead(sid ? 404 : 400).end();
          return;
        }
        const t = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, t);
          },
        });
        t.onclose = () => {
          if (t.sessionId) sessions.delete(t.sessionId);
        };
        await createSdkServer().connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res, body);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  return listenLoopback(server, async () => {
    for (const t of sessions.values()) await t.close();
  });
}
