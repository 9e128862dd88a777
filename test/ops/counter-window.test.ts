import { describe, expect, it } from 'vitest';
import { CounterWindow } from '../../src/ops/counter-window.js';

describe('CounterWindow (throughput and errors_1m)', () => {
  it('is empty at first: no rate, no errors', () => {
    const w = new CounterWindow();
    expect(w.completedPerSec()).toBe(0);
    expect(w.errorsInSpan()).toBe(0);
    w.push(0, 10, 3);
    expect(w.completedPerSec()).toBe(0);
    expect(w.errorsInSpan()).toBe(0);
  });

  it('gives completions per second over the last sample', () => {
    const w = new CounterWindow();
    w.push(0, 0, 0);
    w.push(1_000, 500, 0);
    expect(w.completedPerSec()).toBe(500);
    w.push(1_250, 600, 0);
    expect(w.completedPerSec()).toBe(400);
  });

  it('counts errors since the window started while it is younger than the span', () => {
    const w = new CounterWindow(60_000);
    w.push(0, 0, 0);
    w.push(1_000, 0, 4);
    w.push(2_000, 0, 9);
    expect(w.errorsInSpan()).toBe(9);
  });

  it('counts only the errors of the last span once older snapshots fall out', () => {
    const w = new CounterWindow(60_000);
    // One sample per second; errors grow by 1 per second, plus a burst of 100 at t = 5 s.
    for (let t = 0; t <= 120; t++) w.push(t * 1_000, t, t + (t >= 5 ? 100 : 0));
    // Baseline is t = 60 s: 120 + 100 - (60 + 100).
    expect(w.errorsInSpan()).toBe(60);
    expect(w.size).toBe(61);
  });

  it('includes a burst until it is older than the span', () => {
    const w = new CounterWindow(60_000);
    w.push(0, 0, 0);
    w.push(1_000, 0, 50);
    w.push(60_000, 0, 50);
    expect(w.errorsInSpan()).toBe(50); // baseline t = 0: the burst at 1 s is within the last 60 s
    w.push(61_000, 0, 50);
    expect(w.errorsInSpan()).toBe(0); // baseline t = 1 s: the burst is older than 60 s
  });

  it('stays bounded over a long run at a short period', () => {
    const w = new CounterWindow(1_000);
    for (let t = 0; t < 100_000; t += 10) w.push(t, t, t);
    expect(w.size).toBe(101);
    expect(w.errorsInSpan()).toBe(1_000);
    expect(w.completedPerSec()).toBe(1_000);
  });

  it('restarts when a counter goes backwards (a new source): never negative', () => {
    const w = new CounterWindow();
    w.push(0, 100, 50);
    w.push(1_000, 200, 60);
    w.push(2_000, 5, 1);
    expect(w.size).toBe(1);
    expect(w.errorsInSpan()).toBe(0);
    expect(w.completedPerSec()).toBe(0);
    w.push(3_000, 15, 4);
    expect(w.errorsInSpan()).toBe(3);
    expect(w.completedPerSec()).toBe(10);
  });
});
