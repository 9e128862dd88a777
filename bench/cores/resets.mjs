// Connection resets while a worker of `erlmcp serve --workers N` crashes and is restarted, and
// while the whole server stops gracefully (SIGTERM). Clients open a fresh TCP connection for
// every request (stateless tools/call), so new connections keep arriving on every worker's
// socket the whole time. Each outcome is counted: answered (200), refused cleanly (503 while
// draining), reset (ECONNRESET / socket hang up), refused (ECONNREFUSED: nothing listens any
// more, after the stop). See docs/workers.md.
//
//   node bench/cores/resets.mjs [--workers 2] [--clients 32] [--rounds 3]
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePool } from './pool-process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const workers = opt('workers', 2);
const clients = opt('clients', 32);
const rounds = opt('rounds', 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'echo',
    arguments: { message: 'x' },
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
  connection: 'close',
};

function once(port, body = CALL, headers = HEADERS) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent: false, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, data }));
      res.on('error', () => resolve({ error: 'ECONNRESET' }));
    });
    req.setTimeout(10_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** A 2025 session owned by worker `index` (the owner is in its id). */
async function sessionOn(port, index) {
  for (let i = 0; i < 200; i++) {
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'resets', version: '1' } },
    });
    const h = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      connection: 'close',
    };
    const r = await once(port, init, h);
    const sid = r.headers?.['mcp-session-id'];
    if (typeof sid === 'string' && sid.startsWith(`w${index}.`))
      return { sid, h: { ...h, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } };
  }
  throw new Error(`no session landed on worker ${index}`);
}

function start() {
  return servePool({ workers, args: ['--module', path.join(here, 'crash-module.mjs')] });
}

function tally() {
  return { ok: 0, drained503: 0, reset: 0, refused: 0, other: 0 };
}
// The restart phase in two: requests in flight on the victim when it died (its own
// connections: lost by design) and requests started after it died (they hash to its socket
// while it is down or starting: the held socket keeps them queued, the goal is zero resets).
function count(t, r) {
  if (r.status === 200) t.ok++;
  else if (r.status === 503) t.drained503++;
  else if (r.error === 'ECONNRESET' || r.error === 'socket hang up' || r.error === 'EPIPE') t.reset++;
  else if (r.error === 'ECONNREFUSED') t.refused++;
  else t.other++;
}

async function round(n) {
  const { child, port, lines } = await start();
  const exited = new Promise((r) => child.once('exit', r));
  const victim = await sessionOn(port, 0);
  let phase = 'steady';
  const t = { steady: tally(), restart: tally(), afterCrash: tally(), stop: tally() };
  let running = true;
  let diedAt = Number.POSITIVE_INFINITY;
  let stopAt = Number.POSITIVE_INFINITY;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const started = Date.now();
      const p = phase;
      const r = await once(port);
      // A request still open when SIGTERM came belongs to the stop, whenever it started.
      const bucket = Date.now() >= stopAt ? 'stop' : p === 'restart' && started > diedAt ? 'afterCrash' : p;
      count(t[bucket], r);
      if (process.env.RESETS_DEBUG && r.error) console.log('reset', bucket, started - diedAt, Date.now() - diedAt);
    }
  });
  await sleep(1000);
  phase = 'restart';
  const crash = JSON.stringify({
    jsonrpc: '2.0',
    id: 5,
    method: 'tools/call',
    params: { name: 'crash_worker', arguments: {} },
  });
  await once(port, crash, victim.h);
  // crash_worker throws 10 ms after answering; a margin for the thread to go down.
  diedAt = Date.now() + 30;
  const deadline = Date.now() + 10_000;
  while (!lines.some((l) => l.includes('"child":"worker-0"') && l.includes('"restart":true')) && Date.now() < deadline)
    await sleep(20);
  await sleep(1000);
  phase = 'stop';
  stopAt = Date.now();
  child.kill('SIGTERM');
  await exited;
  await sleep(200);
  running = false;
  await Promise.all(loops);
  console.log(`round ${n}: ${JSON.stringify(t)}`);
  return t;
}

console.log(
  `erlmcp serve --workers ${workers}, ${clients} clients, a fresh connection per request, Node ${process.versions.node}`,
);
const all = [];
for (let i = 1; i <= rounds; i++) all.push(await round(i));
const sum = (phase, k) => all.reduce((a, t) => a + t[phase][k], 0);
console.log(
  `total over ${rounds} rounds: in flight at the crash ${sum('restart', 'ok')} answered, ${sum('restart', 'reset')} reset (the dead worker's own); ` +
    `started after the crash ${sum('afterCrash', 'ok')} answered, ${sum('afterCrash', 'reset')} reset, ${sum('afterCrash', 'other')} other; ` +
    `stop phase ${sum('stop', 'ok')} answered, ${sum('stop', 'drained503')} answered 503 while draining, ${sum('stop', 'reset')} reset, ${sum('stop', 'refused')} refused after the stop`,
);
