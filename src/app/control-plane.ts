import { performance } from 'node:perf_hooks';
import type { RouterStats } from '../core/router.js';
import type { Gate } from '../mcp/gate.js';
import { CounterWindow } from '../ops/counter-window.js';
import { GcSampler } from '../ops/gc.js';
import type { Logger } from '../ops/logger.js';
import { loopDelayMonitor, loopLagMs } from '../ops/loop-delay.js';
import { taskChild } from '../supervision/adapters.js';
import type { Child } from '../supervision/child.js';
import { ExitNotifier } from '../supervision/exit-notifier.js';
import { Supervisor } from '../supervision/supervisor.js';

/** The latest readings of the control plane; kept outside its workers so restarts lose nothing. */
export interface ControlReadings {
  health?: {
    at: number;
    rssMb: number;
    heapUsedMb: number;
    eventLoopDelayP99Ms: number;
    /** Longest GC pause of the last sample window, in ms. */
    gcPauseMaxMs: number;
    /** GC pauses added up since the control plane started, in ms. */
    gcPauseTotalMs: number;
    /** Collections since the control plane started. */
    gcCount: number;
  };
  metrics?: {
    at: number;
    sessions: number;
    inFlight: number;
    admitted: number;
    rateLimited: number;
    overloaded: number;
    circuitOpen: number;
    completedOk: number;
    completedFailed: number;
    /** Requests refused: rateLimited + overloaded + circuitOpen. */
    refused: number;
    /** Requests completed (ok or failed) per second over the last sample window. */
    throughputMsgSec: number;
    /** Requests refused or failed over the last 60 s. */
    errors1m: number;
  };
  breaker?: { state: string; since: number; opened: number };
  /**
   * @internal The last minute of counter snapshots behind throughputMsgSec and errors1m;
   * kept here, not in the aggregator, so a restarted aggregator continues the same minute.
   */
  window?: CounterWindow;
}

export interface ControlPlaneOptions {
  gate: Gate;
  readings: ControlReadings;
  logger: Logger;
  /** Sampling period of the health monitor and the metrics aggregator (default 1,000 ms). */
  periodMs?: number;
  /** @internal fault injection: called at every sample; throwing crashes that worker. */
  onSample?: (worker: 'health' | 'metrics') => void;
}

function every(periodMs: number, signal: AbortSignal, sample: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        sample();
      } catch (err) {
        clearInterval(timer);
        reject(err);
      }
    }, periodMs);
    timer.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        resolve();
      },
      { once: true },
    );
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Samples memory, event-loop delay and GC pauses (what /health reports). */
function healthMonitor(o: ControlPlaneOptions, periodMs: number): Child {
  return taskChild(async (signal) => {
    const delay = loopDelayMonitor();
    const gc = new GcSampler();
    delay.enable();
    gc.start();
    try {
      await every(periodMs, signal, () => {
        o.onSample?.('health');
        const m = process.memoryUsage();
        const g = gc.take();
        const before = o.readings.health;
        o.readings.health = {
          at: Date.now(),
          rssMb: Math.round(m.rss / 2 ** 20),
          heapUsedMb: Math.round(m.heapUsed / 2 ** 20),
          eventLoopDelayP99Ms: loopLagMs(delay.percentile(99)),
          gcPauseMaxMs: round2(g.maxMs),
          gcPauseTotalMs: round2((before?.gcPauseTotalMs ?? 0) + g.totalMs),
          gcCount: (before?.gcCount ?? 0) + g.count,
        };
        delay.reset();
      });
    } finally {
      gc.stop();
      delay.disable();
    }
  });
}

/** Requests refused by admission (rate limit, overload, breaker) in router stats. */
function refusedOf(r: RouterStats): number {
  const v = r.verdicts;
  return v.rate_limited + v.shard_overloaded + v.global_overloaded + v.circuit_open;
}

/**
 * Reads the native counters into one snapshot per period (nothing on the per-message path),
 * and derives throughput and errors over the last minute from the counters' differences.
 */
function metricsAggregator(o: ControlPlaneOptions, periodMs: number): Child {
  return taskChild((signal) => {
    o.readings.window ??= new CounterWindow(60_000);
    const window = o.readings.window;
    // The first window starts now, not at the first sample.
    const r0 = o.gate.router.stats();
    window.push(performance.now(), r0.completedOk + r0.completedFailed, refusedOf(r0) + r0.completedFailed);
    return every(periodMs, signal, () => {
      o.onSample?.('metrics');
      const r = o.gate.router.stats();
      const refused = refusedOf(r);
      window.push(performance.now(), r.completedOk + r.completedFailed, refused + r.completedFailed);
      o.readings.metrics = {
        at: Date.now(),
        sessions: o.gate.sessions,
        inFlight: o.gate.admission.stats().globalDepth,
        admitted: r.verdicts.ok,
        rateLimited: r.verdicts.rate_limited,
        overloaded: r.verdicts.shard_overloaded + r.verdicts.global_overloaded,
        circuitOpen: r.verdicts.circuit_open,
        completedOk: r.completedOk,
        completedFailed: r.completedFailed,
        refused,
        throughputMsgSec: Math.round(window.completedPerSec() * 10) / 10,
        errors1m: window.errorsInSpan(),
      };
    });
  });
}

/** Logs every breaker transition (warn when it opens) and records the current state. */
function breakerMonitor(o: ControlPlaneOptions): Child {
  const exit = new ExitNotifier();
  const s = o.gate.breaker.stats();
  o.readings.breaker = { state: s.state, since: Date.now(), opened: s.opened };
  const unsubscribe = o.gate.breaker.onStateChange(({ from, to }) => {
    o.readings.breaker = { state: to, since: Date.now(), opened: o.gate.breaker.stats().opened };
    const line = { breaker: { from, to } };
    if (to === 'open') o.logger.warn(line, 'circuit breaker opened: requests are refused with -32013');
    else o.logger.info(line, `circuit breaker ${to}`);
  });
  return {
    stop() {
      unsubscribe();
      exit.exit('shutdown');
    },
    onExit: (listener) => exit.onExit(listener),
  };
}

/**
 * The control plane (rest_for_one): health monitor, metrics aggregator, breaker monitor. It
 * only reads the data path's native counters; a crash here restarts control-plane workers
 * and nothing else.
 */
export function controlPlane(o: ControlPlaneOptions): Supervisor {
  const periodMs = o.periodMs ?? 1_000;
  return new Supervisor({
    name: 'control',
    strategy: 'rest_for_one',
    logger: o.logger,
    children: [
      { id: 'health', start: () => healthMonitor(o, periodMs) },
      { id: 'metrics', start: () => metricsAggregator(o, periodMs) },
      { id: 'breaker', start: () => breakerMonitor(o) },
    ],
  });
}
