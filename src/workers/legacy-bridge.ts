/**
 * Carries the legacy registry between pool workers: the default registry of a pool worker
 * (src/legacy/default.ts) is opened here over the process-wide native tables of the pool and
 * joined to the worker mesh, so registrations, bindings and routed messages of every worker
 * reach every other (docs/legacy.md#worker-threads). All the protocol lives in
 * src/legacy/pool-sync.ts (the registry delegates to it); this file only wires mesh events to it.
 */
import { workerData } from 'node:worker_threads';
import type { LegacyPeers, PeerFrame } from '../legacy/peers.js';
import { LegacyRegistry, type LegacyRegistryOptions } from '../legacy/registry.js';
import { type CurrentWorker, currentWorker } from './current.js';
import type { WorkerInit } from './protocol.js';

/** The mesh message kind of every legacy frame. */
const KIND = 'legacy';

let pooled: LegacyRegistry | undefined;

/**
 * The process-wide legacy registry of this pool worker (one per thread; `<mesh name>:legacy`
 * names its native tables, so two pools in one process do not mix), or undefined outside a pool.
 */
export function poolLegacyRegistry(): LegacyRegistry | undefined {
  if (pooled !== undefined) return pooled;
  const worker = currentWorker();
  if (worker === undefined) return undefined;
  const init = workerData as Partial<WorkerInit> | null;
  pooled = joinLegacyRegistry(worker, `${init?.mesh?.name ?? 'erlmcp'}:legacy`);
  return pooled;
}

/**
 * Opens the legacy registry `name` for `worker` over its mesh. Call once per worker thread
 * (the mesh takes one handler per kind); every worker of the pool must use the same name.
 */
export function joinLegacyRegistry(
  worker: CurrentWorker,
  name: string,
  options?: LegacyRegistryOptions,
): LegacyRegistry {
  const { mesh, index, size } = worker;
  const init = workerData as Partial<WorkerInit> | null;
  const peers: LegacyPeers = {
    self: index,
    generation: init?.generation ?? 1,
    isUp: (i) => mesh.isUp(i),
    send: (to, frame) => mesh.send(to, KIND, frame),
    publish: (frame) => {
      for (let i = 0; i < size; i++) if (i !== index) mesh.send(i, KIND, frame);
    },
  };
  const registry = LegacyRegistry.openPooled(name, peers, options);
  mesh.on(KIND, (from, body) => registry.receive(from, body as PeerFrame));
  mesh.onPeerDown((i) => registry.peerDown(i));
  mesh.onPeerUp((i) => registry.peerUp(i));
  // Registrations made before this worker listened were announced to nobody: ask for them.
  for (let i = 0; i < size; i++) if (i !== index && mesh.isUp(i)) mesh.send(i, KIND, { op: 'hello' });
  return registry;
}
