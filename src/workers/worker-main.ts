/**
 * The entry of a pool worker thread: serves the configured server on the pool's port with its
 * own event loop, over the process-wide gate, joins the mesh for sessions owned elsewhere,
 * and stops gracefully when the pool asks. See pool.ts.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type Serving, startServing } from '../app/serving.js';
import { setClusterSource } from '../cluster/current.js';
import { runtimeOptions } from '../config/runtime.js';
import { Gate } from '../mcp/gate.js';
import { createLogger } from '../ops/logger.js';
import { setCurrentWorker } from './current.js';
import { WorkerMesh } from './mesh.js';
import type { PoolMessage, WorkerInit, WorkerMessage } from './protocol.js';
import { SessionRelay } from './session-relay.js';
import { workerLimiter } from './worker-limiter.js';
import { answerWorkerStats } from './worker-stats.js';

if (parentPort === null) throw new Error('erlmcp worker-main runs only as a worker thread of the pool');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: WorkerMessage) => port.postMessage(m);

async function main(): Promise<void> {
  const rt = runtimeOptions(init.config);
  const log = createLogger(rt.logLevel).child({ worker: init.index });
  const mesh = new WorkerMesh(init.mesh, init.index);
  const relay = new SessionRelay(mesh, init.config.http.maxBufferedBytes);
  setCurrentWorker({ index: init.index, size: init.size, mesh, relay });
  let serving: Serving | undefined;
  // Asked for as soon as this worker is up; until it serves there is nothing to read.
  answerWorkerStats(mesh, () => serving?.app.observability?.workerStats());
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await serving?.stop();
      } finally {
        mesh.close();
        post({ type: 'stopped' });
        log.flush();
        // Ends this thread only; timers of user code must not keep a stopped worker alive.
        process.exit(0);
      }
    })();
    return stopping;
  };
  port.on('message', (m: PoolMessage) => {
    if (m.type === 'stop') void stop();
    else if (m.type === 'peer-down') mesh.peerDown(m.index);
    else if (m.type === 'peer-up') mesh.peerUp(m.index);
    else if (m.type === 'cluster') {
      const view = m.view;
      setClusterSource(() => view);
    }
  });

  const http = rt.listen.http === false ? false : { ...rt.listen.http, peers: relay };
  serving = await startServing({
    config: init.config,
    rt,
    log,
    gate: Gate.open(init.gateName, rt.gate),
    worker: init.index,
    workers: init.size,
    // maxConnections is the process's: one limiter by name for every worker.
    listen: {
      port: init.port,
      fd: init.fd,
      http,
      limiter: workerLimiter(init.gateName, init.config.server.maxConnections, init.held, init.index),
    },
  });
  // The tree giving up (restart intensity exceeded) is this worker's crash: the pool restarts it.
  serving.app.root.done.then((reason) => {
    if (reason instanceof Error && stopping === undefined) {
      log.error({ err: reason }, 'worker supervision tree gave up');
      log.flush();
      process.exit(1);
    }
  });
  post({ type: 'listening', url: serving.app.listener()?.url ?? '' });
}

main().catch((err: unknown) => {
  const e = err as { message?: string; code?: string };
  post({ type: 'failed', message: String(e?.message ?? err), code: typeof e?.code === 'string' ? e.code : undefined });
  process.exit(1);
});
