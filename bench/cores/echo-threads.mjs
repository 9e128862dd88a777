// The bound of bench:cores: the single-thread ceilings' echo handlers (bench/e2e/servers/
// ceiling-http.mjs, raw-ws.mjs) on N worker threads that share one port the way `erlmcp serve
// --workers N` does (one SO_REUSEPORT socket per thread, made by the native core). Nothing is
// shared between the threads, so what N threads give over one here is what this machine allows
// a server built on node:http or ws, with the load generator on the same cores.
//   node --import bench/cores/guard.mjs bench/cores/echo-threads.mjs http|ws N
// prints {"port":P} on stdout once every thread listens; exits on SIGTERM (guard.mjs: also when
// its parent goes away or BENCH_CORES_LIFETIME_SEC runs out).
import fs from 'node:fs';
import http from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { sharedListenTarget } from '../../dist/workers/listen-target.js';
import { echoHttp } from '../e2e/servers/ceiling-http.mjs';
import { echoWs } from '../e2e/servers/raw-ws.mjs';

const HOST = '127.0.0.1';

if (isMainThread) {
  const [kase, count] = [process.argv[2], Number(process.argv[3])];
  if ((kase !== 'http' && kase !== 'ws') || !Number.isInteger(count) || count < 1) {
    console.error('usage: node bench/cores/echo-threads.mjs http|ws N');
    process.exit(2);
  }
  // Port 0 picks the process's shared port (held by a placeholder socket); this thread serves
  // nothing, so its own listening socket is closed at once.
  const target = sharedListenTarget({ host: HOST, port: 0, mode: 'native' });
  fs.closeSync(/** @type {{ fd: number }} */ (target.listen).fd);
  let listening = 0;
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { kase, port: target.port } });
    worker.once('message', () => {
      if (++listening === count) console.log(JSON.stringify({ port: target.port }));
    });
    // A thread that dies takes the bound with it: the measurement must fail, not go on with fewer.
    worker.once('error', (err) => {
      console.error(`echo thread ${i}: ${err?.stack ?? err}`);
      process.exit(1);
    });
  }
  process.once('SIGTERM', () => process.exit(0));
} else {
  const { kase, port } = workerData;
  const server = http.createServer(echoHttp);
  if (kase === 'ws') echoWs(new WebSocketServer({ server, path: '/mcp', perMessageDeflate: false }));
  server.listen(sharedListenTarget({ host: HOST, port, mode: 'native' }).listen, () =>
    parentPort?.postMessage('listening'),
  );
}
