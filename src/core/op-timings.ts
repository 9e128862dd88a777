import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { assertInt, invalidArg } from './errors.js';

/** Counters of one (operation, outcome) pair; see {@link OperationTimings.snapshot}. */
export interface OperationSeries {
  /** Operation index. */
  op: number;
  ok: boolean;
  /** Per-bucket counts, non-cumulative; the last entry is above the top bound. */
  counts: number[];
  /** Sum of recorded durations in µs. */
  sumUs: number;
  /** Recorded operations (the sum of `counts`). */
  count: number;
}

function checkShape(ops: number, boundsUs: readonly number[]): void {
  assertInt('ops', ops, 1, 1024);
  if (!Array.isArray(boundsUs) || boundsUs.length === 0) throw invalidArg('boundsUs must be a non-empty array');
}

/**
 * Native duration histograms per operation and outcome, with fixed bucket bounds (for
 * Prometheus exposition). Recording happens inside {@link Router.completeTimed}, in the
 * native call that ends the request anyway; reading is for scrapes.
 *
 * `new OperationTimings()` is a private table; {@link OperationTimings.open} is the
 * process-wide one of a name, which every worker_thread records into.
 */
export class OperationTimings {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.OpTimings>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly id: number;
  readonly ops: number;
  /** Bucket upper bounds in µs, strictly ascending. */
  readonly boundsUs: readonly number[];

  /** `ops` operations (1..1024); an index beyond the last counts as the last. */
  constructor(ops: number, boundsUs: readonly number[]) {
    checkShape(ops, boundsUs);
    this[NATIVE] = takeAdopted() ?? new native.OpTimings(ops, [...boundsUs]);
    this.id = this[NATIVE].id;
    this.ops = ops;
    this.boundsUs = Object.freeze([...boundsUs]);
  }

  /**
   * The process-wide table named `name`: every worker_thread that opens it gets the same
   * native counters, so a snapshot in any of them covers the requests of all. Created with
   * this shape if absent; ERR_OPTIONS_MISMATCH if it exists with other `ops` or `boundsUs`.
   */
  static open(name: string, ops: number, boundsUs: readonly number[]): OperationTimings {
    if (typeof name !== 'string' || name === '')
      throw invalidArg('OperationTimings.open: name must be a non-empty string');
    checkShape(ops, boundsUs);
    return adopt(native.OpTimings.open(name, ops, [...boundsUs]), () => new OperationTimings(ops, boundsUs));
  }

  /** Forgets the table named `name` (true if it existed); tables already open keep counting. */
  static forget(name: string): boolean {
    return native.OpTimings.forget(name);
  }

  /** Every (operation, outcome) series, including empty ones, ordered by op then ok first. */
  snapshot(): OperationSeries[] {
    const raw = this[NATIVE].snapshot();
    const buckets = this.boundsUs.length + 1;
    const sums = this.ops * 2 * buckets;
    const out: OperationSeries[] = [];
    for (let op = 0; op < this.ops; op++) {
      for (let outcome = 0; outcome < 2; outcome++) {
        const series = op * 2 + outcome;
        const counts = Array.from(raw.subarray(series * buckets, (series + 1) * buckets));
        out.push({
          op,
          ok: outcome === 0,
          counts,
          sumUs: raw[sums + series] as number,
          count: counts.reduce((a, b) => a + b, 0),
        });
      }
    }
    return out;
  }
}
