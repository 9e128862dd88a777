import type { SupervisorEvent } from '../supervision/events.js';
import type { Supervisor } from '../supervision/supervisor.js';

/**
 * Counts child restarts by supervisor name from the supervisors' lifecycle events (one
 * `'restart'` event per restart decision), so the count survives what a supervisor's own
 * `whichChildren()` forgets: a supervisor replaced by a new one after a give-up, and the
 * removed children of simple_one_for_one supervisors. Nothing here runs per message.
 */
export class RestartCounter {
  readonly #counts = new Map<string, number>();
  readonly #watched = new WeakSet<Supervisor>();

  /**
   * Counts `supervisor`'s restarts from now on, under its name (a supervisor replaced by one
   * of the same name continues the same count). Watching the same one twice is a no-op; the
   * subscription ends when the supervisor terminates.
   */
  watch(supervisor: Supervisor): void {
    if (this.#watched.has(supervisor)) return;
    this.#watched.add(supervisor);
    const name = supervisor.name;
    if (!this.#counts.has(name)) this.#counts.set(name, 0);
    const listener = (e: SupervisorEvent) => {
      if (e.type === 'restart') this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
      else if (e.type === 'terminated') supervisor.off('event', listener);
    };
    supervisor.on('event', listener);
  }

  /** Restarts per supervisor name, for every supervisor watched (0 when none yet). */
  counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Restarts over all supervisors. */
  get total(): number {
    let n = 0;
    for (const c of this.#counts.values()) n += c;
    return n;
  }
}
