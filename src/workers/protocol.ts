/**
 * What the pool (main thread) and its worker threads say to each other over `parentPort`.
 * Requests between workers go over the mesh instead (mesh.ts); this channel only carries
 * lifecycle: started, listening, drain/stop, a peer's liveness.
 */
import type { ClusterView } from '../cluster/membership.js';
import type { ErlmcpConfig } from '../config/types.js';
import type { MeshShared } from './mesh.js';

/** `workerData` of a pool worker. */
export interface WorkerInit {
  readonly index: number;
  /** Increases with every start of this index (1 for the first). */
  readonly generation: number;
  readonly size: number;
  readonly config: ErlmcpConfig;
  /** The process-wide gate's name (`Gate.open`). */
  readonly gateName: string;
  readonly mesh: MeshShared;
  /** A descriptor of this index's listening socket, held by the pool (see hold_reuseport). */
  readonly fd: number;
  /** The port the pool's sockets are bound to. */
  readonly port: number;
  /** One Int32 per worker: the connection-limiter slots it holds (worker-limiter.ts). */
  readonly held: SharedArrayBuffer;
}

/** Worker -> pool. */
export type WorkerMessage =
  | { readonly type: 'listening'; readonly url: string }
  | { readonly type: 'failed'; readonly message: string; readonly code?: string }
  | { readonly type: 'stopped' };

/** Pool -> worker. */
export type PoolMessage =
  | { readonly type: 'stop' }
  | { readonly type: 'peer-down'; readonly index: number }
  | { readonly type: 'peer-up'; readonly index: number }
  /** The node's cluster view after each heartbeat (the membership runs on the main thread). */
  | { readonly type: 'cluster'; readonly view: ClusterView };
