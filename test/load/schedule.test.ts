import { describe, expect, it } from 'vitest';
import { behindLimit, perSessionRate, RateSchedule, sessionForSend, tickBudget } from '../../src/load/schedule.js';

describe('RateSchedule', () => {
  it('makes floor(elapsed x rate) sends due, counting from the start', () => {
    const s = new RateSchedule(1000, 5_000);
    expect(s.dueAt(5_000)).toBe(0);
    expect(s.dueAt(4_000)).toBe(0);
    expect(s.dueAt(5_000.999)).toBe(0);
    expect(s.dueAt(5_001)).toBe(1);
    expect(s.dueAt(5_010.5)).toBe(10);
    expect(s.dueAt(6_000)).toBe(1_000);
  });

  it('schedules send k at (k + 1) / rate after the start, whatever happened before', () => {
    const s = new RateSchedule(250, 100);
    expect(s.scheduledAt(0)).toBe(104);
    expect(s.scheduledAt(1)).toBe(108);
    expect(s.scheduledAt(249)).toBe(1_100);
    // The send is due exactly at its scheduled time.
    for (const k of [0, 7, 99, 249]) expect(s.dueAt(s.scheduledAt(k))).toBeGreaterThan(k);
  });

  it('keeps the times of sends already due when the rate changes', () => {
    const s = new RateSchedule(100, 0);
    expect(s.dueAt(500)).toBe(50);
    s.setRate(1_000, 500);
    expect(s.rate).toBe(1_000);
    // Sends 0..49 belong to the first segment, 50.. to the new one.
    expect(s.scheduledAt(10)).toBe(110);
    expect(s.scheduledAt(49)).toBe(500);
    expect(s.scheduledAt(50)).toBe(501);
    expect(s.dueAt(600)).toBe(150);
  });

  it('answers sends of earlier segments until they are discarded', () => {
    const s = new RateSchedule(10, 0);
    s.setRate(20, 1_000); // 10 due before
    s.setRate(40, 2_000); // 10 + 20 = 30 due before
    expect(s.scheduledAt(5)).toBe(600);
    expect(s.scheduledAt(15)).toBe(1_300);
    expect(s.scheduledAt(30)).toBe(2_025);
    s.discardBefore(12);
    expect(s.scheduledAt(15)).toBe(1_300);
    s.discardBefore(30);
    expect(s.scheduledAt(31)).toBe(2_050);
  });

  it('has nothing due at rate 0 and starts counting once a rate is set', () => {
    const s = new RateSchedule(0, 0);
    expect(s.dueAt(10_000)).toBe(0);
    expect(s.scheduledAt(0)).toBe(Number.POSITIVE_INFINITY);
    s.setRate(50, 10_000);
    expect(s.dueAt(11_000)).toBe(50);
    expect(s.scheduledAt(0)).toBe(10_020);
  });

  it('refuses a negative or non-finite rate', () => {
    expect(() => new RateSchedule(-1, 0)).toThrow(RangeError);
    expect(() => new RateSchedule(Number.NaN, 0)).toThrow(RangeError);
    expect(() => new RateSchedule(10, 0).setRate(Number.POSITIVE_INFINITY, 1)).toThrow(RangeError);
  });
});

describe('round-robin arithmetic', () => {
  it('spreads sends over sessions in turn', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => sessionForSend(k, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('gives each session total / sessions', () => {
    expect(perSessionRate(2_500, 25)).toBe(100);
    expect(perSessionRate(5_000, 200)).toBe(25);
    expect(perSessionRate(100, 0)).toBe(0);
  });

  it('bounds one tick to 50 ms of the rate and the lag to one second of it', () => {
    expect(tickBudget(100)).toBe(200);
    expect(tickBudget(100_000)).toBe(5_000);
    expect(behindLimit(100)).toBe(1_000);
    expect(behindLimit(50_000)).toBe(50_000);
  });
});
