/**
 * The pool worker this thread is, if any: set by worker-main.ts before the server module is
 * built, so code in the worker (the legacy registry, health and metrics) can reach the other
 * workers over the mesh. Undefined on the main thread and in a single-threaded serve.
 */
import type { WorkerMesh } from './mesh.js';
import type { SessionRelay } from './session-relay.js';

/** This thread's place in its pool. */
export interface CurrentWorker {
  readonly index: number;
  readonly size: number;
  readonly mesh: WorkerMesh;
  readonly relay: SessionRelay;
}

let current: CurrentWorker | undefined;

/** @internal Called once by worker-main.ts. */
export function setCurrentWorker(worker: CurrentWorker): void {
  current = worker;
}

/** The pool worker running this code, or undefined outside a pool. */
export function currentWorker(): CurrentWorker | undefined {
  return current;
}
