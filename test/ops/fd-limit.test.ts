import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fdLimits, raiseFdLimit } from '../../src/ops/fd-limit.js';

/** What the kernel says, independently of the native call. */
function procLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files')) as string;
  const [soft, hard] = line
    .split(/\s+/)
    .slice(3, 5)
    .map((v) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v)));
  return { soft: soft as number, hard: hard as number };
}

describe.runIf(process.platform === 'linux')('fd limits', () => {
  it('reads what /proc/self/limits shows', () => {
    expect(fdLimits()).toEqual(procLimits());
  });

  it('never lowers the soft limit, raises it up to the hard one at most', () => {
    const before = fdLimits() as { soft: number; hard: number };
    expect(raiseFdLimit(1)).toEqual(before);
    const after = raiseFdLimit(Number.POSITIVE_INFINITY) as { soft: number; hard: number };
    expect(after.hard).toBe(before.hard);
    expect(after.soft).toBe(before.hard);
    expect(procLimits()).toEqual(after);
  });
});
