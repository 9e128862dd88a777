/**
 * The server event bus between the workers of one process (no cluster): an event published on
 * one worker is sent over the mesh to every other worker that is up. Workers that are down
 * miss it (at most once, like every ServerEventBus).
 */
import { eventListeners, type ServerEventBus } from '../mcp/events/bus.js';
import type { CurrentWorker } from './current.js';

const KIND = 'events';

/** A bus over `worker`'s mesh; call once per worker (the mesh takes one handler per kind). */
export function meshEventBus(worker: CurrentWorker): ServerEventBus {
  const listeners = eventListeners();
  worker.mesh.on(KIND, (_from, body) => listeners.deliver(body));
  return {
    publish(event) {
      for (let i = 0; i < worker.size; i++) if (i !== worker.index) worker.mesh.send(i, KIND, event);
    },
    subscribe: listeners.subscribe,
  };
}
