import { describe, expect, it } from 'vitest';
import { bestTrial, nextRate, type Trial } from '../../src/load/rate-search.js';

/** Runs the search against a machine that sustains up to `capacity`. */
function search(start: number, capacity: number, max = 6): Trial[] {
  const trials: Trial[] = [];
  for (let r = nextRate(start, trials, max); r !== undefined; r = nextRate(start, trials, max)) {
    trials.push({ rate: r, passed: r <= capacity });
  }
  return trials;
}

describe('steps rate search', () => {
  it('starts at the start rate', () => {
    expect(nextRate(33_000, [], 6)).toBe(33_000);
  });

  it('doubles while trials pass', () => {
    expect(search(1_000, 1e9).map((t) => t.rate)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
  });

  it('halves while trials fail, then bisects', () => {
    const trials = search(32_000, 5_000);
    expect(trials.map((t) => t.rate)).toEqual([32_000, 16_000, 8_000, 4_000, 6_000, 5_000]);
    expect(bestTrial(trials)).toEqual({ rate: 5_000, passed: true });
  });

  it('bisects between the best pass and the lowest failure above it', () => {
    const trials = search(1_000, 3_000);
    expect(trials.map((t) => t.rate)).toEqual([1_000, 2_000, 4_000, 3_000, 3_500, 3_250]);
    expect(bestTrial(trials)?.rate).toBe(3_000);
  });

  it('stops once the gap is under 5 % of the passing rate', () => {
    const trials: Trial[] = [
      { rate: 1_000, passed: true },
      { rate: 1_040, passed: false },
    ];
    expect(nextRate(1_000, trials, 6)).toBeUndefined();
  });

  it('ignores a noisy failure below the best pass', () => {
    const trials: Trial[] = [
      { rate: 2_000, passed: true },
      { rate: 1_000, passed: false },
    ];
    expect(nextRate(2_000, trials, 6)).toBe(4_000);
  });

  it('stops at the trial budget and below 1 req/s', () => {
    expect(nextRate(8, [{ rate: 8, passed: false }], 1)).toBeUndefined();
    expect(nextRate(1.5, [{ rate: 1.5, passed: false }], 6)).toBeUndefined();
  });

  it('reports the lowest tried rate as failed when none passed', () => {
    const trials = search(8_000, 10);
    expect(trials.every((t) => !t.passed)).toBe(true);
    expect(bestTrial(trials)).toEqual({ rate: 250, passed: false });
    expect(bestTrial([])).toBeUndefined();
  });
});
