import { LatencyHistogram } from '../core/histogram.js';
import { percentilesMs } from './latency.js';
import type { StepLatencyMs } from './report.js';

/** What a {@link Tally} counted, with ok latencies in ms. */
export interface TallyResult {
  /** Requests sent while the tally was open. */
  sent: number;
  /** Ok answers received while it was open. */
  ok: number;
  /** Error answers (and local failures) received while it was open. */
  errors: number;
  /** Sends skipped (session at its in-flight cap or closed, harness behind schedule). */
  unsent: number;
  /** Seconds it was open. */
  seconds: number;
  /** Seconds from its opening to the last request settled in it (0 when none was). */
  activeSeconds: number;
  /** Ok answers per second over the seconds it was open. */
  okPerSec: number;
  /** Latency of its ok answers. */
  latencyMs: StepLatencyMs;
}

/**
 * Counters and an ok-latency histogram for one stretch of a run (a sub-run of `steps`, one
 * recovery window). A {@link Recorder} feeds every open tally besides its own totals, because
 * histograms cannot be subtracted after the fact.
 */
export class Tally {
  /** Requests sent while open. */
  sent = 0;
  /** Ok answers received while open. */
  ok = 0;
  /** Failed requests settled while open. */
  errors = 0;
  /** Sends skipped while open. */
  unsent = 0;
  readonly #hist = new LatencyHistogram();
  readonly #start: number;
  #end: number | undefined;

  /** @param start when it opens (ms, performance.now()). */
  constructor(start: number) {
    this.#start = start;
  }

  #last: number | undefined;

  /** @internal */
  recordOk(us: number, now: number): void {
    this.ok++;
    this.#last = now;
    this.#hist.record(us);
  }

  /** @internal */
  recordError(now: number): void {
    this.errors++;
    this.#last = now;
  }

  /** Marks the end; later {@link result} calls keep this length. */
  close(now: number): void {
    this.#end ??= now;
  }

  /** The counts so far (up to `now` while still open). */
  result(now: number): TallyResult {
    const seconds = Math.max(0.001, ((this.#end ?? now) - this.#start) / 1000);
    return {
      sent: this.sent,
      ok: this.ok,
      errors: this.errors,
      unsent: this.unsent,
      seconds,
      activeSeconds: this.#last === undefined ? 0 : Math.max(0, (this.#last - this.#start) / 1000),
      okPerSec: this.ok / seconds,
      latencyMs: percentilesMs(this.#hist.snapshot()),
    };
  }
}
