import { LatencyHistogram } from '../core/histogram.js';
import { type RingOptions, RingQueue } from '../core/ring.js';
import { NATIVE } from '../native.js';
import { FRAME_BYTES } from './frame.js';

/** How many frames one drain step takes from the native queue (one native call). */
export const BATCH = 256;

/** Counters of one shard, kept across manager restarts. */
export interface ShardStats {
  shard: number;
  /** Frames accepted into the queue. */
  accepted: number;
  /** Messages refused: by admission (rate limit, overload, breaker) or because the queue was full. */
  rejected: number;
  /** Of `rejected`: admitted, then refused because the queue was at its reject mark. */
  queueFull: number;
  /** Frames handed to their destination. */
  delivered: number;
  /** Frames whose destination was gone (its session closed after they were accepted). */
  orphaned: number;
  /** Frames whose destination threw (the destination's error, not the manager's). */
  failed: number;
  /** Frames waiting in the queue plus those taken but not yet delivered. */
  depth: number;
  /** Times this shard's manager crashed and was restarted. */
  restarts: number;
  /** Destinations (sessions) registered on this shard. */
  sessions: number;
  /** Queue-to-delivery latency in µs. */
  latencyP50Us: number;
  latencyP99Us: number;
}

/**
 * Everything about a shard that must outlive its manager: the native queue of accepted
 * frames, the batch taken from it and how far delivery got (so a manager that crashes
 * mid-batch is followed by one that continues at the same frame: nothing lost, nothing
 * delivered twice), the counters and the latency histogram.
 */
export class ShardSlot {
  readonly shard: number;
  readonly queue: RingQueue;
  /** The queue's native id, for Router.admitEnqueue. */
  readonly ringId: number;
  readonly latency = new LatencyHistogram();
  /**
   * The batch taken from the queue, in arrays of the slot's own that every drain reuses
   * (RingQueue.drainTo): frame `i` ends at `#ends[i]` in `#frames`. `cursor` is the next frame
   * to deliver, `batchCount` how many the batch holds.
   */
  readonly #frames = new Uint8Array(BATCH * FRAME_BYTES);
  readonly #view = new DataView(this.#frames.buffer);
  readonly #ends = new Uint32Array(BATCH);
  batchCount = 0;
  cursor = 0;
  /** Frames accepted into the queue and not yet taken (the queue is this slot's alone). */
  #queued = 0;
  /**
   * Enqueue times (performance.now) of the frames taken and still queued, in order (the
   * queue holds bytes only); the current batch's start at `#batchStart`.
   */
  #queuedAt: number[] = [];
  #queuedHead = 0;
  #batchStart = 0;
  /** Accepted messages by sequence number, until delivered (see frame.ts). */
  readonly items = new Map<number, unknown>();
  #nextSeq = 0;
  accepted = 0;
  rejected = 0;
  queueFull = 0;
  delivered = 0;
  orphaned = 0;
  failed = 0;
  restarts = 0;
  sessions = 0;

  constructor(shard: number, queue: RingOptions) {
    this.shard = shard;
    this.queue = new RingQueue(queue);
    this.ringId = this.queue[NATIVE].id;
  }

  /** The sequence number for the next message (wraps at 2^32; far more than a queue holds). */
  nextSeq(): number {
    const seq = this.#nextSeq;
    this.#nextSeq = (seq + 1) >>> 0;
    return seq;
  }

  /** Records a frame just accepted into the queue, with its enqueue time. */
  queued(at: number): void {
    this.#queued++;
    this.#queuedAt.push(at);
  }

  /**
   * Takes the next batch from the queue into the slot's arrays (one native call, none when
   * nothing is queued); false when there was nothing to take.
   */
  takeBatch(): boolean {
    if (this.#queued === 0) return false;
    const n = this.queue.drainTo(this.#frames, this.#ends, BATCH);
    this.#queued -= n;
    // Compact the stamps now and then instead of shifting on every take.
    if (this.#queuedHead > 4096 && this.#queuedHead * 2 > this.#queuedAt.length) {
      this.#queuedAt = this.#queuedAt.slice(this.#queuedHead);
      this.#queuedHead = 0;
    }
    this.#batchStart = this.#queuedHead;
    this.#queuedHead += n;
    this.batchCount = n;
    this.cursor = 0;
    return n > 0;
  }

  /** The handle of the batch's frame `i` (see frame.ts for the layout). */
  frameHandle(i: number): number {
    return this.#view.getUint32(this.#frameStart(i), true);
  }

  /** The sequence number of the batch's frame `i`. */
  frameSeq(i: number): number {
    return this.#view.getUint32(this.#frameStart(i) + 4, true);
  }

  /** The enqueue time of the batch's frame `i`, if known. */
  stampOf(i: number): number | undefined {
    return this.#queuedAt[this.#batchStart + i];
  }

  #frameStart(i: number): number {
    return i === 0 ? 0 : (this.#ends[i - 1] as number);
  }

  /** Frames not yet delivered: still queued, or taken and pending in the batch. */
  get depth(): number {
    return this.#queued + (this.batchCount - this.cursor);
  }

  stats(): ShardStats {
    const [p50, p99] = this.latency.count === 0 ? [0, 0] : this.latency.percentiles([50, 99]);
    return {
      shard: this.shard,
      accepted: this.accepted,
      rejected: this.rejected,
      queueFull: this.queueFull,
      delivered: this.delivered,
      orphaned: this.orphaned,
      failed: this.failed,
      depth: this.depth,
      restarts: this.restarts,
      sessions: this.sessions,
      latencyP50Us: p50 ?? 0,
      latencyP99Us: p99 ?? 0,
    };
  }
}
