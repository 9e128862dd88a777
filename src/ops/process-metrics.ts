import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';

let shared: Metric[] | undefined;

/**
 * Adds prom-client's default metrics (process_*, nodejs_*: CPU, memory, heap spaces, event-loop
 * lag, GC, handles, fds) to `registry`. They describe the process, so one set is collected per
 * process and shared by every registry: a second server in the same process adds no second GC
 * observer or event-loop monitor (collectDefaultMetrics starts new ones on every call and never
 * stops them), and nothing lands in prom-client's global registry.
 */
export function addProcessMetrics(registry: Registry): void {
  if (shared === undefined) {
    const own = new Registry();
    collectDefaultMetrics({ register: own });
    // getMetricsAsArray() is typed as plain objects; they are the metric instances just created.
    shared = own.getMetricsAsArray() as unknown as Metric[];
  }
  for (const m of shared) registry.registerMetric(m);
}
