// The arithmetic of cluster-wide buckets (src/cluster/buckets/shares.ts, allocation.ts): exact
// splits, the two-step rebalancing, nodes leaving and joining, and the invariant the bound rests
// on: whichever of two consecutive epochs each node holds, the shares sum to at most the bucket.
import { describe, expect, it } from 'vitest';
import {
  type Allocation,
  type Demand,
  type Limits,
  nextAllocation,
  shareOf,
} from '../../src/cluster/buckets/allocation.js';
import { equalShare, proportional, step } from '../../src/cluster/buckets/shares.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const WHOLE: Limits = { capacity: 20, refillPerSec: 20 };
const demandOf = (entries: Record<string, Record<string, number>>): Demand =>
  new Map(Object.entries(entries).map(([k, v]) => [k, new Map(Object.entries(v))]));

describe('proportional', () => {
  it('gives every node the floor of 1 and the rest by weight, summing to the total exactly', () => {
    expect(proportional(20, [1, 1, 1])).toEqual([7, 7, 6]);
    expect(proportional(20, [10, 0, 0])).toEqual([18, 1, 1]);
    expect(proportional(20, [3, 1])).toEqual([15, 5]);
    expect(proportional(1000, [700, 200, 100])).toEqual([699, 200, 101]);
    expect(proportional(20, [0, 0, 0])).toEqual([7, 7, 6]);
    expect(proportional(20, [])).toEqual([]);
  });

  it('below one unit per node every node still gets 1 (the native minimum)', () => {
    expect(proportional(2, [5, 5, 5])).toEqual([1, 1, 1]);
    expect(equalShare(2, 3)).toBe(1);
    expect(equalShare(20, 3)).toBe(6);
    expect(equalShare(20, 0)).toBe(20);
  });
});

describe('step', () => {
  it('lowers at once, raises only into what is free now', () => {
    expect(step([7, 7, 6], [18, 1, 1], 20)).toEqual([7, 1, 1]);
    expect(step([7, 1, 1], [18, 1, 1], 20)).toEqual([18, 1, 1]);
    // More than the total held (a joiner's floor): nothing rises until the sum is back under it.
    expect(step([10, 10, 1], [1, 1, 18], 20)).toEqual([1, 1, 1]);
    expect(step([1, 1, 1], [1, 1, 18], 20)).toEqual([1, 1, 18]);
  });

  it('never lets the max of consecutive shares exceed the total (10,000 random steps)', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 10_000; trial++) {
      const n = 1 + rnd(5);
      const total = n + rnd(200);
      let cur = proportional(
        total,
        Array.from({ length: n }, () => rnd(10)),
      );
      for (let k = 0; k < 4; k++) {
        const target = proportional(
          total,
          Array.from({ length: n }, () => rnd(10)),
        );
        const next = step(cur, target, total);
        expect(sum(cur.map((c, i) => Math.max(c, next[i] as number)))).toBeLessThanOrEqual(total);
        expect(next.every((x) => x >= 1)).toBe(true);
        cur = next;
      }
      // Two steps towards a fixed target reach it.
      const target = proportional(
        total,
        Array.from({ length: n }, () => rnd(10)),
      );
      expect(step(step(cur, target, total), target, total)).toEqual(target);
    }
  });
});

describe('nextAllocation', () => {
  const limits = () => WHOLE;

  it('moves a principal to where its demand is in two epochs, each within the bucket', () => {
    const d = demandOf({ p: { a: 30 } });
    const e1 = nextAllocation(undefined, ['a', 'b', 'c'], d, limits, 'g');
    // Before: the even split, 6 each. Lowered at once to the floor; a gets the 2 that were free.
    expect(e1).toEqual({
      gen: 'g',
      epoch: 1,
      nodes: ['a', 'b', 'c'],
      shares: {
        p: [
          [8, 1, 1],
          [8, 1, 1],
        ],
      },
    });
    const e2 = nextAllocation(e1, ['a', 'b', 'c'], d, limits, 'other');
    expect(e2).toEqual({
      gen: 'g',
      epoch: 2,
      nodes: ['a', 'b', 'c'],
      shares: {
        p: [
          [18, 1, 1],
          [18, 1, 1],
        ],
      },
    });
    expect(shareOf(e2, 'a', 3, 'p', WHOLE)).toEqual({ capacity: 18, refillPerSec: 18 });
    expect(shareOf(e2, 'b', 3, 'p', WHOLE)).toEqual({ capacity: 1, refillPerSec: 1 });
  });

  it('splits a spread principal by demand and leaves others at the even split (unlisted)', () => {
    const e = nextAllocation(undefined, ['a', 'b'], demandOf({ p: { a: 3, b: 1 } }), limits, 'g');
    // From the even split (10, 10): b lowered at once, a raised at the next epoch.
    expect(e.shares).toEqual({
      p: [
        [10, 5],
        [10, 5],
      ],
    });
    const e2 = nextAllocation(e, ['a', 'b'], demandOf({ p: { a: 3, b: 1 } }), limits, 'g');
    expect(e2.shares).toEqual({
      p: [
        [15, 5],
        [15, 5],
      ],
    });
    expect(shareOf(e2, 'b', 2, 'q', WHOLE)).toEqual({ capacity: 10, refillPerSec: 10 });
  });

  it("gives a node's share back to the live ones as soon as it is gone", () => {
    const prev: Allocation = {
      gen: 'g',
      epoch: 7,
      nodes: ['a', 'b', 'c'],
      shares: {
        p: [
          [8, 6, 6],
          [8, 6, 6],
        ],
      },
    };
    const e = nextAllocation(prev, ['a', 'b'], demandOf({ p: { a: 1, b: 1 } }), limits, 'x');
    expect(e).toEqual({ gen: 'g', epoch: 8, nodes: ['a', 'b'], shares: {} });
    expect(shareOf(e, 'a', 2, 'p', WHOLE)).toEqual({ capacity: 10, refillPerSec: 10 });
  });

  it('counts a joining node at the floor until the others have made room', () => {
    const prev: Allocation = { gen: 'g', epoch: 3, nodes: ['a', 'b'], shares: {} };
    expect(shareOf(prev, 'c', 3, 'p', WHOLE)).toEqual({ capacity: 1, refillPerSec: 1 });
    const d = demandOf({ p: { c: 50 } });
    const e1 = nextAllocation(prev, ['a', 'b', 'c'], d, limits, 'x');
    expect(e1.shares).toEqual({
      p: [
        [1, 1, 1],
        [1, 1, 1],
      ],
    });
    const e2 = nextAllocation(e1, ['a', 'b', 'c'], d, limits, 'x');
    expect(e2.shares).toEqual({
      p: [
        [1, 1, 18],
        [1, 1, 18],
      ],
    });
  });

  it('returns an idle principal to the even split, then forgets it', () => {
    const prev: Allocation = {
      gen: 'g',
      epoch: 1,
      nodes: ['a', 'b', 'c'],
      shares: {
        p: [
          [18, 1, 1],
          [18, 1, 1],
        ],
      },
    };
    const e1 = nextAllocation(prev, ['a', 'b', 'c'], new Map(), limits, 'x');
    expect(e1.shares).toEqual({
      p: [
        [6, 1, 1],
        [6, 1, 1],
      ],
    });
    const e2 = nextAllocation(e1, ['a', 'b', 'c'], new Map(), limits, 'x');
    expect(e2.shares).toEqual({});
  });

  it('uses each principal its own bucket', () => {
    const big: Limits = { capacity: 100, refillPerSec: 1000 };
    const e = nextAllocation(
      undefined,
      ['a', 'b'],
      demandOf({ vip: { a: 1, b: 1 }, p: { b: 9 } }),
      (k) => (k === 'vip' ? big : WHOLE),
      'g',
    );
    expect(e.shares).toEqual({
      p: [
        [1, 10],
        [1, 10],
      ],
    });
    // vip's demand is even: its even split, left out.
    expect(shareOf(e, 'a', 2, 'vip', big)).toEqual({ capacity: 50, refillPerSec: 500 });
  });

  it('keeps every mix of two consecutive epochs within the bucket (random demand, nodes coming and going)', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const all = ['a', 'b', 'c', 'd'];
    let prev: Allocation | undefined;
    let live = ['a', 'b', 'c'];
    for (let k = 0; k < 2_000; k++) {
      if (rnd(10) === 0) live = all.filter(() => rnd(3) > 0);
      if (live.length === 0) live = ['a'];
      const d = demandOf({ p: Object.fromEntries(live.map((n) => [n, rnd(3) * rnd(40)])) });
      const next = nextAllocation(prev, live, d, limits, 'g');
      // A node of `live` holds prev's share or next's; a node no longer live holds nothing.
      let worst = 0;
      for (const n of live) {
        const before = shareOf(prev, n, live.length, 'p', WHOLE);
        const after = shareOf(next, n, live.length, 'p', WHOLE);
        worst += Math.max(before.refillPerSec, after.refillPerSec);
      }
      const joiners = prev === undefined ? 0 : live.filter((n) => !prev?.nodes.includes(n)).length;
      // Joiners hold the floor of 1 outside any allocation: the only excess, and only then.
      expect(worst).toBeLessThanOrEqual(WHOLE.refillPerSec + joiners);
      prev = next;
    }
  });
});
