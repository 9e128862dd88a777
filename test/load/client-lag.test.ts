import { describe, expect, it } from 'vitest';
import { ClientLag } from '../../src/load/client-lag.js';

describe('ClientLag', () => {
  it('reports a blocked event loop and the GC pauses it saw', async () => {
    const lag = new ClientLag();
    lag.start();
    await new Promise((r) => setTimeout(r, 30));
    // Block the loop for 80 ms: the monitor's next tick is at least that late.
    const until = Date.now() + 80;
    while (Date.now() < until) {
      /* busy */
    }
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 30));
    lag.stop();
    const f = lag.findings();
    expect(Object.keys(f).sort()).toEqual([
      'clientEventLoopDelayMaxMs',
      'clientEventLoopDelayP99Ms',
      'clientGcPauseMaxMs',
      'clientGcPauseTotalMs',
    ]);
    expect(f.clientEventLoopDelayMaxMs).toBeGreaterThanOrEqual(60);
    expect(f.clientGcPauseTotalMs).toBeGreaterThanOrEqual(f.clientGcPauseMaxMs as number);
  });
});
