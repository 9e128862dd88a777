import type { Child, ExitReason } from '../supervision/child.js';
import { ExitNotifier } from '../supervision/exit-notifier.js';
import type { ShardSlot } from './slot.js';

/** Where a shard's frames go: the destination registered for each handle. */
export interface Destinations {
  /** The deliver function for `handle`, or undefined when it is gone. */
  get(handle: number): ((item: unknown) => void) | undefined;
}

/** Drains in a row as microtasks before one waits for I/O (see ShardManager.wake). */
const MICRO_RUNS_MAX = 64;

/**
 * The worker of one shard: drains the shard's native queue and delivers each frame to its
 * destination. All state that matters lives in the {@link ShardSlot}, so when routing throws
 * (a bug, or {@link crashNext} in chaos tests) this manager exits with the error and the
 * restarted one continues at the same frame: the frame being routed was not yet counted as
 * delivered, so it is delivered exactly once. A destination that throws is that
 * destination's failure (counted, the frame is done), not the manager's.
 */
export class ShardManager implements Child {
  readonly slot: ShardSlot;
  readonly #destinations: Destinations;
  readonly #done: (shard: number, ok: boolean, latencyUs: number, delivered: boolean) => void;
  readonly #exit = new ExitNotifier();
  #scheduled = false;
  /** Drains run as microtasks since the last one run after I/O (see {@link wake}). */
  #microRuns = 0;
  #stopped = false;
  #crashNext: Error | undefined;

  /** `done` is told once per frame that leaves the shard, with whether delivery succeeded. */
  constructor(
    slot: ShardSlot,
    destinations: Destinations,
    done: (shard: number, ok: boolean, latencyUs: number, delivered: boolean) => void,
  ) {
    this.slot = slot;
    this.#destinations = destinations;
    this.#done = done;
    // Continue whatever the previous manager left: a partial batch or queued frames.
    this.wake();
  }

  /** True while this manager is in service. */
  get running(): boolean {
    return this.#exit.exitReason === undefined;
  }

  /** Makes the next routing step throw `err` (fault injection for chaos tests). */
  crashNext(err: Error = new Error(`shard ${this.slot.shard}: injected crash`)): void {
    this.#crashNext = err;
    this.wake();
  }

  /**
   * Schedules a drain (after new frames were queued). Cheap when already scheduled. The drain
   * runs as a microtask, right after the I/O callback that queued the frames: frames from one
   * callback (a JSON-RPC batch, several WebSocket messages in one read) are still delivered
   * as a batch, but a request does not wait for every other socket of the event-loop turn.
   * That wait (setImmediate) kept each request's objects alive across scavenges: the young
   * generation promoted about a third of what it allocated, and stateless HTTP cost 1.6x the
   * CPU per request (docs/benchmarks.md, "Every core"). Every {@link MICRO_RUNS_MAX}th drain
   * in a row still waits for I/O: a client in the same process whose next request follows each
   * answer through microtasks alone (an in-memory transport) must not starve timers and I/O.
   */
  wake(): void {
    if (this.#scheduled || !this.running) return;
    this.#scheduled = true;
    if (++this.#microRuns < MICRO_RUNS_MAX) queueMicrotask(this.#run);
    else this.#afterIo();
  }

  /** Like {@link wake}, but after pending I/O: the continuation of a long run. */
  #wakeAfterIo(): void {
    if (this.#scheduled || !this.running) return;
    this.#scheduled = true;
    this.#afterIo();
  }

  #afterIo(): void {
    this.#microRuns = 0;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    if (!this.running) return;
    try {
      this.#drain();
    } catch (err) {
      this.#exit.exit(err instanceof Error ? err : new Error(String(err)));
    }
  };

  #drain(): void {
    const slot = this.slot;
    for (let rounds = 0; rounds < 16; rounds++) {
      if (slot.cursor >= slot.batchCount && !slot.takeBatch()) return;
      while (slot.cursor < slot.batchCount) {
        const i = slot.cursor;
        // Everything that may throw as a manager fault happens before delivery...
        if (this.#crashNext) {
          const err = this.#crashNext;
          this.#crashNext = undefined;
          throw err;
        }
        const deliver = this.#destinations.get(slot.frameHandle(i));
        const seq = slot.frameSeq(i);
        const item = slot.items.get(seq);
        // ...and the frame is done the moment delivery is attempted.
        slot.cursor = i + 1;
        slot.items.delete(seq);
        const at = slot.stampOf(i);
        let ok = true;
        if (deliver === undefined) {
          slot.orphaned++;
        } else {
          try {
            deliver(item);
            slot.delivered++;
          } catch {
            slot.failed++;
            ok = false;
          }
        }
        const us = at === undefined ? -1 : Math.max(0, Math.round((performance.now() - at) * 1000));
        if (us >= 0) slot.latency.record(us);
        this.#done(slot.shard, ok, us, deliver !== undefined);
      }
    }
    // Yield to I/O between long runs; more work remains.
    this.#wakeAfterIo();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#exit.exit('shutdown');
  }

  onExit(listener: (reason: ExitReason) => void): void {
    this.#exit.onExit(listener);
  }
}
