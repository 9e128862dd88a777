import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { invalidArg } from './errors.js';

/** Options of {@link RingQueue}. */
export interface RingOptions {
  /** Maximum frames held. Default 10000. */
  capacity?: number;
  /** Fill ratio from which `push` answers 'warn' (still accepted). Default 0.75. */
  warnAt?: number;
  /** Fill ratio from which `push` answers 'rejected'. Default 0.95. */
  rejectAt?: number;
}

/** Outcome of a push: accepted, accepted above `warnAt`, or refused at `rejectAt`. */
export type PushResult = 'ok' | 'warn' | 'rejected';

const PUSH_RESULTS: readonly PushResult[] = ['ok', 'warn', 'rejected'];

export interface RingStats {
  pushed: number;
  popped: number;
  rejected: number;
  /** Pushes accepted above warnAt. */
  warned: number;
  /** Highest depth seen. */
  highWater: number;
  depth: number;
  capacity: number;
}

/**
 * Frames taken by one {@link RingQueue.drain} call: all bytes in one Buffer, frame `i` is
 * `data[ends[i-1] ?? 0 .. ends[i]]`. Frames are views, not copies.
 */
export class DrainedFrames implements Iterable<Buffer> {
  constructor(
    /** All drained bytes, back to back. */
    readonly data: Buffer,
    /** End offset of each frame in `data`. */
    readonly ends: Uint32Array,
  ) {}

  /** Number of frames. */
  get count(): number {
    return this.ends.length;
  }

  /** Frame `i` as a view into `data`. */
  frame(i: number): Buffer {
    const end = this.ends[i];
    if (end === undefined) throw new RangeError(`frame ${i} out of range (count ${this.ends.length})`);
    return this.data.subarray(i === 0 ? 0 : (this.ends[i - 1] as number), end);
  }

  *[Symbol.iterator](): Iterator<Buffer> {
    let start = 0;
    for (const end of this.ends) {
      yield this.data.subarray(start, end);
      start = end;
    }
  }
}

/**
 * Bounded multi-producer multi-consumer queue of byte frames, in Rust and safe across
 * worker_threads (`RingQueue.open(name)`). Never grows past capacity and never blocks.
 */
export class RingQueue {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.RingQueue>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: RingOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.RingQueue(options);
    this.#id = this[NATIVE].id;
  }

  /** The process-global queue named `name`, created with `options` on first open. */
  static open(name: string, options: RingOptions = {}): RingQueue {
    return adopt(native.RingQueue.open(name, options), () => new RingQueue());
  }

  static forget(name: string): boolean {
    return native.RingQueue.forget(name);
  }

  /** Copies `frame` into the queue. */
  push(frame: Uint8Array | string): PushResult {
    const bytes = typeof frame === 'string' ? Buffer.from(frame) : frame;
    if (!(bytes instanceof Uint8Array)) throw invalidArg('frame must be a Uint8Array, Buffer or string');
    return PUSH_RESULTS[native.ringPush(this.#id, bytes)] as PushResult;
  }

  /**
   * Pushes frames in order in one native call, stopping at the first rejection.
   * Returns how many were accepted and the outcome of the last push attempted.
   */
  pushMany(frames: readonly Uint8Array[]): { accepted: number; last: PushResult } {
    if (!Array.isArray(frames)) throw invalidArg('frames must be an array of Uint8Array');
    const ends = new Uint32Array(frames.length);
    let total = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (!(f instanceof Uint8Array)) throw invalidArg(`frames[${i}] must be a Uint8Array`);
      total += f.byteLength;
      ends[i] = total;
    }
    const packed = native.ringPushMany(this.#id, Buffer.concat(frames, total), ends);
    return { accepted: Math.floor(packed / 4), last: PUSH_RESULTS[packed % 4] as PushResult };
  }

  /** Removes and returns the oldest frame, or undefined when empty. */
  pop(): Buffer | undefined {
    return native.ringPop(this.#id) ?? undefined;
  }

  /** Removes up to `max` frames in one native call. */
  drain(max: number = this.capacity): DrainedFrames {
    if (!Number.isInteger(max) || max < 0) throw invalidArg(`max must be a non-negative integer, got ${max}`);
    const d = native.ringDrain(this.#id, Math.min(max, 0xffffffff));
    return new DrainedFrames(d.data, d.ends);
  }

  /**
   * Removes up to `max` frames (at most `ends.length`) into the caller's arrays, in one
   * native call that allocates nothing: the frames back to back in `data`, frame `i` ending at
   * `ends[i]` (the first starts at 0). Returns the count. A frame that does not fit the space
   * left stays first in line for the next pop or drain; ERR_INVALID_ARG (nothing taken) when
   * `data` cannot hold even the next frame. For consumers that drain often: {@link drain}
   * creates two ArrayBuffers per call.
   */
  drainTo(data: Uint8Array, ends: Uint32Array, max: number = ends.length): number {
    if (!(data instanceof Uint8Array)) throw invalidArg('data must be a Uint8Array or Buffer');
    if (!(ends instanceof Uint32Array)) throw invalidArg('ends must be a Uint32Array');
    if (!Number.isInteger(max) || max < 0) throw invalidArg(`max must be a non-negative integer, got ${max}`);
    return native.ringDrainTo(this.#id, Math.min(max, 0xffffffff), data, ends);
  }

  /** Frames currently queued. */
  get depth(): number {
    return this[NATIVE].depth;
  }

  get capacity(): number {
    return this[NATIVE].capacity;
  }

  stats(): RingStats {
    return this[NATIVE].stats();
  }

  /** Drops every queued frame; returns how many. */
  clear(): number {
    return this[NATIVE].clear();
  }
}
