/**
 * Open-loop schedule arithmetic. Send number k is due at a fixed time computed from the rate,
 * whatever happened to earlier sends, and its latency is measured from that time: a server
 * that stalls is charged for every request it delayed (no coordinated omission).
 *
 * The rate is piecewise constant: {@link RateSchedule.setRate} starts a new segment at the
 * current due count, so a rising rate (flood) keeps every earlier send's due time.
 */
export class RateSchedule {
  /** Rate segments in time order; the last is current. Older ones answer {@link scheduledAt} for sends not made yet. */
  readonly #segments: Segment[];

  /** @param rate requests per second (>= 0) from `start` (ms) on. */
  constructor(rate: number, start: number) {
    this.#segments = [{ base: 0, start, rate: checkRate(rate) }];
  }

  get #current(): Segment {
    return this.#segments[this.#segments.length - 1] as Segment;
  }

  /** The rate of the current segment in requests per second. */
  get rate(): number {
    return this.#current.rate;
  }

  /** How many sends are due at `now` (ms) since the start, counting from 0. */
  dueAt(now: number): number {
    const c = this.#current;
    if (now <= c.start || c.rate === 0) return c.base;
    return c.base + Math.floor(((now - c.start) * c.rate) / 1000);
  }

  /** When send `k` (0-based) is due, in ms; Infinity when the current rate never reaches it. */
  scheduledAt(k: number): number {
    const segments = this.#segments;
    let i = segments.length - 1;
    while (i > 0 && (segments[i] as Segment).base > k) i--;
    const seg = segments[i] as Segment;
    if (seg.rate === 0) return Number.POSITIVE_INFINITY;
    // Send k is due once floor(elapsed * rate / 1000) passes k - base, i.e. at (k - base + 1) / rate.
    return seg.start + ((k - seg.base + 1) * 1000) / seg.rate;
  }

  /** Changes the rate from `now` on; sends already due keep their times. */
  setRate(rate: number, now: number): void {
    const base = this.dueAt(now);
    const start = Math.max(now, this.#current.start);
    this.#segments.push({ base, start, rate: checkRate(rate) });
  }

  /** Forgets segments that only hold sends below `k` (all made): keeps the list short. */
  discardBefore(k: number): void {
    const segments = this.#segments;
    let drop = 0;
    while (drop + 1 < segments.length && (segments[drop + 1] as Segment).base <= k) drop++;
    if (drop > 0) segments.splice(0, drop);
  }
}

interface Segment {
  /** Sends due before the segment began. */
  base: number;
  /** Its start (ms, the callers' clock). */
  start: number;
  /** Requests per second; 0 = nothing due. */
  rate: number;
}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`rate must be a finite number >= 0, got ${rate}`);
  return rate;
}

/** Index of the session that send `k` goes to: round-robin over `sessions`. */
export function sessionForSend(k: number, sessions: number): number {
  return k % sessions;
}

/** Per-session rate for a total rate spread round-robin over `sessions`. */
export function perSessionRate(totalRate: number, sessions: number): number {
  return sessions > 0 ? totalRate / sessions : 0;
}

/**
 * How many sends one scheduler tick may make before it yields the event loop to the answers:
 * 50 ms worth of the rate, at least 200. Beyond {@link behindLimit} the harness itself cannot
 * keep up and the oldest due sends are skipped (counted as unsent), never queued without bound.
 */
export function tickBudget(rate: number): number {
  return Math.max(200, Math.ceil(rate * 0.05));
}

/** Due sends the scheduler may fall behind by before it skips the excess: one second's worth, at least 1,000. */
export function behindLimit(rate: number): number {
  return Math.max(1_000, Math.ceil(rate));
}

/**
 * How much of its rate a session may hold unanswered in scenarios that push past what the
 * server sustains (flood, steps): 100 ms worth, twice the 50 ms p95 those scenarios judge by,
 * so a rate that passes is never capped while a failing one cannot pile up seconds of requests
 * in the server (and starve the handshakes and sub-runs that follow).
 */
export const INFLIGHT_WINDOW_SEC = 0.1;

/** The in-flight cap for `perSessionRate`: {@link INFLIGHT_WINDOW_SEC} of it, at least 4, at most `max`. */
export function windowInflightCap(perSessionRate: number, max: number): number {
  return Math.min(max, Math.max(4, Math.ceil(perSessionRate * INFLIGHT_WINDOW_SEC)));
}
