/**
 * The cluster's allocation of principals' buckets to nodes: one record in Redis, written by the
 * leader only (compare-and-set), read by every node (every worker) at each interval. Epochs
 * advance one at a time, and only once every live participant has acknowledged applying the
 * current one, so at any moment every node holds the share of epoch k or of epoch k + 1; each
 * step ({@link step}) keeps the sum of both within the principal's bucket.
 */
import { equalShare, proportional, step } from './shares.js';

/** A principal's bucket as configured (the whole, before it is split). */
export interface Limits {
  readonly capacity: number;
  readonly refillPerSec: number;
}

/** What the leader writes to `<prefix>:buckets:allocation`. */
export interface Allocation {
  /** Random per allocation history (a new one when none is found). */
  readonly gen: string;
  readonly epoch: number;
  /** The nodes shares are given to (the live ones when it was computed), in a fixed order. */
  readonly nodes: readonly string[];
  /**
   * Per principal key: [refill per node, burst per node], aligned with {@link nodes}. A
   * principal not listed has the even split ({@link equalShare}) on each listed node.
   */
  readonly shares: Readonly<Record<string, readonly [rate: readonly number[], burst: readonly number[]]>>;
}

/** How a participant acknowledges an allocation (and the leader recognises it). */
export function allocationTag(a: Allocation | undefined): string {
  return a === undefined ? '' : `${a.gen}:${a.epoch}`;
}

/**
 * This node's share of a principal's bucket. No allocation yet: the even split over the `live`
 * nodes this node knows of; a node the allocation does not list (it joined since): the floor,
 * one token and one token per second, until the next epoch gives it a share.
 */
export function shareOf(a: Allocation | undefined, node: string, live: number, key: string, whole: Limits): Limits {
  if (a === undefined) {
    return { capacity: equalShare(whole.capacity, live), refillPerSec: equalShare(whole.refillPerSec, live) };
  }
  const i = a.nodes.indexOf(node);
  if (i < 0) return { capacity: 1, refillPerSec: 1 };
  const s = Object.hasOwn(a.shares, key) ? a.shares[key] : undefined;
  if (s === undefined) {
    const n = a.nodes.length;
    return { capacity: equalShare(whole.capacity, n), refillPerSec: equalShare(whole.refillPerSec, n) };
  }
  return { capacity: s[1][i] as number, refillPerSec: s[0][i] as number };
}

/** Demand per principal key, per node: requests and notifications admitted + refused in an interval. */
export type Demand = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * The next epoch: for every principal with demand somewhere (or a share not yet back to the
 * even split), one {@link step} of its rate and of its burst from what the live nodes hold now
 * towards the split in proportion to demand (the even split when it has none). Nodes no longer
 * live lose their shares at once (a dead node admits nothing); a node new to the allocation
 * counts as holding the floor. Principals back at the even split are left out.
 */
export function nextAllocation(
  prev: Allocation | undefined,
  live: readonly string[],
  demand: Demand,
  limitsOf: (key: string) => Limits,
  gen: string,
): Allocation {
  const keys = new Set<string>([...Object.keys(prev?.shares ?? {}), ...demand.keys()]);
  const shares: Record<string, [number[], number[]]> = {};
  for (const key of keys) {
    const whole = limitsOf(key);
    const d = demand.get(key);
    const weights = live.map((node) => d?.get(node) ?? 0);
    const held = live.map((node) => shareOf(prev, node, live.length, key, whole));
    const split = (total: number, pick: (l: Limits) => number): number[] => {
      const target = weights.some((w) => w > 0)
        ? proportional(total, weights)
        : live.map(() => equalShare(total, live.length));
      return step(held.map(pick), target, total);
    };
    const rate = split(whole.refillPerSec, (l) => l.refillPerSec);
    const burst = split(whole.capacity, (l) => l.capacity);
    const even = (xs: number[], total: number) => xs.every((x) => x === equalShare(total, live.length));
    if (!even(rate, whole.refillPerSec) || !even(burst, whole.capacity)) shares[key] = [rate, burst];
  }
  return { gen: prev?.gen ?? gen, epoch: (prev?.epoch ?? 0) + 1, nodes: [...live], shares };
}

/** Whether `b` gives every node what `a` gives it (no new epoch needed). */
export function sameAllocation(a: Allocation, nodes: readonly string[], shares: Allocation['shares']): boolean {
  return JSON.stringify([a.nodes, a.shares]) === JSON.stringify([nodes, shares]);
}

/** Parses a stored allocation; undefined when it is not one (a foreign value under our key). */
export function parseAllocation(raw: string | null | undefined): Allocation | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const a = JSON.parse(raw) as Allocation;
    return typeof a?.gen === 'string' &&
      Number.isInteger(a.epoch) &&
      Array.isArray(a.nodes) &&
      typeof a.shares === 'object'
      ? a
      : undefined;
  } catch {
    return undefined;
  }
}
