// A minimal server-side WebSocket transport for the official SDK, which ships none. It
// mirrors the SDK's own WebSocketClientTransport (client/websocket.js): each frame is
// JSON.parse'd and validated with the SDK's JSONRPCMessageSchema, and `send` writes
// JSON.stringify(message) and resolves at once.
import { randomUUID } from 'node:crypto';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** Implements the SDK `Transport` interface over one accepted `ws` connection. */
export class WsServerTransport {
  /** @param {import('ws').WebSocket} socket */
  constructor(socket) {
    this.socket = socket;
    this.sessionId = randomUUID();
    /** @type {((message: any) => void) | undefined} */
    this.onmessage = undefined;
    /** @type {((error: Error) => void) | undefined} */
    this.onerror = undefined;
    /** @type {(() => void) | undefined} */
    this.onclose = undefined;
  }

  async start() {
    this.socket.on('message', (data) => {
      let message;
      try {
        message = JSONRPCMessageSchema.parse(JSON.parse(data.toString()));
      } catch (error) {
        this.onerror?.(/** @type {Error} */ (error));
        return;
      }
      this.onmessage?.(message);
    });
    this.socket.on('error', (error) => this.onerror?.(error));
    this.socket.on('close', () => this.onclose?.());
  }

  /** @param {unknown} message */
  async send(message) {
    if (this.socket.readyState !== this.socket.OPEN) throw new Error('Not connected');
    this.socket.send(JSON.stringify(message));
  }

  async close() {
    this.socket.close();
  }
}
