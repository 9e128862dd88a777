import { afterEach, describe, expect, it } from 'vitest';
import { RestartCounter } from '../../src/ops/restarts.js';
import type { Child } from '../../src/supervision/child.js';
import { ExitNotifier } from '../../src/supervision/exit-notifier.js';
import { Supervisor } from '../../src/supervision/supervisor.js';

const sups: Supervisor[] = [];
afterEach(async () => {
  for (const s of sups.splice(0)) await s.stop();
});

/** A child that crashes when told to. */
function crashable() {
  const children: ExitNotifier[] = [];
  return {
    crash: () => children.at(-1)?.exit(new Error('crash')),
    start: (): Child => {
      const exit = new ExitNotifier();
      children.push(exit);
      return { stop: () => exit.exit('shutdown'), onExit: (l) => exit.onExit(l) };
    },
  };
}

describe('RestartCounter', () => {
  it('counts restarts by supervisor name from its events, 0 until there is one', async () => {
    const a = crashable();
    const sup = new Supervisor({ name: 'workers', children: [{ id: 'a', start: a.start }] });
    sups.push(sup);
    const counter = new RestartCounter();
    counter.watch(sup);
    counter.watch(sup); // no double counting
    await sup.start();
    expect([...counter.counts()]).toEqual([['workers', 0]]);
    a.crash();
    await sup.idle();
    a.crash();
    await sup.idle();
    expect(counter.counts().get('workers')).toBe(2);
    expect(counter.total).toBe(2);
  });

  it('continues the count of a replaced supervisor with the same name and lets go of terminated ones', async () => {
    const counter = new RestartCounter();
    const a = crashable();
    const first = new Supervisor({ name: 'control', children: [{ id: 'a', start: a.start }] });
    counter.watch(first);
    await first.start();
    a.crash();
    await first.idle();
    await first.stop();
    expect(first.listenerCount('event')).toBe(0);
    const b = crashable();
    const second = new Supervisor({ name: 'control', children: [{ id: 'b', start: b.start }] });
    sups.push(second);
    counter.watch(second);
    await second.start();
    b.crash();
    await second.idle();
    expect([...counter.counts()]).toEqual([['control', 2]]);
  });
});
