/**
 * The arithmetic of cluster-wide token buckets (docs/cluster.md, "Rate limits across nodes"):
 * how one principal's bucket (its refill rate and its burst, each split separately) is divided
 * over the live nodes. Pure functions of integers, so the bound can be checked exactly.
 *
 * Every share is a whole number >= 1: the native bucket cannot hold less than one token or
 * refill slower than one token per second, so a node always has at least that (the floor, which
 * also lets an idle node admit a principal's first request at once).
 */

/** A share each of `n` nodes can hold together within `total` when nothing is known of demand. */
export function equalShare(total: number, n: number): number {
  return Math.max(1, Math.floor(total / Math.max(1, n)));
}

/**
 * `total` split over the nodes in proportion to `weights` (their demand): every node 1 (the
 * floor), the rest by weight with the largest remainders rounded up, so the parts sum to exactly
 * `total` (when `total >= weights.length`; below that every node gets the floor of 1). All
 * weights 0: an even split.
 */
export function proportional(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const extra = total - n;
  if (extra <= 0) return weights.map(() => 1);
  let sum = 0;
  for (const w of weights) sum += w;
  const w = sum > 0 ? weights : weights.map(() => 1);
  const W = sum > 0 ? sum : n;
  const parts = w.map((x) => 1 + Math.floor((extra * x) / W));
  let left = total - parts.reduce((a, b) => a + b, 0);
  // Largest remainder first; ties to the lower index, so every node computes the same split.
  const order = w
    .map((x, i) => ({ i, r: (extra * x) % W }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .map((e) => e.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) {
    const j = order[k] as number;
    parts[j] = (parts[j] as number) + 1;
  }
  return parts;
}

/**
 * One rebalancing step from `current` (what the nodes hold now) towards `target`, such that
 * every node holding either the current or the next share at any moment stays within `total`:
 * a node going down gets its target at once, a node going up gets only what is free now
 * (`total` minus the current sum), the rest at a later step once the decreases are in force.
 * So `sum(max(current[i], next[i])) <= max(total, sum(current))`, and a client that moves
 * reaches its target in two steps.
 */
export function step(current: readonly number[], target: readonly number[], total: number): number[] {
  const next = current.map((c, i) => Math.min(c, target[i] as number));
  let free = total - current.reduce((a, b) => a + b, 0);
  for (let i = 0; i < next.length && free > 0; i++) {
    const want = (target[i] as number) - (next[i] as number);
    if (want <= 0) continue;
    const give = Math.min(want, free);
    next[i] = (next[i] as number) + give;
    free -= give;
  }
  return next;
}
