/**
 * The control plane's extended readings (GC pauses, throughput, errors over the last minute),
 * sampled from the gate's native counters by the health monitor and the metrics aggregator.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlReadings, controlPlane } from '../../src/app/control-plane.js';
import { AdmitCode } from '../../src/core/router.js';
import { Gate } from '../../src/mcp/gate.js';
import type { Supervisor } from '../../src/supervision/supervisor.js';
import { until } from './fixture.js';

const planes: Supervisor[] = [];
afterEach(async () => {
  for (const p of planes.splice(0)) await p.stop();
});

async function start(gate: Gate, onSample?: (w: 'health' | 'metrics') => void) {
  const readings: ControlReadings = {};
  const plane = controlPlane({ gate, readings, logger: pino({ level: 'silent' }), periodMs: 20, onSample });
  planes.push(plane);
  await plane.start();
  return { readings, plane };
}

describe('control-plane readings', () => {
  it('counts refused and failed requests of the last minute and the completions per second', async () => {
    const gate = new Gate({ shards: 1, bucket: { capacity: 3, refillPerSec: 1 } });
    const { readings } = await start(gate);
    const { handle } = gate.open('s');
    const verdicts = Array.from({ length: 7 }, () => gate.router.admit(handle));
    expect(verdicts.filter((v) => v === AdmitCode.OK).length).toBe(3);
    gate.router.complete(handle, true);
    gate.router.complete(handle, true);
    gate.router.complete(handle, false);
    await until(() => readings.metrics?.errors1m === 5);
    expect(readings.metrics).toMatchObject({
      sessions: 1,
      inFlight: 0,
      admitted: 3,
      rateLimited: 4,
      refused: 4,
      completedOk: 2,
      completedFailed: 1,
      errors1m: 5, // 4 rate limited + 1 failed
    });
    // Nothing completes any more: the next samples see no throughput.
    await until(() => readings.metrics?.throughputMsgSec === 0);
    expect(readings.window?.errorsInSpan()).toBe(5);
  });

  it('a restarted aggregator continues the same minute (the window lives in the readings)', async () => {
    let crash = false;
    const gate = new Gate({ shards: 1, bucket: { capacity: 1, refillPerSec: 1 } });
    const { readings, plane } = await start(gate, (worker) => {
      if (worker === 'metrics' && crash) {
        crash = false;
        throw new Error('aggregator bug');
      }
    });
    const { handle } = gate.open('s');
    gate.router.admit(handle);
    gate.router.admit(handle); // rate limited
    gate.router.complete(handle, false);
    await until(() => readings.metrics?.errors1m === 2);
    const window = readings.window;
    let restarted = false;
    plane.on('event', (e) => {
      if (e.type === 'restart') restarted = true;
    });
    crash = true;
    await until(() => restarted);
    gate.router.admit(handle); // rate limited
    await until(() => readings.metrics?.errors1m === 3);
    expect(readings.window).toBe(window);
  });

  it('records GC pauses: the longest of the window, and totals since start', async () => {
    const { readings } = await start(new Gate({ shards: 1 }));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await until(() => {
      gc();
      return (readings.health?.gcCount ?? 0) >= 2;
    });
    const h = readings.health;
    expect(h?.gcPauseTotalMs).toBeGreaterThan(0);
    expect(h?.gcPauseMaxMs).toBeGreaterThanOrEqual(0);
    expect(h?.gcPauseMaxMs).toBeLessThanOrEqual(h?.gcPauseTotalMs ?? 0);
    const total = h?.gcPauseTotalMs ?? 0;
    const count = h?.gcCount ?? 0;
    gc();
    await until(() => (readings.health?.gcCount ?? 0) > count);
    expect(readings.health?.gcPauseTotalMs).toBeGreaterThan(total);
  });
});
