import { describe, expect, it } from 'vitest';
import { RestartIntensity } from '../../src/supervision/intensity.js';
import { Supervisor, SupervisorShutdownError } from '../../src/supervision/supervisor.js';
import { expectCode } from '../helpers.js';
import { Harness } from './fakes.js';

describe('RestartIntensity', () => {
  it('allows `intensity` restarts within the period and refuses the next', () => {
    const now = 0;
    const r = new RestartIntensity(2, 1000, () => now);
    expect([r.record(), r.record(), r.record()]).toEqual([true, true, false]);
    expect(r.count).toBe(3);
  });

  it('forgets restarts older than the period', () => {
    let now = 0;
    const r = new RestartIntensity(1, 1000, () => now);
    expect(r.record()).toBe(true);
    now = 999;
    expect(r.record()).toBe(false);
    now = 2000;
    expect(r.record()).toBe(true);
  });

  it('defaults to 5 in 60 s; intensity 0 never restarts; bad values are ERR_INVALID_ARG', () => {
    const r = new RestartIntensity(undefined, undefined, () => 0);
    expect([r.intensity, r.periodMs]).toEqual([5, 60_000]);
    expect(new RestartIntensity(0, 1, () => 0).record()).toBe(false);
    expectCode(() => new RestartIntensity(-1), 'ERR_INVALID_ARG');
    expectCode(() => new RestartIntensity(1, 0), 'ERR_INVALID_ARG');
  });
});

describe('restart intensity in a supervisor', () => {
  it('the 6th crash within 60 s gives up: all children stopped in reverse, exit with ERR_SUPERVISOR_SHUTDOWN', async () => {
    const h = new Harness();
    let now = 0;
    const sup = h.watch(new Supervisor({ name: 'root', children: [h.spec('a'), h.spec('b')], clock: () => now }));
    await sup.start();
    for (let i = 0; i < 5; i++) {
      now += 1000;
      h.child('b').crash();
      await sup.idle();
    }
    h.take();
    h.child('b').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit b crash', 'give_up b 6', 'stop a', 'terminated ERR_SUPERVISOR_SHUTDOWN']);
    const reason = await sup.done;
    expect(reason).toBeInstanceOf(SupervisorShutdownError);
    const err = reason as SupervisorShutdownError;
    expect(err).toMatchObject({ code: 'ERR_SUPERVISOR_SHUTDOWN', supervisor: 'root', childId: 'b', restarts: 6 });
    expect(err.message).toContain('child "b"');
    expect((err.cause as Error).message).toBe('crash');
    expect(sup.state).toBe('stopped');
  });

  it('crashes spread beyond the period never give up (injected clock, no sleeping)', async () => {
    const h = new Harness();
    let now = 0;
    const sup = h.watch(new Supervisor({ children: [h.spec('a')], intensity: 2, periodMs: 10_000, clock: () => now }));
    await sup.start();
    for (let i = 0; i < 20; i++) {
      now += 5_000;
      h.child('a').crash();
      await sup.idle();
    }
    expect(sup.state).toBe('running');
    expect(sup.whichChildren()[0]?.restarts).toBe(20);
  });

  it('escalates through a nested supervisor: the child gives up, the parent restarts it', async () => {
    const h = new Harness();
    const now = 0;
    const clock = () => now;
    let inner: Supervisor | undefined;
    const root = h.watch(
      new Supervisor({
        name: 'root',
        strategy: 'one_for_all',
        clock,
        children: [
          h.spec('db'),
          {
            id: 'inner',
            type: 'supervisor',
            start: async () => {
              inner = h.watch(new Supervisor({ name: 'inner', intensity: 1, clock, children: [h.spec('w')] }), 'inner');
              await inner.start();
              return inner;
            },
          },
        ],
      }),
      'root',
    );
    await root.start();
    const first = inner as Supervisor;
    h.child('w').crash();
    await first.idle();
    h.child('w').crash();
    await first.idle();
    await root.idle();
    expect(h.take()).toEqual([
      'root: start db',
      'inner: start w',
      'root: start inner',
      'inner: exit w crash',
      'inner: restart w',
      'inner: start w',
      'inner: exit w crash',
      'inner: give_up w 2',
      'inner: terminated ERR_SUPERVISOR_SHUTDOWN',
      'root: exit inner ERR_SUPERVISOR_SHUTDOWN',
      'root: restart inner',
      'root: stop db',
      'root: start db',
      'inner: start w',
      'root: start inner',
    ]);
    expect(root.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 1, workers: 1 });
    expect(inner).not.toBe(first);
  });

  it('the root reports a failure that escalated all the way up', async () => {
    const h = new Harness();
    const clock = () => 0;
    const root = new Supervisor({
      name: 'root',
      intensity: 0,
      clock,
      children: [
        {
          id: 'inner',
          type: 'supervisor',
          start: async () => {
            const s = new Supervisor({ name: 'inner', intensity: 0, clock, children: [h.spec('w')] });
            await s.start();
            return s;
          },
        },
      ],
    });
    const exits: string[] = [];
    root.onExit((r) => exits.push((r as Error).message));
    await root.start();
    h.child('w').crash();
    const reason = (await root.done) as SupervisorShutdownError;
    expect(reason.childId).toBe('inner');
    expect((reason.cause as SupervisorShutdownError).childId).toBe('w');
    expect(exits).toEqual([reason.message]);
  });

  it('a restart whose start fails is retried, each try counting, until it gives up', async () => {
    const h = new Harness();
    const sup = h.watch(new Supervisor({ intensity: 2, clock: () => 0, children: [h.spec('a'), h.spec('b')] }));
    await sup.start();
    h.take();
    h.failing.add('b');
    h.child('b').crash();
    await sup.idle();
    expect(h.take()).toEqual([
      'exit b crash',
      'restart b',
      'start_failed b boom b',
      'restart b',
      'start_failed b boom b',
      'give_up b 3',
      'stop a',
      'terminated ERR_SUPERVISOR_SHUTDOWN',
    ]);
    // The give-up's cause is the last start failure, which wraps the child's own error.
    const cause = ((await sup.done) as Error & { cause: Error & { cause: Error } }).cause;
    expect(cause).toMatchObject({ code: 'ERR_CHILD_START' });
    expect(cause.cause.message).toBe('boom b');
  });

  it('a failed restart of a sibling under one_for_all undoes the round before retrying', async () => {
    const h = new Harness();
    const sup = h.watch(
      new Supervisor({ strategy: 'one_for_all', clock: () => 0, children: [h.spec('a'), h.spec('b'), h.spec('c')] }),
    );
    await sup.start();
    h.take();
    h.failing.add('c');
    h.child('a').crash();
    await sup.idle();
    const log = h.take();
    expect(log.slice(0, 9)).toEqual([
      'exit a crash',
      'restart a',
      'stop c',
      'stop b',
      'start a',
      'start b',
      'start_failed c boom c',
      'stop b',
      'stop a',
    ]);
    // Each retry repeats the round; the one that overflows stops nothing (all are already down).
    expect(log.slice(-5)).toEqual([
      'start_failed c boom c',
      'stop b',
      'stop a',
      'give_up a 6',
      'terminated ERR_SUPERVISOR_SHUTDOWN',
    ]);
    expect(log.filter((l) => l === 'restart a')).toHaveLength(5);
  });
});
