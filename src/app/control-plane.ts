import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Gate } from '../mcp/gate.js';
import type { Logger } from '../ops/logger.js';
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
  };
  breaker?: { state: string; since: number; opened: number };
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

/** Samples memory and event-loop delay (what /health will report). */
function healthMonitor(o: ControlPlaneOptions, periodMs: number): Child {
  return taskChild(async (signal) => {
    const delay = monitorEventLoopDelay({ resolution: 20 });
    delay.enable();
    try {
      await every(periodMs, signal, () => {
        o.onSample?.('health');
        const m = process.memoryUsage();
        o.readings.health = {
          at: Date.now(),
          rssMb: Math.round(m.rss / 2 ** 20),
          heapUsedMb: Math.round(m.heapUsed / 2 ** 20),
          eventLoopDelayP99Ms: Math.round(delay.percentile(99) / 1e4) / 100,
        };
        delay.reset();
      });
    } finally {
      delay.disable();
    }
  });
}

/** Reads the native counters into one snapshot per period (nothing on the per-message path). */
function metricsAggregator(o: ControlPlaneOptions, periodMs: number): Child {
  return taskChild((signal) =>
    every(periodMs, signal, () => {
      o.onSample?.('metrics');
      const r = o.gate.router.stats();
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
      };
    }),
  );
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
