// The ceiling: a plain `ws` server that JSON.parses each frame and answers a JSON-RPC result
// with the echo tool's content. No MCP logic: `initialize` gets an empty result, notifications
// (no id) get nothing, every other request gets the echo of `params.arguments.message`.
// bench/cores/echo-threads.mjs runs the same echo on N worker threads.
import { WebSocketServer } from 'ws';

/**
 * Makes every connection of `wss` an echo.
 * @param {WebSocketServer} wss
 */
export function echoWs(wss) {
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === undefined) return;
      const result =
        msg.method === 'initialize'
          ? {
              protocolVersion: msg.params.protocolVersion,
              capabilities: { tools: {} },
              serverInfo: { name: 'raw', version: '1.0.0' },
            }
          : { content: [{ type: 'text', text: msg.params?.arguments?.message }] };
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
    socket.on('error', () => {});
  });
}

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  if (transport !== 'ws') throw new Error(`raw-ws serves WebSocket only, not ${transport}`);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/mcp', perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  echoWs(wss);
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  return {
    url: `ws://127.0.0.1:${port}/mcp`,
    close: () => new Promise((resolve) => wss.close(() => resolve(undefined))),
  };
}
