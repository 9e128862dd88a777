/**
 * The search `steps` runs at each session count for the highest rate that still meets its
 * criterion: try the start rate; while trials pass, double; while they fail, halve; once one
 * passed and one failed, bisect between the highest pass and the lowest failure above it.
 * A fixed budget of trials bounds it.
 */

/** One tried rate. */
export interface Trial {
  rate: number;
  passed: boolean;
}

/** Bisection stops once the gap is under this share of the passing rate. */
export const CONVERGED_SHARE = 0.05;
/** No rate below this is tried (requests per second in total). */
export const MIN_RATE = 1;

/** The next rate to try after `trials`, or undefined when the search is over. */
export function nextRate(start: number, trials: readonly Trial[], maxTrials: number): number | undefined {
  if (trials.length === 0) return start;
  if (trials.length >= maxTrials) return undefined;
  const passed = trials.filter((t) => t.passed).map((t) => t.rate);
  const failed = trials.filter((t) => !t.passed).map((t) => t.rate);
  if (passed.length === 0) {
    const next = Math.min(...failed) / 2;
    return next >= MIN_RATE ? next : undefined;
  }
  const lo = Math.max(...passed);
  // Noise can make a rate fail below one that passed; only failures above the best pass bound it.
  const above = failed.filter((r) => r > lo);
  if (above.length === 0) return lo * 2;
  const hi = Math.min(...above);
  if ((hi - lo) / lo < CONVERGED_SHARE) return undefined;
  return (lo + hi) / 2;
}

/** The trial a step reports: the highest that passed, else the lowest tried. */
export function bestTrial<T extends Trial>(trials: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const t of trials) if (t.passed && (best === undefined || t.rate > best.rate)) best = t;
  if (best !== undefined) return best;
  for (const t of trials) if (best === undefined || t.rate < best.rate) best = t;
  return best;
}
