import type { TokenBuckets } from '../core/bucket.js';
import type { DroppedNotification } from '../transports/transport.js';

/**
 * The flood rule: a sender with more than `after` notifications dropped (its token bucket was
 * empty) within `windowMs` is flooding, and its transport disconnects it. `after` 0 disables
 * the rule (notifications past the bucket are still dropped and counted).
 */
export interface FloodRule {
  readonly after: number;
  readonly windowMs: number;
}

/** Gate-wide notification tallies, for `erlmcp_notifications_dropped_total` and `erlmcp_notification_floods_total`. */
export interface NotificationStats {
  /** Inbound notifications dropped because the sender's token bucket was empty. */
  dropped: number;
  /** Times a sender broke the flood rule (once per window it broke it in). */
  floods: number;
}

/**
 * One sender's dropped notifications: its total, and the window the flood rule is judged in.
 * Created on a session's first drop, so a sender that stays under its limit pays nothing.
 *
 * The window is fixed, opened by the first drop after the previous one expired: no timer and
 * no per-drop history, one clock read per drop. A sender can therefore get up to 2 x `after`
 * drops across a window boundary before it is caught; the rule is a backstop behind the
 * bucket (which already bounds what a flood costs), not a precise rate.
 */
export class NotificationDrops implements DroppedNotification {
  /** Notifications of this sender dropped so far. */
  total = 0;
  /** True while the current window holds more than `rule.after` drops. */
  flooding = false;
  readonly #buckets: TokenBuckets;
  readonly #handle: number;
  readonly #rule: FloodRule;
  #windowStart = Number.NEGATIVE_INFINITY;
  #inWindow = 0;

  constructor(buckets: TokenBuckets, handle: number, rule: FloodRule) {
    this.#buckets = buckets;
    this.#handle = handle;
    this.#rule = rule;
  }

  /**
   * Records one drop at `now` (ms, monotonic). Returns true when this very drop broke the flood
   * rule (the first one past `after` in its window), so the break is reported once per window.
   */
  record(now: number): boolean {
    this.total++;
    const rule = this.#rule;
    if (now - this.#windowStart >= rule.windowMs) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    const n = ++this.#inWindow;
    this.flooding = rule.after > 0 && n > rule.after;
    return this.flooding && n === rule.after + 1;
  }

  /** Milliseconds until the sender's bucket holds a token again (a native call: asked only by HTTP). */
  retryAfterMs(): number {
    return Math.max(1, this.#buckets.retryAfterMs(this.#handle, 1));
  }
}
