import type { IntervalHistogram } from 'node:perf_hooks';
import { GcSampler } from '../ops/gc.js';
import { loopDelayMonitor, loopLagMs } from '../ops/loop-delay.js';

/**
 * The load generator's own event-loop delay and GC pauses over a run, measured the way the
 * server measures its own (src/ops). Latency is measured from each request's scheduled send
 * time, so a stalled generator inflates it; these figures (in the report's findings) tell a
 * reader whether a latency spike was the server's or ours.
 */
export class ClientLag {
  readonly #delay: IntervalHistogram = loopDelayMonitor();
  readonly #gc = new GcSampler();

  start(): void {
    this.#delay.enable();
    this.#gc.start();
  }

  stop(): void {
    this.#delay.disable();
    this.#gc.stop();
  }

  /** Findings: loop lag p99 and max, GC pause max and total (ms); call once, after the run. */
  findings(): Record<string, number> {
    const any = this.#delay.count > 0;
    const gc = this.#gc.take();
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      clientEventLoopDelayP99Ms: any ? loopLagMs(this.#delay.percentile(99)) : 0,
      clientEventLoopDelayMaxMs: any ? loopLagMs(this.#delay.max) : 0,
      clientGcPauseMaxMs: round(gc.maxMs),
      clientGcPauseTotalMs: round(gc.totalMs),
    };
  }
}
