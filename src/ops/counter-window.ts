/**
 * The last minute of two cumulative counters, one snapshot per control-plane sample: enough to
 * answer "how many per second over the last sample" and "how many over the last 60 s" without
 * touching the per-message path (the counters are the native router's).
 *
 * Snapshots older than the span are dropped, except the newest of them: it is the baseline the
 * span's difference is taken from, so the ring holds about spanMs / period + 1 entries.
 */
export class CounterWindow {
  /** How far back {@link errorsInSpan} looks, in ms (default 60,000). */
  readonly spanMs: number;
  #at: number[] = [];
  #completed: number[] = [];
  #errors: number[] = [];
  #head = 0;

  constructor(spanMs = 60_000) {
    this.spanMs = spanMs;
  }

  /** Snapshots held. */
  get size(): number {
    return this.#at.length - this.#head;
  }

  /**
   * Adds a snapshot: `at` on a monotonic clock in ms (performance.now()), `completed` and
   * `errors` cumulative counts. A counter that went down (its source was replaced) restarts
   * the window, so no difference is ever negative.
   */
  push(at: number, completed: number, errors: number): void {
    const last = this.#at.length - 1;
    if (last >= this.#head) {
      const wentBack = completed < (this.#completed[last] as number) || errors < (this.#errors[last] as number);
      if (wentBack || at < (this.#at[last] as number)) this.#clear();
    }
    this.#at.push(at);
    this.#completed.push(completed);
    this.#errors.push(errors);
    const boundary = at - this.spanMs;
    // Keep the newest snapshot at or before the boundary as the baseline; drop those before it.
    while (this.#head + 1 < this.#at.length && (this.#at[this.#head + 1] as number) <= boundary) this.#head++;
    // Compact now and then instead of shifting on every push.
    if (this.#head > 1024 && this.#head * 2 > this.#at.length) {
      this.#at = this.#at.slice(this.#head);
      this.#completed = this.#completed.slice(this.#head);
      this.#errors = this.#errors.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Completions per second between the last two snapshots (0 with fewer than two). */
  completedPerSec(): number {
    const last = this.#at.length - 1;
    if (last - 1 < this.#head) return 0;
    const dt = (this.#at[last] as number) - (this.#at[last - 1] as number);
    if (dt <= 0) return 0;
    return (((this.#completed[last] as number) - (this.#completed[last - 1] as number)) * 1000) / dt;
  }

  /**
   * Errors over the span: the newest snapshot minus the baseline (the newest one at least
   * spanMs older, or the oldest held while the window is younger than the span).
   */
  errorsInSpan(): number {
    const last = this.#at.length - 1;
    if (last < this.#head) return 0;
    return (this.#errors[last] as number) - (this.#errors[this.#head] as number);
  }

  #clear(): void {
    this.#at = [];
    this.#completed = [];
    this.#errors = [];
    this.#head = 0;
  }
}
