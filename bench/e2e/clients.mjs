// Lean load-generator clients speaking JSON-RPC directly (no SDK client: it would be the
// bottleneck). A session runs `outstanding` closed loops of tools/call echo requests: each
// response (or error) immediately sends the next request in its slot. Request ids are numbers
// `counter * outstanding + slot`, so the slot (and its send time) is `id % outstanding`
// without a per-request map; handshake requests use string ids.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export const PROTOCOL_VERSION = '2025-06-18';
const INIT_PARAMS = {
  protocolVersion: PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: 'erlmcp-bench-e2e', version: '1.0.0' },
};
const callPrefix = '{"jsonrpc":"2.0","id":';
const callSuffix = ',"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}';

/**
 * Counters shared by all sessions of a load generator. `measuring` gates what is recorded:
 * latencies and completions outside the measured window are not counted; errors are always
 * counted (errors during warmup are reported separately).
 */
export class Stats {
  /** @param {import('./histogram.mjs').Histogram} hist */
  constructor(hist) {
    this.hist = hist;
    this.measuring = false;
    this.running = false;
    this.completed = 0;
    this.inFlight = 0;
    /** @type {Record<string, number>} */
    this.rpcErrors = {};
    /** @type {Record<string, number>} */
    this.transportErrors = {};
    this.wrongResults = 0;
  }

  rpcError(code) {
    const k = String(code);
    this.rpcErrors[k] = (this.rpcErrors[k] ?? 0) + 1;
  }

  transportError(kind) {
    this.transportErrors[kind] = (this.transportErrors[kind] ?? 0) + 1;
  }

  /** One loop response: `msg` is the parsed JSON-RPC response, `t0` its send time (ms). */
  response(msg, t0) {
    this.inFlight--;
    if (msg.error) {
      this.rpcError(msg.error.code);
      return;
    }
    if (msg.result?.content?.[0]?.text !== 'hello') {
      this.wrongResults++;
      return;
    }
    if (this.measuring) {
      this.completed++;
      this.hist.record((performance.now() - t0) * 1000);
    }
  }
}

/** One MCP session over WebSocket (subprotocol 'mcp'). */
export class WsSession {
  /**
   * @param {string} url
   * @param {Stats} stats
   * @param {number} outstanding
   */
  constructor(url, stats, outstanding) {
    this.url = url;
    this.stats = stats;
    this.k = outstanding;
    this.sent = new Float64Array(outstanding);
    this.counter = 0;
    this.closed = false;
    /** @type {Map<string, (msg: any) => void>} */
    this.pending = new Map();
    /** @type {WebSocket | undefined} */
    this.ws = undefined;
  }

  /** Opens the connection. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, 'mcp', { perMessageDeflate: false });
      this.ws = ws;
      ws.once('open', () => resolve(undefined));
      ws.on('error', (err) => {
        this.stats.transportError(/** @type {any} */ (err).code ?? 'ws error');
        reject(err);
      });
      ws.on('close', () => {
        if (!this.closed && this.stats.running) this.stats.transportError('closed by server');
        this.closed = true;
        for (const r of this.pending.values()) r({ error: { code: 'closed' } });
        this.pending.clear();
      });
      ws.on('message', (data) => this.onMessage(data));
    });
  }

  onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      this.stats.transportError('unparsable frame');
      return;
    }
    const id = msg.id;
    if (typeof id === 'number') {
      const slot = id % this.k;
      this.stats.response(msg, this.sent[slot]);
      if (this.stats.running && !this.closed) this.issue(slot);
    } else if (typeof id === 'string') {
      const r = this.pending.get(id);
      this.pending.delete(id);
      r?.(msg);
    }
    // Server notifications (no id) are ignored.
  }

  /** A handshake request; resolves with the response message. */
  request(id, method, params) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, 10000);
      this.pending.set(id, (msg) => {
        clearTimeout(t);
        if (msg.error)
          reject(
            Object.assign(new Error(`${method}: ${msg.error.message ?? msg.error.code}`), { rpc: msg.error.code }),
          );
        else resolve(msg);
      });
      this.ws?.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  async initialize() {
    await this.request('init', 'initialize', INIT_PARAMS);
    this.ws?.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  }

  /** Starts the closed loops. */
  startLoop() {
    for (let s = 0; s < this.k; s++) this.issue(s);
  }

  issue(slot) {
    const id = this.counter++ * this.k + slot;
    this.sent[slot] = performance.now();
    this.stats.inFlight++;
    this.ws?.send(callPrefix + id + callSuffix);
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }

  terminate() {
    this.closed = true;
    this.ws?.terminate();
  }
}

/**
 * One MCP session over Streamable HTTP: POSTs with `Accept: application/json,
 * text/event-stream` on keep-alive sockets, the Mcp-Session-Id from the initialize response on
 * every later request; a response may be JSON or an SSE stream carrying it.
 */
export class HttpSession {
  /**
   * @param {string} url
   * @param {Stats} stats
   * @param {number} outstanding
   * @param {http.Agent} agent
   */
  constructor(url, stats, outstanding, agent) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.path = u.pathname;
    this.stats = stats;
    this.k = outstanding;
    this.agent = agent;
    this.sent = new Float64Array(outstanding);
    this.counter = 0;
    this.closed = false;
    /** @type {string | undefined} */
    this.sessionId = undefined;
  }

  async open() {}

  /**
   * POSTs `body`; calls `done(err, status, msg, headers)` once with the JSON-RPC response
   * whose id is `id` (or no message for 202 / a notification).
   */
  post(body, id, done) {
    /** @type {Record<string, string | number>} */
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': Buffer.byteLength(body),
    };
    if (this.sessionId) {
      headers['mcp-session-id'] = this.sessionId;
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
    }
    let finished = false;
    const finish = (err, status, msg, h) => {
      if (finished) return;
      finished = true;
      done(err, status, msg, h);
    };
    const req = http.request(
      { agent: this.agent, host: this.host, port: this.port, path: this.path, method: 'POST', headers },
      (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers['content-type'] ?? '');
        res.setEncoding('utf8');
        let buf = '';
        if (type.startsWith('text/event-stream')) {
          res.on('data', (chunk) => {
            buf += chunk;
            let end = buf.search(/\r?\n\r?\n/);
            while (end !== -1) {
              const event = buf.slice(0, end);
              buf = buf.slice(end + (buf[end] === '\r' ? 4 : 2));
              const data = event
                .split(/\r?\n/)
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(l[5] === ' ' ? 6 : 5))
                .join('\n');
              if (data) {
                let msg;
                try {
                  msg = JSON.parse(data);
                } catch {
                  finish(new Error('unparsable SSE data'), status);
                  return;
                }
                if (msg.id === id) finish(null, status, msg, res.headers);
              }
              end = buf.search(/\r?\n\r?\n/);
            }
          });
          res.on('end', () => finish(new Error('SSE stream ended without the response'), status));
        } else {
          res.on('data', (chunk) => {
            buf += chunk;
          });
          res.on('end', () => {
            if (!buf) {
              finish(null, status, undefined, res.headers);
              return;
            }
            let msg;
            try {
              msg = JSON.parse(buf);
            } catch {
              finish(new Error(`unparsable body (HTTP ${status})`), status);
              return;
            }
            finish(null, status, Array.isArray(msg) ? msg.find((m) => m.id === id) : msg, res.headers);
          });
        }
        res.on('error', (err) => finish(err, status));
      },
    );
    req.on('error', (err) => finish(err, 0));
    req.end(body);
  }

  /** A handshake POST as a promise. */
  postAsync(method, params, id) {
    const body = JSON.stringify(
      id === undefined ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params },
    );
    return new Promise((resolve, reject) => {
      this.post(body, id, (err, status, msg, headers) => {
        if (err) reject(err);
        else if (status >= 300) reject(new Error(`${method}: HTTP ${status}`));
        else if (msg?.error)
          reject(Object.assign(new Error(`${method}: ${msg.error.message}`), { rpc: msg.error.code }));
        else resolve({ status, msg, headers });
      });
    });
  }

  async initialize() {
    const { headers } = await this.postAsync('initialize', INIT_PARAMS, 'init');
    const sid = headers?.['mcp-session-id'];
    this.sessionId = Array.isArray(sid) ? sid[0] : sid;
    await this.postAsync('notifications/initialized', undefined, undefined);
  }

  startLoop() {
    for (let s = 0; s < this.k; s++) this.issue(s);
  }

  issue(slot) {
    const id = this.counter++ * this.k + slot;
    this.sent[slot] = performance.now();
    this.stats.inFlight++;
    this.post(callPrefix + id + callSuffix, id, (err, status, msg) => {
      if (err) {
        this.stats.inFlight--;
        this.stats.transportError(/** @type {any} */ (err).code ?? err.message);
      } else if (status !== 200) {
        this.stats.inFlight--;
        this.stats.transportError(`HTTP ${status}`);
      } else if (!msg) {
        this.stats.inFlight--;
        this.stats.transportError('no response message');
      } else {
        this.stats.response(msg, this.sent[slot]);
      }
      if (this.stats.running && !this.closed) this.issue(slot);
    });
  }

  /** Ends the session (HTTP DELETE, as the spec asks of a client that is done). */
  close() {
    this.closed = true;
    if (!this.sessionId) return Promise.resolve();
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          path: this.path,
          method: 'DELETE',
          headers: { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(undefined));
        },
      );
      req.on('error', () => resolve(undefined));
      req.setTimeout(2000, () => req.destroy());
      req.end();
    });
  }

  terminate() {
    this.closed = true;
  }
}
