import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { assertInt } from './errors.js';

/** Options of {@link AdmissionControl}. */
export interface AdmissionOptions {
  /** Number of shards, 1..1024. Default 64. */
  shards?: number;
  /** Messages in flight allowed per shard. Default 10000. */
  maxPerShard?: number;
  /** Messages in flight allowed over all shards. Default 500000. */
  maxGlobal?: number;
}

export type AdmitResult = 'ok' | 'shard_overloaded' | 'global_overloaded';

const ADMIT_RESULTS: readonly AdmitResult[] = ['ok', 'shard_overloaded', 'global_overloaded'];

export interface AdmissionStats {
  shards: number;
  globalDepth: number;
  maxPerShard: number;
  maxGlobal: number;
  perShardDepth: number[];
  admitted: number;
  shardRejected: number;
  globalRejected: number;
}

/**
 * Per-shard in-flight accounting with a global ceiling, in Rust. One overloaded shard never
 * affects another: each shard has its own counter and limit.
 */
export class AdmissionControl {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.AdmissionControl>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: AdmissionOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.AdmissionControl(options);
    this.#id = this[NATIVE].id;
  }

  static open(name: string, options: AdmissionOptions = {}): AdmissionControl {
    return adopt(native.AdmissionControl.open(name, options), () => new AdmissionControl());
  }

  static forget(name: string): boolean {
    return native.AdmissionControl.forget(name);
  }

  /** Takes one slot on `shard`, or says which limit refused it (nothing taken then). */
  admit(shard: number): AdmitResult {
    assertInt('shard', shard, 0, 0xffffffff);
    return ADMIT_RESULTS[native.admissionAdmit(this.#id, shard)] as AdmitResult;
  }

  /** Returns `n` slots of `shard`. ERR_RELEASE_UNDERFLOW (and no change) if fewer are held. */
  release(shard: number, n = 1): void {
    assertInt('shard', shard, 0, 0xffffffff);
    assertInt('n', n, 0, 0xffffffff);
    native.admissionRelease(this.#id, shard, n);
  }

  /** Slots held on `shard`. */
  depth(shard: number): number {
    assertInt('shard', shard, 0, 0xffffffff);
    return this[NATIVE].depth(shard);
  }

  /** Slots held over all shards. */
  get globalDepth(): number {
    return this[NATIVE].globalDepth;
  }

  stats(): AdmissionStats {
    return this[NATIVE].stats();
  }
}
