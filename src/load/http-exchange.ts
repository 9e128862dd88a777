/**
 * One Streamable HTTP POST and its answer: the JSON-RPC response for a given id arrives either
 * as an `application/json` body or as an event of a `text/event-stream` body. Callbacks, not
 * promises, because this runs once per load request.
 */
import http from 'node:http';
import https from 'node:https';
import type { WireResponse } from './protocol.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** How one POST ended. */
export interface ExchangeResult {
  /** Socket or stream failure before an answer (code or message); undefined otherwise. */
  error?: string;
  /** HTTP status (0 when no response came). */
  status: number;
  /** The JSON-RPC response with the wanted id, if the body held one. */
  message?: WireResponse;
  /** True when a body arrived but was not JSON / had no message with the id. */
  malformed?: boolean;
  /** Mcp-Session-Id response header. */
  sessionId?: string;
}

/** Where POSTs go. */
export interface ExchangeTarget {
  url: URL;
  agent: http.Agent;
  /** Mcp-Session-Id once the session exists. */
  sessionId?: string;
}

/**
 * POSTs `body` and calls `done` exactly once. `wantId` is the id of the response to wait for
 * (undefined for a notification: any 2xx ends it). `timeoutMs` > 0 destroys a request that
 * has not finished by then.
 */
export function postMessage(
  target: ExchangeTarget,
  body: string,
  wantId: string | number | undefined,
  timeoutMs: number,
  done: (r: ExchangeResult) => void,
): void {
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'content-length': Buffer.byteLength(body),
  };
  if (target.sessionId !== undefined) {
    headers['mcp-session-id'] = target.sessionId;
    headers['mcp-protocol-version'] = PROTOCOL_VERSION;
  }
  let finished = false;
  const finish = (r: ExchangeResult) => {
    if (finished) return;
    finished = true;
    done(r);
  };
  const u = target.url;
  const request = u.protocol === 'https:' ? https.request : http.request;
  const req = request(
    {
      agent: target.agent,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port,
      path: u.pathname + u.search,
      method: 'POST',
      headers,
    },
    (res) => {
      const status = res.statusCode ?? 0;
      const sid = res.headers['mcp-session-id'];
      const sessionId = Array.isArray(sid) ? sid[0] : sid;
      const type = String(res.headers['content-type'] ?? '');
      res.setEncoding('utf8');
      res.on('error', (err: Error & { code?: string }) => finish({ error: err.code ?? err.message, status }));
      if (type.startsWith('text/event-stream')) {
        // Settles at the answer's event; the rest of the stream is still read so the
        // keep-alive socket goes back to the agent.
        readSse(res, wantId, (message, malformed) => finish({ status, message, malformed, sessionId }));
      } else {
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
        });
        res.on('end', () => {
          if (buf === '') {
            finish({ status, sessionId });
            return;
          }
          const message = parseBody(buf, wantId);
          finish({ status, message, malformed: message === undefined, sessionId });
        });
      }
    },
  );
  req.on('error', (err: Error & { code?: string }) => finish({ error: err.code ?? err.message, status: 0 }));
  if (timeoutMs > 0) {
    req.setTimeout(timeoutMs, () => {
      finish({ error: 'timeout', status: 0 });
      req.destroy();
    });
  }
  req.end(body);
}

/** The message with `wantId` in a JSON body (a single message or, from older servers, an array). */
function parseBody(text: string, wantId: string | number | undefined): WireResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value.find((m: WireResponse) => m?.id === wantId) as WireResponse | undefined;
  return value !== null && typeof value === 'object' ? (value as WireResponse) : undefined;
}

/**
 * Reads SSE events until one carries the response with `wantId` (server requests and
 * notifications on the stream are skipped); calls `done` once.
 */
function readSse(
  res: http.IncomingMessage,
  wantId: string | number | undefined,
  done: (message: WireResponse | undefined, malformed: boolean) => void,
): void {
  let buf = '';
  let over = false;
  const end = (message: WireResponse | undefined, malformed: boolean) => {
    if (over) return;
    over = true;
    done(message, malformed);
  };
  res.on('data', (chunk: string) => {
    buf += chunk;
    let cut = buf.search(/\r?\n\r?\n/);
    while (cut !== -1 && !over) {
      const event = buf.slice(0, cut);
      buf = buf.slice(cut + (buf[cut] === '\r' ? 4 : 2));
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(l[5] === ' ' ? 6 : 5))
        .join('\n');
      if (data !== '') {
        let msg: WireResponse | undefined;
        try {
          msg = JSON.parse(data) as WireResponse;
        } catch {
          end(undefined, true);
          return;
        }
        if (msg !== null && typeof msg === 'object' && msg.id === wantId && ('result' in msg || 'error' in msg)) {
          end(msg, false);
          return;
        }
      }
      cut = buf.search(/\r?\n\r?\n/);
    }
  });
  res.on('end', () => end(undefined, true));
  res.on('close', () => end(undefined, true));
}
