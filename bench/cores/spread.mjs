// How evenly the kernel spreads new connections over K worker threads that each listen() on
// one port with reusePort (docs/workers.md). Each worker runs erlmcp's listen() from dist/
// (build it first: `npm run build`) and counts the GET /health requests it answers; the main
// thread opens C fresh TCP connections (one GET each, `Connection: close`) and prints the
// per-worker counts and max/min, for mode 'native' and, on Node >= 22.12, mode 'node'.
//
// Usage: node bench/cores/spread.mjs [--workers 2,4] [--conns 200,2000] [--rounds 3]
//        [--modes native,node] [--concurrency 32] [--json]
import { request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

if (!isMainThread) {
  const { listen, McpServer } = await import('../../dist/index.mjs');
  const { port, mode } = workerData;
  let count = 0;
  const mcp = new McpServer({ name: 'spread', version: '1' });
  const listener = await listen(mcp, {
    port,
    reusePort: mode,
    routes: (req, res) => {
      if (req.url !== '/health') return false;
      count++;
      res.writeHead(200, { connection: 'close' });
      res.end('ok\n');
      return true;
    },
  });
  parentPort.on('message', async (msg) => {
    if (msg === 'count') parentPort.postMessage(count);
    if (msg === 'reset') {
      count = 0;
      parentPort.postMessage(0);
    }
    if (msg === 'close') {
      await listener.close();
      await mcp.close();
      parentPort.postMessage(-1);
      parentPort.close();
    }
  });
  parentPort.postMessage(listener.port);
} else {
  await main();
}

function parseArgs(argv) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nodeHas = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  const o = {
    workers: [2, 4],
    conns: [200, 2000],
    rounds: 3,
    modes: nodeHas ? ['native', 'node'] : ['native'],
    concurrency: 32,
    json: false,
  };
  const list = (v) => v.split(',').map((s) => s.trim());
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--workers') o.workers = list(v()).map(Number);
    else if (a === '--conns') o.conns = list(v()).map(Number);
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--modes') o.modes = list(v());
    else if (a === '--concurrency') o.concurrency = Number(v());
    else if (a === '--json') o.json = true;
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return o;
}

/** A worker's replies come in the order of its requests: one queue of resolvers each. */
function startWorker(port, mode) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { port, mode } });
  const waiting = [];
  let ready;
  const started = new Promise((resolve, reject) => {
    ready = resolve;
    worker.once('error', reject);
  });
  let first = true;
  worker.on('message', (m) => {
    if (first) {
      first = false;
      ready(m);
    } else waiting.shift()?.(m);
  });
  const ask = (msg) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      worker.postMessage(msg);
    });
  return { started, ask, worker };
}

function freshGet(port) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/health', agent: false, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        res.once('end', resolve);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

async function connect(port, n, concurrency) {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      await freshGet(port);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const rows = [];
  console.log(`node ${process.versions.node}, ${o.rounds} round(s) per cell, ${o.concurrency} connections in flight`);
  for (const mode of o.modes) {
    for (const k of o.workers) {
      // Port 0: the first worker's listen() picks the process's shared port; the others get it too.
      const workers = [];
      for (let i = 0; i < k; i++) workers.push(startWorker(0, mode));
      const ports = await Promise.all(workers.map((w) => w.started));
      if (new Set(ports).size !== 1) throw new Error(`workers listen on different ports: ${ports}`);
      for (const c of o.conns) {
        for (let r = 0; r < o.rounds; r++) {
          await Promise.all(workers.map((w) => w.ask('reset')));
          const t0 = performance.now();
          await connect(ports[0], c, o.concurrency);
          const ms = performance.now() - t0;
          const counts = await Promise.all(workers.map((w) => w.ask('count')));
          const sum = counts.reduce((a, b) => a + b, 0);
          const max = Math.max(...counts);
          const min = Math.min(...counts);
          const row = {
            mode,
            workers: k,
            conns: c,
            round: r + 1,
            counts,
            sum,
            ratio: min > 0 ? max / min : Infinity,
            ms,
          };
          rows.push(row);
          console.log(
            `${mode.padEnd(6)} K=${k} C=${String(c).padStart(4)} round ${r + 1}: ${counts.join(' / ')}  max/min ${row.ratio.toFixed(2)}  (${Math.round(c / (ms / 1000))} conn/s)`,
          );
          if (sum !== c) throw new Error(`counted ${sum} of ${c} connections`);
        }
      }
      await Promise.all(workers.map((w) => w.ask('close')));
    }
  }
  if (o.json) console.log(JSON.stringify({ node: process.versions.node, rows }));
}
