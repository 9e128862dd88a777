import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/supervision/supervisor.js';
import { Harness } from './fakes.js';

function setup(strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', h = new Harness()) {
  const sup = h.watch(new Supervisor({ name: 's', strategy, children: [h.spec('a'), h.spec('b'), h.spec('c')] }));
  return { h, sup };
}

describe('strategies', () => {
  it('starts children in order and stops them in reverse order', async () => {
    const { h, sup } = setup('one_for_one');
    await sup.start();
    expect(sup.state).toBe('running');
    await sup.stop();
    expect(h.log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a', 'terminated shutdown']);
    expect(sup.state).toBe('stopped');
    await expect(sup.done).resolves.toBe('shutdown');
  });

  it('one_for_one restarts only the child that crashed', async () => {
    const { h, sup } = setup('one_for_one');
    await sup.start();
    h.take();
    const oldA = h.child('a');
    h.child('b').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit b crash', 'restart b', 'start b']);
    expect(h.child('a')).toBe(oldA);
    expect(oldA.stopCalls).toBe(0);
  });

  it('one_for_all stops the others in reverse order and restarts all in order', async () => {
    const { h, sup } = setup('one_for_all');
    await sup.start();
    h.take();
    h.child('b').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit b crash', 'restart b', 'stop c', 'stop a', 'start a', 'start b', 'start c']);
    expect(sup.whichChildren().map((c) => [c.id, c.status, c.restarts])).toEqual([
      ['a', 'running', 1],
      ['b', 'running', 1],
      ['c', 'running', 1],
    ]);
  });

  it('one_for_all removes temporary siblings instead of restarting them, and revives stopped ones (OTP)', async () => {
    const h = new Harness();
    const sup = h.watch(
      new Supervisor({
        strategy: 'one_for_all',
        children: [h.spec('a'), h.spec('t', { restart: 'temporary' }), h.spec('x'), h.spec('c')],
      }),
    );
    await sup.start();
    await sup.terminateChild('x');
    h.take();
    h.child('a').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit a crash', 'restart a', 'stop c', 'stop t', 'start a', 'start x', 'start c']);
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'x', 'c']);
  });

  it('rest_for_one restarts the crashed child and those started after it', async () => {
    const { h, sup } = setup('rest_for_one');
    await sup.start();
    h.take();
    h.child('b').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit b crash', 'restart b', 'stop c', 'start b', 'start c']);
    h.child('c').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit c crash', 'restart c', 'start c']);
    h.child('a').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit a crash', 'restart a', 'stop c', 'stop b', 'start a', 'start b', 'start c']);
  });

  it('exits arriving during a restart are handled afterwards, in order', async () => {
    const { h, sup } = setup('one_for_one');
    await sup.start();
    h.take();
    h.child('a').crash('x');
    h.child('c').crash('y');
    await sup.idle();
    expect(h.take()).toEqual(['exit a x', 'restart a', 'start a', 'exit c y', 'restart c', 'start c']);
  });

  it('a sibling that dies while queued behind a one_for_all restart is not restarted twice', async () => {
    const { h, sup } = setup('one_for_all');
    await sup.start();
    h.take();
    h.child('a').crash('x');
    h.child('c').crash('y');
    await sup.idle();
    // c's exit was already queued; the one_for_all round restarted it, so its stale exit is dropped.
    expect(h.take()).toEqual(['exit a x', 'restart a', 'stop b', 'start a', 'start b', 'start c']);
    expect(sup.countChildren()).toEqual({ specs: 3, active: 3, supervisors: 0, workers: 3 });
  });

  it('async start() functions are awaited in order', async () => {
    const h = new Harness();
    const sup = h.watch(new Supervisor({ children: [h.spec('a', { async: true }), h.spec('b', { async: true })] }));
    await sup.start();
    h.child('a').crash();
    await sup.idle();
    expect(h.take()).toEqual(['start a', 'start b', 'exit a crash', 'restart a', 'start a']);
  });
});
