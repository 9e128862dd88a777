import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type StateChange } from '../../src/index.js';
import { expectCode, expectRejectCode } from '../helpers.js';

describe('CircuitBreaker', () => {
  it('opens after 5 consecutive failures by default; a success resets the count', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 4; i++) b.recordFailure();
    b.recordSuccess();
    for (let i = 0; i < 4; i++) b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    expect(b.stats()).toMatchObject({ state: 'open', failures: 9, successes: 1, opened: 1, rejected: 1 });
  });

  it('goes half open after openMs, admits halfOpenMaxCalls trials, closes after successThreshold', async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 40, halfOpenMaxCalls: 2, successThreshold: 2 });
    b.recordFailure();
    expect(b.state).toBe('open');
    await sleep(60);
    expect(b.state).toBe('half_open');
    expect([b.allow(), b.allow(), b.allow()]).toEqual([true, true, false]);
    b.recordSuccess(1.5);
    expect(b.state).toBe('half_open');
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(b.stats().latencyCount).toBe(1);
    expect(b.stats().latencyMaxUs).toBe(1500);
  });

  it('reopens on a failure while half open; releaseTrial frees a slot', async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 30, halfOpenMaxCalls: 1, successThreshold: 1 });
    b.recordFailure();
    await sleep(50);
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.releaseTrial();
    expect(b.allow()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.stats().opened).toBe(2);
  });

  it('window policy counts failures within the rolling window', () => {
    const b = new CircuitBreaker({ policy: 'window', failureThreshold: 3, windowMs: 60_000 });
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    b.recordSuccess();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
  });

  it('error_rate policy needs minCalls and trips at the percentage (checked on failures)', () => {
    const b = new CircuitBreaker({ policy: 'error_rate', errorThresholdPct: 50, minCalls: 4, windowMs: 60_000 });
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed'); // 2 calls < minCalls
    b.recordSuccess();
    b.recordSuccess();
    expect(b.state).toBe('closed'); // a success never trips
    b.recordSuccess();
    b.recordFailure(); // 3 of 6 = 50 %
    expect(b.state).toBe('open');
  });

  it('force and reset', () => {
    const b = new CircuitBreaker();
    b.forceOpen();
    expect(b.state).toBe('open');
    b.forceClose();
    expect(b.state).toBe('closed');
    b.recordFailure();
    b.reset();
    expect(b.stats()).toMatchObject({ state: 'closed', failures: 0, consecutiveFailures: 0 });
  });

  it('delivers state changes to subscribers, in order, until unsubscribed', async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 20, halfOpenMaxCalls: 1, successThreshold: 1 });
    const seen: StateChange[] = [];
    const off = b.onStateChange((c) => seen.push(c));
    b.recordFailure();
    await sleep(40);
    expect(b.allow()).toBe(true);
    b.recordSuccess();
    await sleep(20);
    expect(seen).toEqual([
      { from: 'closed', to: 'open' },
      { from: 'open', to: 'half_open' },
      { from: 'half_open', to: 'closed' },
    ]);
    off();
    b.forceOpen();
    await sleep(20);
    expect(seen).toHaveLength(3);
  });

  it('run() guards an async function like opossum fire', async () => {
    const b = new CircuitBreaker({ failureThreshold: 2, openMs: 60_000 });
    await expect(b.run(async () => 42)).resolves.toBe(42);
    const boom = new Error('boom');
    await expect(b.run(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      b.run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(b.state).toBe('open');
    let called = false;
    await expectRejectCode(
      b.run(async () => {
        called = true;
      }),
      'ERR_CIRCUIT_OPEN',
    );
    expect(called).toBe(false);
    expect(b.stats()).toMatchObject({ successes: 1, failures: 2, rejected: 1 });
  });

  it('validates options', () => {
    for (const bad of [
      { policy: 'nope' as 'window' },
      { failureThreshold: 0 },
      { errorThresholdPct: 0, policy: 'error_rate' as const },
      { errorThresholdPct: 101, policy: 'error_rate' as const },
      { successThreshold: 4, halfOpenMaxCalls: 3 },
      { openMs: -5 },
    ]) {
      expectCode(() => new CircuitBreaker(bad), 'ERR_INVALID_ARG');
    }
  });
});
