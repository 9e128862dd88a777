// Node-side requests of the stateless group (run.mjs -> stateless.mjs): the probe that checks a
// server answers the echo call correctly before wrk measures it, and the 2025 session pool the
// session case needs. A failed probe throws an Error whose message is the reason shown as
// `unavailable (reason)`; nothing here retries.
import http from 'node:http';

const PROBE_TIMEOUT_MS = 5000;
const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The exact 2026-07-28 stateless request the wrk script sends (stateless.lua), with id `id`. */
export function statelessCall(id) {
  return {
    headers: {
      ...BASE_HEADERS,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
    },
    body: {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name: 'echo',
        arguments: { message: 'hello' },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'wrk', version: '1' },
        },
      },
    },
  };
}

/**
 * One POST; resolves with status, headers and body text (never rejects on an HTTP status).
 * @param {string} url @param {Record<string, string>} headers @param {unknown} body @param {http.Agent} [agent]
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, text: string }>}
 */
function post(url, headers, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The JSON-RPC message with `id` in a JSON body or an SSE stream of one. */
function rpcMessage(res, id) {
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('text/event-stream')) return JSON.parse(res.text);
  for (const line of res.text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const m = JSON.parse(line.slice(5));
    if (m?.id === id) return m;
  }
  throw new Error(`the SSE stream carried no response with id ${id}`);
}

const short = (s) => (s.length > 240 ? `${s.slice(0, 240)}...` : s);

/**
 * POSTs a tools/call echo and checks the exact result: HTTP 200, the same id, no error, content
 * `[{ type: 'text', text: 'hello' }]`, and `resultType: 'complete'` when `modern`.
 * @param {string} url @param {Record<string, string>} headers @param {any} body @param {boolean} modern
 */
async function checkCall(url, headers, body, modern) {
  const res = await post(url, headers, body);
  if (res.status !== 200) throw new Error(`probe: HTTP ${res.status} ${short(res.text.trim())}`);
  let m;
  try {
    m = rpcMessage(res, body.id);
  } catch (err) {
    throw new Error(`probe: unreadable answer (${/** @type {Error} */ (err).message}): ${short(res.text)}`);
  }
  if (m?.error) throw new Error(`probe: JSON-RPC error ${JSON.stringify(m.error)}`);
  if (m?.id !== body.id) throw new Error(`probe: answer id ${JSON.stringify(m?.id)}, sent ${body.id}`);
  const c = m.result?.content;
  if (!Array.isArray(c) || c.length !== 1 || c[0]?.type !== 'text' || c[0]?.text !== 'hello') {
    throw new Error(`probe: wrong content ${short(JSON.stringify(m.result))}`);
  }
  if (modern && m.result.resultType !== 'complete') {
    throw new Error(`probe: resultType ${JSON.stringify(m.result.resultType)}, not "complete"`);
  }
}

/** Probes a server with the 2026-07-28 stateless echo call; throws the reason it fails. */
export function probeStateless(url, bearer) {
  const { headers, body } = statelessCall(1);
  return checkCall(url, bearer === undefined ? headers : { ...headers, authorization: `Bearer ${bearer}` }, body, true);
}

/** Probes one open 2025 session with a tools/call echo; throws the reason it fails. */
export function probeSession(url, sessionId, version) {
  const headers = { ...BASE_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': version };
  const body = {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'echo', arguments: { message: 'hello' } },
  };
  return checkCall(url, headers, body, false);
}

/**
 * Opens `n` 2025 sessions (initialize with `version`, then notifications/initialized), 10
 * handshakes at a time; resolves with their ids or throws the first failure's reason.
 * @param {string} url @param {number} n @param {string} version
 */
export async function openSessionPool(url, n, version) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  /** @type {string[]} */
  const ids = [];
  let next = 0;
  /** @param {number} i */
  const one = async (i) => {
    const id = `init-${i}`;
    const init = {
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: 'erlmcp-bench-wrk', version: '1.0.0' },
      },
    };
    const res = await post(url, BASE_HEADERS, init, agent);
    if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status} ${short(res.text.trim())}`);
    const m = rpcMessage(res, id);
    if (m?.error) throw new Error(`initialize: JSON-RPC error ${JSON.stringify(m.error)}`);
    if (m?.result?.protocolVersion !== version) {
      throw new Error(`initialize: the server chose protocol ${m?.result?.protocolVersion}, not ${version}`);
    }
    const sid = res.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') throw new Error('initialize: no Mcp-Session-Id in the answer');
    const headers = { ...BASE_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': version };
    const ack = await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' }, agent);
    if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status}, expected 202`);
    ids.push(sid);
  };
  const worker = async () => {
    while (next < n) await one(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(10, n) }, worker));
  } finally {
    agent.destroy();
  }
  return ids;
}
