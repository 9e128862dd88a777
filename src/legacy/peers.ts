/**
 * What a {@link LegacyRegistry} in a pool worker says to the registries of the other workers
 * (src/workers/legacy-bridge.ts carries it over the worker mesh). Every frame is JSON; per
 * (sender, target) frames arrive in the order they were sent, which is what keeps deliveries
 * in order and lets each worker's view of the others' registrations converge.
 * @internal
 */

/** The worker mesh as a registry sees it. */
export interface LegacyPeers {
  /** This worker's index. */
  readonly self: number;
  /** This worker's start count at its index (the pool's generation): tells a frame of a dead predecessor from its successor's. */
  readonly generation: number;
  /** True while worker `index` is up. */
  isUp(index: number): boolean;
  /** Sends `frame` to worker `to`; false when it is down (nothing sent). */
  send(to: number, frame: PeerFrame): boolean;
  /** Sends `frame` to every other worker that is up. */
  publish(frame: PeerFrame): void;
}

/** Servers (`s`) and transports (`t`): separate namespaces, as locally. */
export type Kind = 's' | 't';

/** One registration as announced: id, handle, config, and for a transport the server it is bound to. */
export type Announced = [id: string, handle: number, config: Record<string, unknown>, boundTo: string | null];

/** The frames, by `op`; each names the entry by id and handle, so a stale frame about an id registered again is told apart. */
export type PeerFrame =
  /** The owner registered an entry. */
  | { op: 'reg'; k: Kind; e: Announced; g: number }
  /** The owner unregistered it (or it exited). */
  | { op: 'unreg'; k: Kind; id: string; h: number }
  /** Asks the owner to unregister its entry. */
  | { op: 'drop'; k: Kind; id: string; h: number }
  /** Asks the owner of transport `id` to bind it to `s` (null: unbind). */
  | { op: 'bind'; id: string; h: number; s: string | null }
  /** The owner's binding of its transport now; `o` is the worker whose request caused it (or the owner). */
  | { op: 'bound'; id: string; h: number; s: string | null; o: number }
  /** A message for the owner's server (`k` = s, `v` = transport id) or transport (`v` = server id). */
  | { op: 'route'; k: Kind; id: string; h: number; v: string; m: unknown }
  /** A broadcast of server `s` for the owner's transports `t` ([id, handle] pairs). */
  | { op: 'bcast'; s: string; m: unknown; t: [string, number][] }
  /** Asks for a `sync` (a worker that just started its registry, or just came up). */
  | { op: 'hello' }
  /** Everything the sender holds now. */
  | { op: 'sync'; s: Announced[]; t: Announced[]; g: number };
