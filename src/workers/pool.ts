/**
 * N worker threads serving one port (`erlmcp serve --workers N`), supervised from the main
 * thread:
 *
 * ```
 * erlmcp (one_for_one)
 * └── workers (one_for_one)
 *     ├── worker-0: a thread running the server's own application tree (worker-main.ts)
 *     └── ...
 * ```
 *
 * Every worker opens the same process-wide native state by name (`Gate.open`: registry,
 * buckets, admission, breaker, router) and serves the port on its own event loop. The pool
 * makes one SO_REUSEPORT socket per worker index and keeps it (hold_reuseport); a worker
 * listens on a copy. So a worker that crashes or restarts closes only its copy: the socket
 * stays in the kernel's group with the connections queued on it, and the worker started in
 * its place accepts them. A crashed worker is restarted alone (its accepted connections and
 * its sessions are lost; nothing else is touched). Stopping drains every worker at once.
 */
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { ErlmcpConfig } from '../config/types.js';
import { ErlmcpError } from '../core/errors.js';
import { native } from '../native.js';
import type { Logger } from '../ops/logger.js';
import type { Child, ExitReason } from '../supervision/child.js';
import { ExitNotifier } from '../supervision/exit-notifier.js';
import { Supervisor } from '../supervision/supervisor.js';
import { createMeshShared, type MeshShared, setPeerState } from './mesh.js';
import type { PoolMessage, WorkerInit, WorkerMessage } from './protocol.js';
import { releaseHeld } from './worker-limiter.js';

/**
 * How long a stopping pool waits for its sockets' accept queues to empty (new connection
 * attempts already refused) before the workers drain: long enough for a busy event loop to
 * accept what is queued, short enough that a wedged worker does not hold up the stop.
 */
const QUEUE_EMPTY_WAIT_MS = 500;

/** Options of {@link startWorkerPool}. */
export interface WorkerPoolOptions {
  /** The resolved configuration every worker serves (server.host/port: where). */
  readonly config: ErlmcpConfig;
  /** Worker threads (default os.availableParallelism()). */
  readonly workers?: number;
  readonly logger: Logger;
  /** How long a worker may take to drain and exit before it is terminated (default shutdownMs + 2 s). */
  readonly stopMs?: number;
  /** Accept queue length of each worker's socket (default 511). */
  readonly backlog?: number;
}

/** One worker's state, as the pool knows it. */
export interface PoolWorker {
  readonly index: number;
  /** Starts of this index so far (1 after the first). */
  readonly generation: number;
  /** The thread id while it runs. */
  readonly threadId: number | undefined;
  readonly up: boolean;
}

/** A running pool: see {@link startWorkerPool}. */
export interface WorkerPool {
  /** `http://host:port/path` of the shared port. */
  readonly url: string;
  readonly port: number;
  readonly size: number;
  /** The application tree (root 'erlmcp' with the 'workers' supervisor). */
  readonly root: Supervisor;
  workers(): PoolWorker[];
  /** Restarts of workers since start. */
  readonly restarts: number;
  /** Sends `m` to every running worker. */
  broadcast(m: PoolMessage): void;
  /** The name of the process-wide native state every worker opens (`Gate.open`). */
  readonly gateName: string;
  /** Stops every worker (each drains: in-flight requests finish, new ones get 503), then the tree. */
  stop(): Promise<void>;
}

let pools = 0;

/** Starts `workers` threads on the configured port; resolves when every one is listening. */
export async function startWorkerPool(o: WorkerPoolOptions): Promise<WorkerPool> {
  const size = o.workers ?? os.availableParallelism();
  if (!Number.isInteger(size) || size < 1) {
    throw new ErlmcpError('ERR_CONFIG_INVALID', `server.workers must be a positive integer, got ${String(size)}`);
  }
  const { config, logger: log } = o;
  const host = config.server.host;
  const port = config.server.port === 0 ? native.reuseportSharedPort(host) : config.server.port;
  const backlog = o.backlog ?? 511;
  const name = `erlmcp-pool-${process.pid}-${++pools}`;
  const mesh = createMeshShared(name, size);
  const held = new SharedArrayBuffer(4 * size);
  const gateName = `${name}:gate`;
  const stopMs = o.stopMs ?? config.server.shutdownMs + 2_000;
  const fds: number[] = [];
  try {
    for (let i = 0; i < size; i++) fds.push(native.holdListenSocket(host, port, backlog));
  } catch (err) {
    for (const fd of fds) native.releaseListenSocket(fd);
    throw err;
  }
  const slots = Array.from({ length: size }, (_, index) => new Slot(index));
  let restarts = 0;
  let url = '';
  /** Set by stop(): workers exiting now are draining, not crashing. */
  let poolStopping = false;

  const broadcast = (m: PoolMessage, except: number) => {
    for (const s of slots) if (s.index !== except) s.worker?.postMessage(m);
  };

  const startWorker = (slot: Slot): Promise<Child> =>
    new Promise((resolve, reject) => {
      slot.generation++;
      if (slot.generation > 1) restarts++;
      const init: WorkerInit = {
        index: slot.index,
        generation: slot.generation,
        size,
        config,
        gateName,
        held,
        mesh,
        fd: native.dupListenSocket(fds[slot.index] as number),
        port,
      };
      const worker = new Worker(path.join(__dirname, 'worker-main.js'), { workerData: init });
      slot.worker = worker;
      const exit = new ExitNotifier();
      let started = false;
      let stopping = false;
      /** Exited while the pool drains, before the supervisor asked this child to stop. */
      let exitedEarly = false;
      let failure: Error | undefined;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'listening') {
          started = true;
          url = m.url;
          setPeerState(mesh, slot.index, slot.generation);
          broadcast({ type: 'peer-up', index: slot.index }, slot.index);
          resolve(child);
        } else if (m.type === 'failed') {
          failure = new ErlmcpError(
            'ERR_WORKER_START',
            `worker ${slot.index} failed to start: ${m.message}${m.code ? ` (${m.code})` : ''}`,
          );
        }
      });
      worker.on('error', (err) => {
        failure ??= err;
      });
      worker.on('exit', (code) => {
        slot.worker = undefined;
        // Its connections are gone: so are their slots of the process-wide maxConnections.
        const freed = releaseHeld(gateName, config.server.maxConnections, held, slot.index);
        if (freed > 0) log.debug({ worker: slot.index, freed }, 'released the connection slots of an exited worker');
        setPeerState(mesh, slot.index, 0);
        broadcast({ type: 'peer-down', index: slot.index }, slot.index);
        if (!started) {
          // Its copy of the socket may stay open: closing the number from here could close a
          // descriptor reused since, if the worker had taken it over. A failed start ends the
          // pool's start (or, as a restart, counts against the restart intensity).
          reject(
            failure ??
              new ErlmcpError('ERR_WORKER_START', `worker ${slot.index} exited with code ${code} while starting`),
          );
          return;
        }
        if (poolStopping && !stopping) {
          // Reported when the supervisor gets to this child (stop below).
          exitedEarly = true;
          return;
        }
        let reason: ExitReason;
        if (stopping) reason = 'shutdown';
        else if (code === 0 && failure === undefined) reason = 'normal';
        else {
          reason =
            failure ?? new ErlmcpError('ERR_WORKER_UNAVAILABLE', `worker ${slot.index} exited with code ${code}`);
          log.error({ worker: slot.index, code, err: reason }, 'worker thread crashed; restarting it');
        }
        exit.exit(reason);
      });
      const child: Child = {
        stop() {
          stopping = true;
          const done = new Promise<void>((resolve) => exit.onExit(() => resolve()));
          if (exitedEarly) exit.exit('shutdown');
          else worker.postMessage({ type: 'stop' } satisfies PoolMessage);
          return done;
        },
        onExit: (l) => exit.onExit(l),
        kill: () => void worker.terminate(),
      };
    });

  const workersSup = new Supervisor({
    name: 'workers',
    strategy: 'one_for_one',
    logger: log,
    intensity: config.supervisor.intensity,
    periodMs: config.supervisor.periodMs,
    children: slots.map((slot) => ({
      id: `worker-${slot.index}`,
      restart: 'permanent' as const,
      shutdownMs: stopMs,
      start: () => startWorker(slot),
    })),
  });
  const root = new Supervisor({
    name: 'erlmcp',
    strategy: 'one_for_one',
    logger: log,
    intensity: config.supervisor.intensity,
    periodMs: config.supervisor.periodMs,
    children: [
      {
        id: 'workers',
        type: 'supervisor',
        start: async () => {
          await workersSup.start();
          return workersSup;
        },
      },
    ],
  });
  const release = () => {
    for (const fd of fds.splice(0)) native.releaseListenSocket(fd);
  };
  try {
    await root.start();
  } catch (err) {
    await root.stop().catch(() => {});
    release();
    throw err;
  }
  root.done.then(release, release);

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    size,
    root,
    gateName,
    broadcast: (m) => broadcast(m, -1),
    get restarts() {
      return restarts;
    },
    workers: () =>
      slots.map((s) => ({
        index: s.index,
        generation: s.generation,
        threadId: s.worker?.threadId,
        up: s.worker !== undefined,
      })),
    stop() {
      stopped ??= (async () => {
        // From now on the kernel drops new connection attempts (the client retries its SYN and
        // finds the port closed: refused, not reset), and the workers, still serving normally,
        // empty the queues; the drain starts then (or after QUEUE_EMPTY_WAIT_MS). Without this,
        // connections kept joining a queue until the instant its socket closed, and were reset.
        try {
          for (const fd of fds) native.refuseNewConnections(fd);
          const until = Date.now() + QUEUE_EMPTY_WAIT_MS;
          while (fds.some((fd) => native.queuedConnections(fd) > 0) && Date.now() < until) await sleep(5);
        } catch (err) {
          log.warn({ err }, 'cannot stop new connections before the drain; queued ones may be reset');
        }
        // Every worker drains at once (the supervisor would stop them one after another):
        // each keeps answering what is queued on its socket until its in-flight work is done.
        // The pool's own descriptors go first, so a socket closes with its worker's copy.
        release();
        poolStopping = true;
        broadcast({ type: 'stop' }, -1);
        await root.stop();
      })();
      return stopped;
    },
  };
}

class Slot {
  readonly index: number;
  generation = 0;
  worker: Worker | undefined;
  constructor(index: number) {
    this.index = index;
  }
}

export type { MeshShared };
