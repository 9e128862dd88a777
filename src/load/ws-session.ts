/**
 * A load session over WebSocket (subprotocol `mcp`, permessage-deflate off): one socket, one
 * JSON-RPC message per text frame.
 */
import WebSocket from 'ws';
import { callBody, INIT_ID, INITIALIZE_BODY, INITIALIZED_BODY, isRefusalCode, type WireResponse } from './protocol.js';
import { LoadSession, type OpenOutcome, type SessionEnv } from './session.js';

/** Close codes a server uses to turn a connection away rather than fail it: try again later, policy. */
const REFUSAL_CLOSE_CODES = new Set([1013, 1008]);
/** HTTP statuses answering the upgrade that mean "full", not "broken". */
const REFUSAL_STATUSES = new Set([503, 429]);

/** The WebSocket URL of an `http(s):` MCP endpoint. */
export function wsUrlOf(url: URL): string {
  return url.href.replace(/^http/, 'ws');
}

/** One MCP session over WebSocket; see the file comment. */
export class WsLoadSession extends LoadSession {
  #ws: WebSocket | undefined;
  readonly #wsUrl: string;

  constructor(index: number, env: SessionEnv) {
    super(index, env);
    this.#wsUrl = wsUrlOf(env.url);
  }

  connect(): Promise<OpenOutcome> {
    this.state = 'connecting';
    return new Promise((resolve) => {
      let settled = false;
      const done = (outcome: OpenOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome.ok) {
          this.state = 'open';
        } else {
          this.state = 'closed';
          ws.terminate();
        }
        resolve(outcome);
      };
      const timer = setTimeout(
        () => done({ ok: false, refused: false, reason: 'handshake timeout' }),
        this.env.timeoutMs,
      );
      const ws = new WebSocket(this.#wsUrl, 'mcp', {
        perMessageDeflate: false,
        // The harness reads its own server's echoes: UTF-8 validation is CPU it would steal from the measurement.
        skipUTF8Validation: true,
        handshakeTimeout: this.env.timeoutMs,
        localAddress: this.env.localAddress,
      });
      this.#ws = ws;
      ws.on('error', (err: Error & { code?: string }) => {
        if (settled) return;
        const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
        if (status !== undefined) {
          done({ ok: false, refused: REFUSAL_STATUSES.has(Number(status)), reason: `HTTP ${status}` });
        } else {
          done({ ok: false, refused: false, reason: err.code ?? err.message });
        }
      });
      ws.on('open', () => ws.send(INITIALIZE_BODY));
      ws.on('close', (code: number) => {
        if (!settled) {
          done({
            ok: false,
            refused: REFUSAL_CLOSE_CODES.has(code),
            reason: `closed with ${code} during the handshake`,
          });
        }
        this.closed();
      });
      ws.on('message', (data: Buffer) => {
        let msg: WireResponse;
        try {
          msg = JSON.parse(data.toString()) as WireResponse;
        } catch {
          this.env.recorder.recordMalformed();
          return;
        }
        if (msg === null || typeof msg !== 'object') {
          this.env.recorder.recordMalformed();
        } else if (msg.id === INIT_ID) {
          if (settled) return;
          if (msg.error !== undefined) {
            const code = msg.error?.code;
            done({ ok: false, refused: isRefusalCode(code), reason: `initialize answered ${String(code)}` });
          } else {
            ws.send(INITIALIZED_BODY);
            done({ ok: true });
          }
        } else if (msg.id !== undefined) {
          this.answer(msg);
        }
        // Messages without an id are server notifications: not answers, not counted.
      });
    });
  }

  protected write(id: number): void {
    (this.#ws as WebSocket).send(callBody(id));
  }

  close(): Promise<void> {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) {
      this.closed();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, this.env.timeoutMs);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    });
  }

  destroy(): void {
    this.#ws?.terminate();
  }
}
