import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** Tick of the event-loop delay monitor in ms (the histogram records whole tick intervals). */
const RESOLUTION_MS = 10;

/**
 * The load generator's own event-loop delay and GC pauses over a run. Latency is measured
 * from each request's scheduled send time, so a stalled generator inflates it; these figures
 * (in the report's findings) tell a reader whether a latency spike was the server's or ours.
 */
export class ClientLag {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #gc: PerformanceObserver;
  #gcMaxMs = 0;
  #gcTotalMs = 0;

  constructor() {
    this.#gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#gcTotalMs += e.duration;
        if (e.duration > this.#gcMaxMs) this.#gcMaxMs = e.duration;
      }
    });
  }

  start(): void {
    this.#delay.enable();
    this.#gc.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.#delay.disable();
    this.#gc.disconnect();
  }

  /** Findings: loop lag p99 and max beyond the monitor's tick, GC pause max and total (ms). */
  findings(): Record<string, number> {
    const lag = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const any = this.#delay.count > 0;
    return {
      clientEventLoopDelayP99Ms: any ? lag(this.#delay.percentile(99)) : 0,
      clientEventLoopDelayMaxMs: any ? lag(this.#delay.max) : 0,
      clientGcPauseMaxMs: round(this.#gcMaxMs),
      clientGcPauseTotalMs: round(this.#gcTotalMs),
    };
  }
}
