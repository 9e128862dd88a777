import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { closeableChild, taskChild } from '../../src/supervision/adapters.js';
import { isAbnormal, shouldRestart } from '../../src/supervision/child.js';
import { describeEvent } from '../../src/supervision/events.js';
import { ExitNotifier } from '../../src/supervision/exit-notifier.js';
import { Supervisor } from '../../src/supervision/supervisor.js';
import { Harness } from './fakes.js';

describe('child helpers', () => {
  it('shouldRestart follows OTP restart types', () => {
    const crash = new Error('x');
    expect(['normal', 'shutdown', crash].map((r) => shouldRestart('permanent', r as never))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['normal', 'shutdown', crash].map((r) => shouldRestart('transient', r as never))).toEqual([
      false,
      false,
      true,
    ]);
    expect(['normal', 'shutdown', crash].map((r) => shouldRestart('temporary', r as never))).toEqual([
      false,
      false,
      false,
    ]);
    expect(isAbnormal('normal')).toBe(false);
  });

  it('ExitNotifier reports once, also to late listeners', () => {
    const n = new ExitNotifier();
    const got: string[] = [];
    n.onExit((r) => got.push(`early ${String(r)}`));
    n.exit('normal');
    n.exit(new Error('later'));
    n.onExit((r) => got.push(`late ${String(r)}`));
    expect(got).toEqual(['early normal', 'late normal']);
  });
});

describe('taskChild', () => {
  it('resolving is a normal exit, rejecting a crash, stopping aborts the signal', async () => {
    const reasons: string[] = [];
    const done = taskChild(async () => 1);
    done.onExit((r) => reasons.push(String(r)));
    const failed = taskChild(() => {
      throw new Error('bad');
    });
    failed.onExit((r) => reasons.push((r as Error).message));
    let seen: AbortSignal | undefined;
    const looping = taskChild(
      (signal) =>
        new Promise<void>((resolve) => {
          seen = signal;
          signal.addEventListener('abort', () => resolve());
        }),
    );
    looping.onExit((r) => reasons.push(String(r)));
    await looping.stop('shutdown');
    expect(seen?.aborted).toBe(true);
    // The two self-ending tasks settle in microtask order, which is not the point here.
    expect(reasons.slice(0, 2).sort()).toEqual(['bad', 'normal']);
    expect(reasons[2]).toBe('shutdown');
  });

  it('a supervised task that keeps failing is restarted', async () => {
    const h = new Harness();
    let runs = 0;
    const sup = h.watch(
      new Supervisor({
        intensity: 2,
        clock: () => 0,
        children: [
          {
            id: 'task',
            start: () =>
              taskChild(async () => {
                runs++;
                throw new Error('fail');
              }),
          },
        ],
      }),
    );
    await sup.start();
    await sup.done;
    await sup.idle();
    expect(runs).toBe(3);
    expect(h.log.slice(-3)).toEqual(['exit task fail', 'give_up task 3', 'terminated ERR_SUPERVISOR_SHUTDOWN']);
  });
});

describe('closeableChild', () => {
  function transport() {
    const t = {
      closed: 0,
      onclose: undefined as (() => void) | undefined,
      close() {
        t.closed++;
        t.onclose?.();
      },
    };
    return t;
  }

  it('an unrequested close is a normal exit; the previous onclose still runs', () => {
    const t = transport();
    const calls: string[] = [];
    t.onclose = () => calls.push('previous');
    const child = closeableChild(t);
    child.onExit((r) => calls.push(String(r)));
    t.onclose?.();
    expect(calls).toEqual(['previous', 'normal']);
  });

  it('stop() closes it with reason shutdown; crash() reports the error and closes it', async () => {
    const t = transport();
    const child = closeableChild(t);
    const reasons: string[] = [];
    child.onExit((r) => reasons.push(String(r)));
    await child.stop('shutdown');
    expect(t.closed).toBe(1);
    const t2 = transport();
    const c2 = closeableChild(t2);
    c2.onExit((r) => reasons.push((r as Error).message));
    c2.crash(new Error('protocol error'));
    await Promise.resolve();
    await Promise.resolve();
    expect(t2.closed).toBe(1);
    expect(reasons).toEqual(['shutdown', 'protocol error']);
  });
});

describe('events and logging', () => {
  it('writes one pino line per lifecycle event, at the documented levels', async () => {
    const lines: Array<{ level: number; msg: string; supervisor: string; child?: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const h = new Harness();
    const sup = new Supervisor({
      name: 'app',
      intensity: 1,
      clock: () => 0,
      logger: pino({ level: 'info' }, sink),
      children: [h.spec('a')],
    });
    await sup.start();
    h.child('a').crash();
    await sup.idle();
    h.child('a').crash();
    await sup.idle();
    expect(lines.map((l) => [l.level, l.msg, l.supervisor, l.child])).toEqual([
      [30, 'child started', 'app', 'a'],
      [40, 'child crashed', 'app', 'a'],
      [30, 'restarting', 'app', 'a'],
      [30, 'child started', 'app', 'a'],
      [40, 'child crashed', 'app', 'a'],
      [50, 'restart intensity exceeded: giving up', 'app', 'a'],
      [50, 'supervisor terminated abnormally', 'app', undefined],
    ]);
  });

  it('describeEvent renders every event type', () => {
    const s = 'x';
    expect([
      describeEvent({ type: 'start', supervisor: s, id: 'a', restart: false }),
      describeEvent({ type: 'start_failed', supervisor: s, id: 'a', error: new Error('e') }),
      describeEvent({ type: 'exit', supervisor: s, id: 'a', reason: 'normal' }),
      describeEvent({ type: 'restart', supervisor: s, id: 'a', count: 1 }),
      describeEvent({ type: 'stop', supervisor: s, id: 'a' }),
      describeEvent({ type: 'kill', supervisor: s, id: 'a' }),
      describeEvent({ type: 'terminated', supervisor: s, reason: 'shutdown' }),
    ]).toEqual([
      'start a',
      'start_failed a e',
      'exit a normal',
      'restart a',
      'stop a',
      'kill a',
      'terminated shutdown',
    ]);
  });
});
