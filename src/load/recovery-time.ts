/**
 * When latency is back after an overload: the first 1 s window (counted from the end of the
 * overload) whose p95 is within 1.2x the baseline p95 and stays there in the next window too.
 */

/** How many consecutive windows must be back within the threshold. */
export const RECOVERY_WINDOWS = 2;

/**
 * The p95 (ms) counted as "back to baseline": 1.2x the baseline, but at least 1 ms above it —
 * at sub-millisecond baselines 20 % is below what timer and histogram resolution can tell apart.
 */
export function recoveryThresholdMs(baselineP95Ms: number): number {
  return Math.max(baselineP95Ms * 1.2, baselineP95Ms + 1);
}

/**
 * Milliseconds from the end of the overload to the start of the first window that is back
 * (with the next one), or null when that did not happen. A window without ok answers (null)
 * is not back.
 */
export function recoveryMs(
  windowP95s: ReadonlyArray<number | null>,
  thresholdMs: number,
  windowMs: number,
): number | null {
  for (let i = 0; i + RECOVERY_WINDOWS <= windowP95s.length; i++) {
    let ok = true;
    for (let j = i; j < i + RECOVERY_WINDOWS; j++) {
      const p = windowP95s[j];
      if (p === null || p === undefined || p > thresholdMs) {
        ok = false;
        break;
      }
    }
    if (ok) return i * windowMs;
  }
  return null;
}
