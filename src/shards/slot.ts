import { LatencyHistogram } from '../core/histogram.js';
import { type RingOptions, RingQueue } from '../core/ring.js';

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
  readonly latency = new LatencyHistogram();
  /** Taken from the queue, not yet all delivered; `cursor` is the next to deliver. */
  batch: Buffer[] = [];
  /** Enqueue time (performance.now) of each frame in `batch`. */
  batchTimes: number[] = [];
  cursor = 0;
  /** Enqueue times of frames still in the queue, in order (the queue holds bytes only). */
  #queuedAt: number[] = [];
  #queuedHead = 0;
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
  }

  /** The sequence number for the next message (wraps at 2^32; far more than a queue holds). */
  nextSeq(): number {
    const seq = this.#nextSeq;
    this.#nextSeq = (seq + 1) >>> 0;
    return seq;
  }

  /** Records the enqueue time of a frame just accepted into the queue. */
  stamp(at: number): void {
    this.#queuedAt.push(at);
  }

  /** Takes the enqueue times of the next `n` frames leaving the queue. */
  takeStamps(n: number): number[] {
    const head = this.#queuedHead;
    const out = this.#queuedAt.slice(head, head + n);
    this.#queuedHead = head + n;
    // Compact now and then instead of shifting on every take.
    if (this.#queuedHead > 4096 && this.#queuedHead * 2 > this.#queuedAt.length) {
      this.#queuedAt = this.#queuedAt.slice(this.#queuedHead);
      this.#queuedHead = 0;
    }
    return out;
  }

  /** Frames not yet delivered: still queued, or taken and pending in the batch. */
  get depth(): number {
    return this.queue.stats().depth + (this.batch.length - this.cursor);
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
