/**
 * Transport -> server bindings (Erlang's `server_transport_map`) with the reverse index a
 * broadcast and an `unregisterServer` need, so neither scans every binding.
 * @internal
 */
export class Bindings<T> {
  /** transport id -> server id */
  readonly #serverOf = new Map<string, string>();
  /** server id -> (transport id -> the transport's record) */
  readonly #transportsOf = new Map<string, Map<string, T>>();

  /** Binds `transportId` (whose record is `transport`) to `serverId`, replacing any previous binding. */
  bind(transportId: string, transport: T, serverId: string): void {
    this.unbind(transportId);
    this.#serverOf.set(transportId, serverId);
    let bound = this.#transportsOf.get(serverId);
    if (bound === undefined) {
      bound = new Map();
      this.#transportsOf.set(serverId, bound);
    }
    bound.set(transportId, transport);
  }

  /** Removes the binding of `transportId`, if any. */
  unbind(transportId: string): void {
    const serverId = this.#serverOf.get(transportId);
    if (serverId === undefined) return;
    this.#serverOf.delete(transportId);
    const bound = this.#transportsOf.get(serverId);
    bound?.delete(transportId);
    if (bound?.size === 0) this.#transportsOf.delete(serverId);
  }

  /** Removes every binding to `serverId`. */
  unbindServer(serverId: string): void {
    const bound = this.#transportsOf.get(serverId);
    if (bound === undefined) return;
    for (const transportId of bound.keys()) this.#serverOf.delete(transportId);
    this.#transportsOf.delete(serverId);
  }

  /** The server `transportId` is bound to. */
  serverOf(transportId: string): string | undefined {
    return this.#serverOf.get(transportId);
  }

  /** The records of the transports bound to `serverId` (live view; do not mutate). */
  transportsOf(serverId: string): ReadonlyMap<string, T> | undefined {
    return this.#transportsOf.get(serverId);
  }

  /** Removes every binding. */
  clear(): void {
    this.#serverOf.clear();
    this.#transportsOf.clear();
  }
}
