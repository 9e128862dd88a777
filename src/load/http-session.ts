/**
 * A load session over Streamable HTTP: every request is a POST on the pool's keep-alive agent
 * carrying the Mcp-Session-Id and MCP-Protocol-Version headers; the session itself holds no
 * socket, so many sessions share few connections.
 */
import http from 'node:http';
import https from 'node:https';
import { type ExchangeResult, type ExchangeTarget, postMessage } from './http-exchange.js';
import {
  callBody,
  httpStatusKind,
  INIT_ID,
  INITIALIZE_BODY,
  INITIALIZED_BODY,
  isRefusalCode,
  PROTOCOL_VERSION,
} from './protocol.js';
import { LoadSession, type OpenOutcome, type SessionEnv } from './session.js';

/** Creates the keep-alive agent of one source address, holding at most `maxSockets` sockets. */
export function createLoadAgent(url: URL, maxSockets: number, localAddress?: string): http.Agent {
  const options: http.AgentOptions = {
    keepAlive: true,
    maxSockets,
    maxFreeSockets: maxSockets,
    // Free sockets are closed by the client before the server's 5 s keep-alive timeout does it:
    // reusing a socket the server is closing fails the request with ECONNRESET.
    timeout: 4_000,
    scheduling: 'lifo',
    localAddress,
  };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

/** One MCP session over Streamable HTTP; see the file comment. */
export class HttpLoadSession extends LoadSession {
  readonly #target: ExchangeTarget;
  /** Where the load requests go: #target, or env.requestUrl with the same session id. */
  #requests: ExchangeTarget;

  constructor(index: number, env: SessionEnv, agent: http.Agent) {
    super(index, env);
    this.#target = { url: env.url, agent };
    this.#requests = this.#target;
  }

  connect(): Promise<OpenOutcome> {
    this.state = 'connecting';
    return new Promise((resolve) => {
      const done = (outcome: OpenOutcome) => {
        this.state = outcome.ok ? 'open' : 'closed';
        resolve(outcome);
      };
      postMessage(this.#target, INITIALIZE_BODY, INIT_ID, this.env.timeoutMs, (r) => {
        const refusal = handshakeRefusal(r, 'initialize');
        if (refusal !== undefined) {
          done(refusal);
          return;
        }
        if (r.sessionId === undefined) {
          done({ ok: false, refused: false, reason: 'initialize answered without Mcp-Session-Id' });
          return;
        }
        this.#target.sessionId = r.sessionId;
        if (this.env.requestUrl !== undefined)
          this.#requests = { url: this.env.requestUrl, agent: this.#target.agent, sessionId: r.sessionId };
        postMessage(this.#target, INITIALIZED_BODY, undefined, this.env.timeoutMs, (n) => {
          if (n.error !== undefined || n.status >= 300) {
            done({ ok: false, refused: false, reason: `notifications/initialized: ${n.error ?? `HTTP ${n.status}`}` });
          } else {
            done({ ok: true });
          }
        });
      });
    });
  }

  protected write(id: number): void {
    postMessage(this.#requests, callBody(id), id, 0, (r) => this.#settle(id, r));
  }

  #settle(id: number, r: ExchangeResult): void {
    if (r.message !== undefined) {
      this.answer(r.message);
    } else if (r.error !== undefined) {
      this.fail(id, 'transport', false);
    } else if (r.status >= 200 && r.status < 300) {
      this.env.recorder.recordMalformed();
      this.fail(id, 'protocol', true);
    } else {
      // 404: the server no longer knows the session (expired or closed): send nothing more on it.
      if (r.status === 404) this.closed();
      this.fail(id, httpStatusKind(r.status), true);
    }
  }

  close(): Promise<void> {
    const sessionId = this.#target.sessionId;
    if (this.state !== 'open' || sessionId === undefined) {
      this.closed();
      return Promise.resolve();
    }
    this.closed();
    return new Promise((resolve) => {
      const u = this.#target.url;
      const request = u.protocol === 'https:' ? https.request : http.request;
      const req = request(
        {
          agent: this.#target.agent,
          hostname: u.hostname.replace(/^\[|\]$/g, ''),
          port: u.port,
          path: u.pathname + u.search,
          method: 'DELETE',
          headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.setTimeout(this.env.timeoutMs, () => {
        req.destroy();
        resolve();
      });
      req.end();
    });
  }

  destroy(): void {
    this.closed();
  }
}

/** The outcome of a failed handshake POST, or undefined when it succeeded. */
function handshakeRefusal(r: ExchangeResult, what: string): OpenOutcome | undefined {
  if (r.error !== undefined) return { ok: false, refused: false, reason: r.error };
  const code = r.message?.error?.code;
  if (code !== undefined)
    return { ok: false, refused: isRefusalCode(code), reason: `${what} answered ${String(code)}` };
  if (r.status === 503 || r.status === 429) return { ok: false, refused: true, reason: `HTTP ${r.status}` };
  if (r.status < 200 || r.status >= 300) return { ok: false, refused: false, reason: `HTTP ${r.status}` };
  if (r.message === undefined) return { ok: false, refused: false, reason: `${what}: no JSON-RPC answer` };
  return undefined;
}
