import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

/** Garbage-collection pauses seen during one sample window. */
export interface GcWindow {
  /** Collections that ended in the window. */
  count: number;
  /** Their pause times added up, in ms. */
  totalMs: number;
  /** The longest pause, in ms (0 when there was none). */
  maxMs: number;
}

/**
 * Watches V8's garbage collections through a PerformanceObserver on 'gc' entries and hands
 * out what it saw window by window ({@link take}). The observer is V8's own instrumentation,
 * so watching costs nothing per message; it only does work when a collection happens.
 */
export class GcSampler {
  #observer: PerformanceObserver | undefined;
  #count = 0;
  #totalMs = 0;
  #maxMs = 0;

  /** Starts observing; idempotent. */
  start(): void {
    if (this.#observer) return;
    this.#observer = new PerformanceObserver((list) => this.#add(list.getEntries()));
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Stops observing; entries not yet taken are kept for a last {@link take}. */
  stop(): void {
    const observer = this.#observer;
    if (!observer) return;
    this.#add(observer.takeRecords());
    observer.disconnect();
    this.#observer = undefined;
  }

  /** Counts one pause (the observer's callback; public so tests can feed exact durations). */
  record(durationMs: number): void {
    this.#count++;
    this.#totalMs += durationMs;
    if (durationMs > this.#maxMs) this.#maxMs = durationMs;
  }

  /** What happened since the previous take (or start), and starts a new window. */
  take(): GcWindow {
    // Entries are delivered to the callback asynchronously; collect the pending ones now so a
    // window holds every collection that ended before it closed.
    if (this.#observer) this.#add(this.#observer.takeRecords());
    const window = { count: this.#count, totalMs: this.#totalMs, maxMs: this.#maxMs };
    this.#count = 0;
    this.#totalMs = 0;
    this.#maxMs = 0;
    return window;
  }

  #add(entries: PerformanceEntry[]): void {
    for (const e of entries) this.record(e.duration);
  }
}
