import { assertInt } from '../core/errors.js';

/** Default restart intensity: at most 5 restarts ... (DESIGN.md) */
export const DEFAULT_INTENSITY = 5;
/** ... within 60 s. */
export const DEFAULT_PERIOD_MS = 60_000;

/**
 * OTP's restart intensity window: a supervisor may restart at most `intensity` times within
 * any `periodMs`. The clock is injectable so tests move time instead of sleeping.
 */
export class RestartIntensity {
  private times: number[] = [];

  /**
   * @param intensity restarts allowed in the window (default 5; 0 means "never restart").
   * @param periodMs window length in milliseconds (default 60000).
   * @param clock milliseconds now (default `Date.now`).
   */
  constructor(
    readonly intensity: number = DEFAULT_INTENSITY,
    readonly periodMs: number = DEFAULT_PERIOD_MS,
    private readonly clock: () => number = Date.now,
  ) {
    assertInt('intensity', intensity, 0, Number.MAX_SAFE_INTEGER);
    assertInt('periodMs', periodMs, 1, Number.MAX_SAFE_INTEGER);
  }

  /**
   * Records one restart now. Returns false when it takes the count within the window beyond
   * `intensity` — the supervisor must give up instead of restarting.
   */
  record(): boolean {
    const now = this.clock();
    // A restart older than the period no longer counts (OTP drops it the same way).
    this.times = this.times.filter((t) => now - t < this.periodMs);
    this.times.push(now);
    return this.times.length <= this.intensity;
  }

  /** Restarts currently inside the window (including one that just overflowed it). */
  get count(): number {
    return this.times.length;
  }
}
