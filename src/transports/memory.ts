import { randomUUID } from 'node:crypto';
import { ErlmcpError } from '../core/errors.js';
import { encodeMessage, type JsonRpcMessage } from '../mcp/jsonrpc.js';
import { closedError, type MessageExtra, SENT, type Transport, type TransportSendOptions } from './transport.js';

/**
 * One end of an in-process transport pair. Messages cross as JSON text (so whatever would
 * not survive a socket does not survive here either) and arrive on a later microtask, like
 * on a real transport. For tests and for embedding a server and client in one process.
 */
export class MemoryTransport implements Transport {
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  /** @internal */
  peer: MemoryTransport | undefined;
  #closed = false;
  #started = false;
  readonly #early: unknown[] = [];

  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'MemoryTransport already started');
    this.#started = true;
    for (const m of this.#early.splice(0)) this.onmessage?.(m as JsonRpcMessage);
  }

  send(message: JsonRpcMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.sendRaw(encodeMessage(message));
    return SENT;
  }

  /** Delivers `text` to the peer as if it came off a wire (JSON parse errors go to its onerror). */
  sendRaw(text: string): void {
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.#deliver(text));
  }

  #deliver(text: string): void {
    if (this.#closed) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `invalid JSON: ${(err as Error).message}`));
      return;
    }
    if (!this.#started) this.#early.push(value);
    else this.onmessage?.(value as JsonRpcMessage);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
    const peer = this.peer;
    if (peer) queueMicrotask(() => void peer.close());
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** Two connected in-memory transports: give one to a server, the other to a client. */
export function createMemoryTransportPair(): [client: MemoryTransport, server: MemoryTransport] {
  const a = new MemoryTransport();
  const b = new MemoryTransport();
  a.peer = b;
  b.peer = a;
  b.sessionId = randomUUID();
  return [a, b];
}
