/**
 * Polls the server's GET /health once a second while a run lasts. A server without the
 * endpoint (404, not JSON, other fields) is fine: its metrics are just unavailable and the
 * report says so.
 */
import { performance } from 'node:perf_hooks';
import { type HealthSample, parseHealth } from './health.js';
import { plainRequest } from './http-get.js';

/** How often the probe samples /health (ms). */
export const PROBE_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 2_000;

/** Memory, event-loop and GC figures of a run, from the probe's samples. */
export interface ServerFigures {
  memoryMb: { start: number; peak: number; end: number };
  eventLoopDelayP99Ms: { max: number };
  gcPauseMs: { max: number; total: number };
}

/** Polls /health; see the file comment. */
export class HealthProbe {
  /** Samples in time order. */
  readonly samples: HealthSample[] = [];
  /** Why /health is unusable, once known; undefined while it answers. */
  unavailable: string | undefined;
  readonly #base: URL;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  /** @param mcpUrl the MCP endpoint; /health is on the same origin. */
  constructor(mcpUrl: URL) {
    this.#base = mcpUrl;
  }

  /** The health URL. */
  get url(): string {
    return new URL('/health', this.#base).href;
  }

  /** Takes one sample now; undefined (and {@link unavailable} set) when /health does not answer usably. */
  async sample(): Promise<HealthSample | undefined> {
    const r = await plainRequest(this.#base, 'GET', '/health', PROBE_TIMEOUT_MS);
    const at = performance.now();
    if (r.error !== undefined) {
      // A timeout under load is a missed sample, not a missing endpoint.
      if (this.samples.length === 0) this.unavailable = `GET ${this.url} failed: ${r.error}`;
      return undefined;
    }
    if (r.status !== 200 && r.status !== 503) {
      this.unavailable = `GET ${this.url} answered HTTP ${r.status}`;
      return undefined;
    }
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      this.unavailable = `GET ${this.url} did not answer JSON`;
      return undefined;
    }
    const s = parseHealth(body, at);
    if (typeof s === 'string') {
      this.unavailable = `GET ${this.url}: ${s}`;
      return undefined;
    }
    this.unavailable = undefined;
    this.samples.push(s);
    return s;
  }

  /** Samples every second until {@link stop} (a slow answer skips a beat rather than piling up). */
  start(): void {
    if (this.#timer !== undefined || this.unavailable !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.sample().finally(() => {
        this.#busy = false;
      });
    }, PROBE_INTERVAL_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The latest sample taken at or after `since` (performance.now()), if any. */
  latestSince(since: number): HealthSample | undefined {
    const s = this.samples[this.samples.length - 1];
    return s !== undefined && s.at >= since ? s : undefined;
  }

  /** The latest sample. */
  get latest(): HealthSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Highest RSS sampled at or after `since`. */
  peakMemorySince(since: number): number | undefined {
    let peak: number | undefined;
    for (const s of this.samples) if (s.at >= since && (peak === undefined || s.memoryMb > peak)) peak = s.memoryMb;
    return peak;
  }

  /** Whole-run figures; undefined without samples. */
  figures(): ServerFigures | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined) return undefined;
    let peak = 0;
    let loop = 0;
    let pause = 0;
    for (const s of this.samples) {
      peak = Math.max(peak, s.memoryMb);
      loop = Math.max(loop, s.eventLoopP99Ms);
    }
    // The first sample's window may hold pauses from before the run; later windows do not.
    for (const s of this.samples.slice(1)) pause = Math.max(pause, s.gcPauseMs);
    const total = Math.max(0, last.gcPauseTotalMs - first.gcPauseTotalMs);
    return {
      memoryMb: { start: round(first.memoryMb), peak: round(peak), end: round(last.memoryMb) },
      eventLoopDelayP99Ms: { max: round(loop) },
      gcPauseMs: { max: round(Math.min(pause, total)), total: round(total) },
    };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
