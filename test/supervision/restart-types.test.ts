import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/supervision/supervisor.js';
import { Harness } from './fakes.js';

async function single(restart: 'permanent' | 'transient' | 'temporary') {
  const h = new Harness();
  const sup = h.watch(new Supervisor({ children: [h.spec('w', { restart })] }));
  await sup.start();
  h.take();
  return { h, sup };
}

describe('restart types', () => {
  it('permanent: restarted after a crash and after a normal exit', async () => {
    const { h, sup } = await single('permanent');
    h.child('w').crash();
    await sup.idle();
    h.child('w').finish();
    await sup.idle();
    expect(h.take()).toEqual(['exit w crash', 'restart w', 'start w', 'exit w normal', 'restart w', 'start w']);
    expect(sup.whichChildren()).toEqual([
      { id: 'w', type: 'worker', restart: 'permanent', status: 'running', restarts: 2 },
    ]);
  });

  it('transient: restarted after a crash only; a normal exit keeps the spec, stopped', async () => {
    const { h, sup } = await single('transient');
    h.child('w').crash();
    await sup.idle();
    h.child('w').finish();
    await sup.idle();
    expect(h.take()).toEqual(['exit w crash', 'restart w', 'start w', 'exit w normal']);
    expect(sup.whichChildren()).toEqual([
      { id: 'w', type: 'worker', restart: 'transient', status: 'stopped', restarts: 1 },
    ]);
    expect(sup.countChildren()).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 });
  });

  it("transient: an exit with reason 'shutdown' is normal too", async () => {
    const { h, sup } = await single('transient');
    // A child that stops itself reports 'shutdown' through its own exit.
    h.child('w').stop();
    await sup.idle();
    expect(h.take()).toEqual(['exit w shutdown']);
  });

  it('temporary: never restarted, and its spec is removed on exit', async () => {
    const { h, sup } = await single('temporary');
    h.child('w').crash();
    await sup.idle();
    expect(h.take()).toEqual(['exit w crash']);
    expect(sup.whichChildren()).toEqual([]);
  });

  it('an exit reported after the child was replaced is ignored', async () => {
    const { h, sup } = await single('permanent');
    const first = h.child('w');
    first.crash();
    await sup.idle();
    h.take();
    // The old instance cannot exit twice (ExitNotifier), and a new exit of the old one is stale anyway.
    first.crash('again');
    await sup.idle();
    expect(h.take()).toEqual([]);
  });
});
