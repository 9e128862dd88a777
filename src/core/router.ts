import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import type { AdmissionControl } from './admission.js';
import type { CircuitBreaker } from './breaker.js';
import type { TokenBuckets } from './bucket.js';
import { assertHandle, assertInt, invalidArg } from './errors.js';
import type { OperationTimings } from './op-timings.js';
import type { ShardedRegistry } from './registry.js';

/** Verdicts of {@link Router.admit}; the numbers are stable. */
export const AdmitCode = {
  OK: 0,
  RATE_LIMITED: 1,
  SHARD_OVERLOADED: 2,
  GLOBAL_OVERLOADED: 3,
  CIRCUIT_OPEN: 4,
  UNKNOWN_HANDLE: 5,
} as const;
export type AdmitCode = (typeof AdmitCode)[keyof typeof AdmitCode];

const NAMES = [
  'ok',
  'rate_limited',
  'shard_overloaded',
  'global_overloaded',
  'circuit_open',
  'unknown_handle',
] as const;
export type AdmitCodeName = (typeof NAMES)[number];

/** The snake_case name of an admit code ('ok', 'rate_limited', ...). */
export function admitCodeName(code: number): AdmitCodeName {
  const n = NAMES[code];
  if (n === undefined) throw invalidArg(`unknown admit code ${code}`);
  return n;
}

/** The parts a router composes. Registry and admission must have the same shard count. */
export interface RouterParts {
  registry: ShardedRegistry;
  buckets: TokenBuckets;
  admission: AdmissionControl;
  breaker: CircuitBreaker;
}

export interface RouterStats {
  /** Verdict counts by name. */
  verdicts: Record<AdmitCodeName, number>;
  completedOk: number;
  completedFailed: number;
}

function nativeParts(p: RouterParts) {
  if (!p?.registry || !p.buckets || !p.admission || !p.breaker) {
    throw invalidArg('router needs { registry, buckets, admission, breaker }');
  }
  return [p.registry[NATIVE], p.buckets[NATIVE], p.admission[NATIVE], p.breaker[NATIVE]] as const;
}

/**
 * The fast path: one native call per inbound message checks the sender's token bucket, its
 * shard's admission depth and the global breaker. An `OK` verdict holds an admission slot
 * (and, half open, a breaker trial) until {@link Router.complete}; any other verdict leaves
 * nothing held (a consumed token is refunded when a later check refuses).
 */
export class Router {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.Router>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(parts: RouterParts) {
    this[NATIVE] = takeAdopted() ?? new native.Router(...nativeParts(parts));
    this.#id = this[NATIVE].id;
  }

  /** The process-global router named `name` over these (named) parts. */
  static open(name: string, parts: RouterParts): Router {
    return adopt(native.Router.open(name, ...nativeParts(parts)), () => new Router(parts));
  }

  static forget(name: string): boolean {
    return native.Router.forget(name);
  }

  /**
   * Checks one message from `handle`. Returns an {@link AdmitCode}. No argument checks here
   * beyond the native ones: this is the per-message call.
   */
  admit(handle: number): AdmitCode {
    return native.routerAdmit(this.#id, handle) as AdmitCode;
  }

  /**
   * @internal ShardSet's submit: {@link admit}, then, when admitted, the shard frame
   * (`handle`, `seq`: src/shards/frame.ts) pushed to the ring with native id `ringId`, in one
   * native call. Answers the AdmitCode, or QUEUE_FULL (6) when the ring refused the frame:
   * its admission slot is then already given back.
   */
  admitEnqueue(ringId: number, handle: number, seq: number): number {
    return native.routerAdmitEnqueue(this.#id, ringId, handle, seq);
  }

  /** Checks many messages in one call; one code per handle. */
  admitMany(handles: Uint32Array): Uint8Array {
    if (!(handles instanceof Uint32Array)) throw invalidArg('handles must be a Uint32Array');
    return native.routerAdmitMany(this.#id, handles);
  }

  /**
   * Ends a message admitted for `handle`: releases its slot and tells the breaker the
   * outcome. Call it before unregistering the handle's key, or use {@link completeOnShard}.
   */
  complete(handle: number, success = true, latencyUs = -1): void {
    assertHandle(handle);
    native.routerComplete(this.#id, handle, success, latencyUs);
  }

  /** Like {@link complete} for a caller that kept the message's shard. */
  completeOnShard(shard: number, success = true, latencyUs = -1): void {
    assertInt('shard', shard, 0, 0xffffffff);
    native.routerCompleteOnShard(this.#id, shard, success, latencyUs);
  }

  /**
   * Like {@link completeOnShard} (`success` is what the breaker sees), and records the duration
   * under operation `op` of `timings` with outcome `opOk`, in the same native call: the whole
   * hot-path cost of per-method request metrics.
   */
  completeTimed(
    shard: number,
    success: boolean,
    latencyUs: number,
    timings: OperationTimings,
    op: number,
    opOk = success,
  ): void {
    native.routerCompleteTimed(this.#id, shard, success, latencyUs, timings.id, op, opOk);
  }

  stats(): RouterStats {
    const s = this[NATIVE].stats();
    const verdicts = {} as Record<AdmitCodeName, number>;
    NAMES.forEach((name, i) => {
      verdicts[name] = s.verdicts[i] ?? 0;
    });
    return { verdicts, completedOk: s.completedOk, completedFailed: s.completedFailed };
  }
}
