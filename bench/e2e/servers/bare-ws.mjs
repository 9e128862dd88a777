// Memory baseline: a `ws` server whose connections carry no state at all (no message
// handler). Only used for the idle-session memory measurement.
import { WebSocketServer } from 'ws';

/** @param {{ transport: string }} opts */
export async function start({ transport }) {
  if (transport !== 'ws') throw new Error(`bare-ws serves WebSocket only, not ${transport}`);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/mcp', perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (socket) => {
    socket.on('error', () => {});
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
  return {
    url: `ws://127.0.0.1:${port}/mcp`,
    close: () => new Promise((resolve) => wss.close(() => resolve(undefined))),
  };
}
