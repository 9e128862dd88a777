import { describe, expect, it } from 'vitest';
import { recoveryMs, recoveryThresholdMs } from '../../src/load/recovery-time.js';

describe('recovery time', () => {
  it('allows 1.2x the baseline, and at least 1 ms more', () => {
    expect(recoveryThresholdMs(10)).toBe(12);
    expect(recoveryThresholdMs(2)).toBe(3);
    expect(recoveryThresholdMs(0)).toBe(1);
  });

  it('is the start of the first window that is back and stays back one more window', () => {
    expect(recoveryMs([2, 2, 2], 3, 1_000)).toBe(0);
    expect(recoveryMs([40, 20, 2.5, 2.9, 2], 3, 1_000)).toBe(2_000);
    // Back for one window only, then not: that is not recovered yet.
    expect(recoveryMs([40, 2, 9, 2, 2], 3, 1_000)).toBe(3_000);
  });

  it('does not count windows without ok answers', () => {
    expect(recoveryMs([null, 2, null, 2, 2], 3, 500)).toBe(1_500);
  });

  it('is null when the run ends before two good windows in a row', () => {
    expect(recoveryMs([40, 30, 2], 3, 1_000)).toBeNull();
    expect(recoveryMs([], 3, 1_000)).toBeNull();
  });
});
