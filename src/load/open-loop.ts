/**
 * Open-loop load: sends due at fixed times from a total rate, round-robin over the pool's
 * sessions, whatever the answers do. A send whose session is closed or already holds
 * `inflightCap` unanswered requests is not made and counts as unsent: the client never builds
 * an unbounded queue of its own, and the latency of what is sent still counts from its
 * scheduled time.
 */
import { performance } from 'node:perf_hooks';
import type { SessionPool } from './pool.js';
import type { Recorder } from './recorder.js';
import { behindLimit, RateSchedule, sessionForSend, tickBudget } from './schedule.js';

/** Options of {@link OpenLoopDriver}. */
export interface OpenLoopOptions {
  /** Total requests per second at the start (see {@link OpenLoopDriver.setRate}). */
  rate: number;
  /** Unanswered requests a session may hold before further sends to it are skipped. */
  inflightCap: number;
}

/** Drives one open-loop phase; see the file comment. */
export class OpenLoopDriver {
  readonly #pool: SessionPool;
  readonly #recorder: Recorder;
  readonly #cap: number;
  #rate: number;
  #schedule: RateSchedule | undefined;

  constructor(pool: SessionPool, recorder: Recorder, options: OpenLoopOptions) {
    this.#pool = pool;
    this.#recorder = recorder;
    this.#rate = options.rate;
    this.#cap = options.inflightCap;
  }

  /** Changes the total rate from now on (flood follows the session count with it). */
  setRate(rate: number): void {
    this.#rate = rate;
    this.#schedule?.setRate(rate, performance.now());
  }

  /** Sends on schedule for `durationMs` (less when `signal` aborts); resolves when the phase is over. */
  run(durationMs: number, signal?: AbortSignal): Promise<void> {
    const start = performance.now();
    const end = start + durationMs;
    const schedule = new RateSchedule(this.#rate, start);
    this.#recorder.beginLoad(start);
    this.#schedule = schedule;
    const recorder = this.#recorder;
    const sessions = this.#pool.sessions;
    const cap = this.#cap;
    let next = 0;
    return new Promise((resolve) => {
      const finish = () => {
        const stop = Math.min(performance.now(), end);
        recorder.endLoad(stop, schedule.dueAt(stop));
        this.#schedule = undefined;
        resolve();
      };
      const tick = () => {
        if (signal?.aborted) {
          finish();
          return;
        }
        const now = performance.now();
        const due = schedule.dueAt(Math.min(now, end));
        const rate = schedule.rate;
        const lag = due - next;
        if (lag > behindLimit(rate)) {
          const skip = lag - behindLimit(rate);
          recorder.recordUnsent(skip, true);
          next += skip;
        }
        const budget = tickBudget(rate);
        const count = sessions.length;
        let made = 0;
        while (next < due && made < budget) {
          const session = count > 0 ? sessions[sessionForSend(next, count)] : undefined;
          if (session !== undefined && session.state === 'open' && session.inflight < cap) {
            session.send(schedule.scheduledAt(next));
          } else {
            recorder.recordUnsent(1);
          }
          next++;
          made++;
        }
        schedule.discardBefore(next);
        if (now >= end && next >= due) {
          finish();
        } else if (next < due) {
          setImmediate(tick);
        } else {
          setTimeout(tick, 1);
        }
      };
      tick();
    });
  }
}
