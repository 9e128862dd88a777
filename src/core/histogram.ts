import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { invalidArg } from './errors.js';

/** Options of {@link LatencyHistogram}. */
export interface HistogramOptions {
  /** Lowest discernible value in µs. Default 1. */
  lowestUs?: number;
  /** Highest trackable value in µs; larger values are clamped to it. Default 3600000000 (1 h). */
  highestUs?: number;
  /** Significant decimal digits kept, 1..5. Default 3. */
  sigfig?: number;
}

export interface HistogramSnapshot {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** An HdrHistogram of microseconds (the `hdrhistogram` crate), safe to share across workers. */
export class LatencyHistogram {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.LatencyHistogram>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: HistogramOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.LatencyHistogram(options);
    this.#id = this[NATIVE].id;
  }

  static open(name: string, options: HistogramOptions = {}): LatencyHistogram {
    return adopt(native.LatencyHistogram.open(name, options), () => new LatencyHistogram());
  }

  static forget(name: string): boolean {
    return native.LatencyHistogram.forget(name);
  }

  /** Records one value in µs (rounded to an integer). */
  record(us: number): void {
    native.histogramRecord(this.#id, us);
  }

  /** Records many values in one native call. */
  recordMany(values: Float64Array | readonly number[]): void {
    this[NATIVE].recordMany(values instanceof Float64Array ? values : Float64Array.from(values));
  }

  /** The value at percentile `p` (0..100). */
  percentile(p: number): number {
    return this[NATIVE].percentile(p);
  }

  percentiles(ps: readonly number[]): number[] {
    if (!Array.isArray(ps)) throw invalidArg('ps must be an array of numbers');
    return this[NATIVE].percentiles(ps as number[]);
  }

  /** Adds every value recorded in `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    if (!(other instanceof LatencyHistogram)) throw invalidArg('other must be a LatencyHistogram');
    this[NATIVE].merge(other[NATIVE]);
  }

  reset(): void {
    this[NATIVE].reset();
  }

  get count(): number {
    return this[NATIVE].snapshot().count;
  }

  snapshot(): HistogramSnapshot {
    return this[NATIVE].snapshot();
  }
}
