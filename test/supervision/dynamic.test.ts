import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/supervision/supervisor.js';
import { expectCode, expectRejectCode } from '../helpers.js';
import { Harness } from './fakes.js';

async function running(h = new Harness()) {
  const sup = h.watch(new Supervisor({ name: 's', children: [h.spec('a'), h.spec('b')] }));
  await sup.start();
  h.take();
  return { h, sup };
}

describe('start failures', () => {
  it('stops the children already started in reverse order and rejects with ERR_CHILD_START', async () => {
    const h = new Harness();
    h.failing.add('c');
    const sup = h.watch(new Supervisor({ name: 's', children: [h.spec('a'), h.spec('b'), h.spec('c'), h.spec('d')] }));
    const err = (await sup.start().catch((e: unknown) => e)) as Error & { code: string; cause: Error };
    expect(err.code).toBe('ERR_CHILD_START');
    expect(err.message).toBe('supervisor "s": child "c" failed to start: boom c');
    expect(err.cause.message).toBe('boom c');
    expect(h.take()).toEqual([
      'start a',
      'start b',
      'start_failed c boom c',
      'stop b',
      'stop a',
      'terminated ERR_CHILD_START',
    ]);
    expect(sup.state).toBe('stopped');
    await expect(sup.done).resolves.toBe(err);
    expect(h.starts).toBe(3);
  });

  it('a start() that returns something that is not a Child is a start failure', async () => {
    const sup = new Supervisor({ children: [{ id: 'x', start: () => ({}) as never }] });
    await expectRejectCode(sup.start(), 'ERR_CHILD_START');
  });

  it('start() twice is ERR_ALREADY_STARTED', async () => {
    const { sup } = await running();
    await expectRejectCode(sup.start(), 'ERR_ALREADY_STARTED');
  });
});

describe('options and specs', () => {
  it('rejects bad options and specs with ERR_INVALID_ARG', () => {
    const h = new Harness();
    expectCode(() => new Supervisor({ strategy: 'nope' as never }), 'ERR_INVALID_ARG');
    expectCode(() => new Supervisor({ intensity: -1 }), 'ERR_INVALID_ARG');
    expectCode(() => new Supervisor({ children: [{ id: '', start: () => h.make('x', {}) }] }), 'ERR_INVALID_ARG');
    expectCode(() => new Supervisor({ children: [{ id: 'x', start: 1 as never }] }), 'ERR_INVALID_ARG');
    expectCode(
      () => new Supervisor({ children: [{ ...h.spec('x'), restart: 'sometimes' as never }] }),
      'ERR_INVALID_ARG',
    );
    expectCode(() => new Supervisor({ children: [{ ...h.spec('x'), type: 'daemon' as never }] }), 'ERR_INVALID_ARG');
    expectCode(() => new Supervisor({ children: [{ ...h.spec('x'), shutdownMs: -5 }] }), 'ERR_INVALID_ARG');
    expectCode(() => new Supervisor({ children: [h.spec('x'), h.spec('x')] }), 'ERR_CHILD_ALREADY_PRESENT');
    expectCode(() => new Supervisor({ strategy: 'simple_one_for_one' }), 'ERR_INVALID_ARG');
  });
});

describe('dynamic API', () => {
  it('startChild adds a child at the end; it stops first', async () => {
    const { h, sup } = await running();
    await expect(sup.startChild(h.spec('c', { restart: 'transient' }))).resolves.toBe('c');
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'b', 'c']);
    await sup.stop();
    expect(h.take()).toEqual(['start c', 'stop c', 'stop b', 'stop a', 'terminated shutdown']);
  });

  it('startChild errors: duplicate id, failed start (spec not kept), a bad spec, args instead of a spec', async () => {
    const { h, sup } = await running();
    await expectRejectCode(sup.startChild(h.spec('a')), 'ERR_CHILD_ALREADY_PRESENT');
    h.failing.add('c');
    await expectRejectCode(sup.startChild(h.spec('c')), 'ERR_CHILD_START');
    expect(sup.countChildren().specs).toBe(2);
    await expectRejectCode(sup.startChild({ id: 'd' } as never), 'ERR_INVALID_ARG');
    await expectRejectCode(sup.startChild(['x']), 'ERR_INVALID_ARG');
    expect(h.take()).toEqual(['start_failed c boom c']);
  });

  it('terminateChild stops the child and keeps its spec; restartChild starts it again', async () => {
    const { h, sup } = await running();
    await sup.terminateChild('a');
    expect(sup.whichChildren()).toEqual([
      { id: 'a', type: 'worker', restart: 'permanent', status: 'stopped', restarts: 0 },
      { id: 'b', type: 'worker', restart: 'permanent', status: 'running', restarts: 0 },
    ]);
    await sup.terminateChild('a'); // already stopped: fine, nothing happens
    await sup.restartChild('a');
    expect(h.take()).toEqual(['stop a', 'start a']);
    expect(sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  it('terminateChild removes a temporary child', async () => {
    const { h, sup } = await running();
    await sup.startChild(h.spec('t', { restart: 'temporary' }));
    await sup.terminateChild('t');
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'b']);
  });

  it('deleteChild removes a stopped spec', async () => {
    const { h, sup } = await running();
    await sup.terminateChild('b');
    await sup.deleteChild('b');
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a']);
    await expect(sup.startChild(h.spec('b'))).resolves.toBe('b');
  });

  it('error paths: unknown id, restarting or deleting a running child', async () => {
    const { sup } = await running();
    await expectRejectCode(sup.terminateChild('zz'), 'ERR_CHILD_NOT_FOUND');
    await expectRejectCode(sup.restartChild('zz'), 'ERR_CHILD_NOT_FOUND');
    await expectRejectCode(sup.deleteChild('zz'), 'ERR_CHILD_NOT_FOUND');
    await expectRejectCode(sup.restartChild('a'), 'ERR_CHILD_RUNNING');
    await expectRejectCode(sup.deleteChild('a'), 'ERR_CHILD_RUNNING');
  });

  it('restartChild of a child that fails to start rejects and leaves it stopped', async () => {
    const { h, sup } = await running();
    await sup.terminateChild('a');
    h.failing.add('a');
    await expectRejectCode(sup.restartChild('a'), 'ERR_CHILD_START');
    expect(sup.whichChildren()[0]?.status).toBe('stopped');
  });

  it('every call on a supervisor that is not running is ERR_SUPERVISOR_NOT_RUNNING', async () => {
    const h = new Harness();
    const idle = new Supervisor({ children: [h.spec('a')] });
    await expectRejectCode(idle.startChild(h.spec('b')), 'ERR_SUPERVISOR_NOT_RUNNING');
    const { sup } = await running(h);
    await sup.stop();
    await expectRejectCode(sup.startChild(h.spec('c')), 'ERR_SUPERVISOR_NOT_RUNNING');
    await expectRejectCode(sup.terminateChild('a'), 'ERR_SUPERVISOR_NOT_RUNNING');
    await expectRejectCode(sup.restartChild('a'), 'ERR_SUPERVISOR_NOT_RUNNING');
    await expectRejectCode(sup.deleteChild('a'), 'ERR_SUPERVISOR_NOT_RUNNING');
  });

  it('a call made before a queued stop runs refuses once its turn comes after the stop', async () => {
    const { h, sup } = await running();
    const stopping = sup.stop();
    await expectRejectCode(sup.startChild(h.spec('c')), 'ERR_SUPERVISOR_NOT_RUNNING');
    await stopping;
  });

  it('calls made during start() wait for it', async () => {
    const h = new Harness();
    const sup = new Supervisor({ children: [h.spec('a', { async: true })] });
    const started = sup.start();
    const added = sup.startChild(h.spec('b'));
    await started;
    await expect(added).resolves.toBe('b');
    expect(sup.whichChildren().map((c) => c.id)).toEqual(['a', 'b']);
  });
});

describe('simple_one_for_one', () => {
  function simple(h: Harness, restart: 'permanent' | 'transient' | 'temporary' = 'permanent') {
    return h.watch(
      new Supervisor({ name: 'pool', strategy: 'simple_one_for_one', children: [h.template('conn', { restart })] }),
    );
  }

  it('starts nothing at start(); startChild(args) starts instances of the template', async () => {
    const h = new Harness();
    const sup = simple(h);
    await sup.start();
    expect(sup.countChildren()).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 });
    await expect(sup.startChild(['x'])).resolves.toBe('conn#1');
    await expect(sup.startChild(['y'])).resolves.toBe('conn#2');
    expect(h.take()).toEqual(['start conn#1', 'start conn#2']);
    expect(sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  it('restarts a crashed instance alone, with the same args', async () => {
    const h = new Harness();
    const sup = simple(h);
    await sup.start();
    await sup.startChild(['x']);
    await sup.startChild(['y']);
    h.take();
    const y = h.child('y');
    h.child('x').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit conn#1 crash', 'restart conn#1', 'start conn#1']);
    expect(h.child('x').exited).toBeUndefined();
    expect(h.child('y')).toBe(y);
  });

  it('instances that exit for good are removed (transient normal, temporary)', async () => {
    const h = new Harness();
    const sup = simple(h, 'transient');
    await sup.start();
    await sup.startChild(['x']);
    h.child('x').finish();
    await sup.idle();
    expect(sup.whichChildren()).toEqual([]);
  });

  it('terminateChild removes the instance; restartChild/deleteChild are not supported', async () => {
    const h = new Harness();
    const sup = simple(h);
    await sup.start();
    const id = await sup.startChild(['x']);
    await expectRejectCode(sup.restartChild(id), 'ERR_INVALID_ARG');
    await expectRejectCode(sup.deleteChild(id), 'ERR_INVALID_ARG');
    await expectRejectCode(sup.startChild(h.spec('z')), 'ERR_INVALID_ARG');
    await sup.terminateChild(id);
    expect(sup.whichChildren()).toEqual([]);
  });

  it('stop() stops every instance concurrently (no particular order)', async () => {
    const h = new Harness();
    const sup = simple(h);
    await sup.start();
    await sup.startChild(['x']);
    await sup.startChild(['y']);
    h.take();
    await sup.stop();
    const log = h.take();
    expect(log.slice(0, 2).sort()).toEqual(['stop conn#1', 'stop conn#2']);
    expect(log[2]).toBe('terminated shutdown');
  });

  it('hits the restart intensity like any other strategy', async () => {
    const h = new Harness();
    const sup = h.watch(
      new Supervisor({ strategy: 'simple_one_for_one', intensity: 1, clock: () => 0, children: [h.template('c')] }),
    );
    await sup.start();
    await sup.startChild(['x']);
    await sup.startChild(['y']);
    h.take();
    h.child('x').crash();
    await sup.idle();
    h.child('y').crash();
    await sup.idle();
    expect(h.take()).toEqual([
      'exit c#1 crash',
      'restart c#1',
      'start c#1',
      'exit c#2 crash',
      'give_up c#2 2',
      'stop c#1',
      'terminated ERR_SUPERVISOR_SHUTDOWN',
    ]);
  });
});
