import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Supervisor } from '../../src/supervision/supervisor.js';
import { Harness } from './fakes.js';

describe('shutdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a child that ignores stop is killed after its shutdownMs (default 5000) and abandoned', async () => {
    const h = new Harness();
    const sup = h.watch(new Supervisor({ children: [h.spec('a'), h.spec('stubborn', { stopMode: 'ignore' })] }));
    await sup.start();
    let stopped = false;
    const stopping = sup.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(stopped).toBe(false);
    expect(h.log).toEqual(['start a', 'start stubborn', 'stop stubborn']);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(h.child('stubborn').killed).toBe(true);
    expect(h.take()).toEqual([
      'start a',
      'start stubborn',
      'stop stubborn',
      'kill stubborn',
      'stop a',
      'terminated shutdown',
    ]);
  });

  it('honours a custom shutdownMs, and 0 kills at once', async () => {
    const h = new Harness();
    const sup = h.watch(
      new Supervisor({
        children: [
          h.spec('slow', { stopMode: 'ignore', shutdownMs: 100 }),
          h.spec('brutal', { stopMode: 'ignore', shutdownMs: 0 }),
        ],
      }),
    );
    await sup.start();
    const stopping = sup.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.child('brutal').killed).toBe(true);
    expect(h.child('slow').killed).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await stopping;
    expect(h.child('slow').killed).toBe(true);
    expect(h.take()).toEqual([
      'start slow',
      'start brutal',
      'stop brutal',
      'kill brutal',
      'stop slow',
      'kill slow',
      'terminated shutdown',
    ]);
  });

  it("'infinity' waits for the child however long it takes", async () => {
    const h = new Harness();
    const sup = h.watch(new Supervisor({ children: [h.spec('a', { stopMode: 'ignore', shutdownMs: 'infinity' })] }));
    await sup.start();
    let stopped = false;
    void sup.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(stopped).toBe(false);
    h.child('a').finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    expect(h.child('a').killed).toBe(false);
  });

  it('a killed stubborn child during a restart does not block the restart', async () => {
    const h = new Harness();
    const sup = h.watch(
      new Supervisor({
        strategy: 'one_for_all',
        children: [h.spec('a'), h.spec('b', { stopMode: 'ignore', shutdownMs: 50 })],
      }),
    );
    await sup.start();
    h.take();
    h.child('a').crash();
    await vi.advanceTimersByTimeAsync(50);
    await sup.idle();
    expect(h.take()).toEqual(['exit a crash', 'restart a', 'stop b', 'kill b', 'start a', 'start b']);
  });

  it('a stop() that rejects still counts as stopped', async () => {
    const h = new Harness();
    const sup = h.watch(new Supervisor({ children: [h.spec('a', { stopMode: 'reject' })] }));
    await sup.start();
    await sup.stop();
    expect(h.take()).toEqual(['start a', 'stop a', 'terminated shutdown']);
  });

  it('stop() is idempotent and stopping an unstarted supervisor just exits', async () => {
    const h = new Harness();
    const sup = new Supervisor({ children: [h.spec('a')] });
    await sup.start();
    await Promise.all([sup.stop(), sup.stop()]);
    await sup.stop();
    expect(h.child('a').stopCalls).toBe(1);
    const idle = new Supervisor();
    await idle.stop();
    expect(idle.state).toBe('stopped');
    await expect(idle.done).resolves.toBe('shutdown');
  });

  it('a nested supervisor is stopped with its children, depth first, in reverse order', async () => {
    const h = new Harness();
    const root = h.watch(
      new Supervisor({
        name: 'root',
        children: [
          h.spec('a'),
          {
            id: 'inner',
            type: 'supervisor',
            start: async () => {
              const s = h.watch(new Supervisor({ name: 'inner', children: [h.spec('x'), h.spec('y')] }), 'inner');
              await s.start();
              return s;
            },
          },
          h.spec('b'),
        ],
      }),
      'root',
    );
    await root.start();
    h.take();
    await root.stop();
    expect(h.take()).toEqual([
      'root: stop b',
      'root: stop inner',
      'inner: stop y',
      'inner: stop x',
      'inner: terminated shutdown',
      'root: stop a',
      'root: terminated shutdown',
    ]);
  });

  it('a nested supervisor that overruns its shutdownMs is killed: its children are killed too', async () => {
    const h = new Harness();
    let inner: Supervisor | undefined;
    const root = h.watch(
      new Supervisor({
        name: 'root',
        children: [
          {
            id: 'inner',
            type: 'supervisor',
            shutdownMs: 1000,
            start: async () => {
              inner = new Supervisor({ name: 'inner', children: [h.spec('x'), h.spec('y', { stopMode: 'ignore' })] });
              await inner.start();
              return inner;
            },
          },
        ],
      }),
    );
    await root.start();
    const stopping = root.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;
    // inner was still waiting on y (reverse order), so neither had stopped: both are killed.
    expect(h.child('y').killed).toBe(true);
    expect(h.child('x').killed).toBe(true);
    await expect(inner?.done).resolves.toBe('shutdown');
    expect(inner?.state).toBe('stopped');
    expect(h.take()).toEqual(['start inner', 'stop inner', 'kill inner', 'terminated shutdown']);
  });
});
