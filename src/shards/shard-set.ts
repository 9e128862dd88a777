import { invalidArg } from '../core/errors.js';
import type { ShardedRegistry } from '../core/registry.js';
import type { RingOptions } from '../core/ring.js';
import { AdmitCode, type Router } from '../core/router.js';
import type { Logger } from '../ops/logger.js';
import { Supervisor } from '../supervision/supervisor.js';
import { type Destinations, ShardManager } from './manager.js';
import { ShardSlot, type ShardStats } from './slot.js';

export interface ShardSetOptions {
  /** The registry whose shards these are (one manager per registry shard). */
  registry: ShardedRegistry;
  /** The router every submitted message is admitted by (one native call per message). */
  router: Router;
  /** Capacity of each shard's queue (default 10,000, the seeds' bounded queue). */
  queueCapacity?: number;
  /**
   * Fill marks of each shard's queue as fractions of its capacity (default warn 0.75, reject
   * 0.95, the seeds'): past `rejectAt` new messages are refused as QUEUE_FULL.
   */
  queue?: Omit<RingOptions, 'capacity'>;
  /** How long a manager may take to stop before it is abandoned (default 1,000 ms). */
  managerShutdownMs?: number;
  /** Restart intensity of the shard supervisor (default 5 restarts per shard-set per 60 s x shards). */
  intensity?: number;
  periodMs?: number;
  logger?: Logger;
  /**
   * When a delivered message releases its admission slot: at delivery (default true), or
   * later by the consumer (false: MCP requests hold theirs until they are answered). Messages
   * that are never delivered (their destination is gone, their queue was full) are always
   * released here.
   */
  releaseOnDelivery?: boolean;
}

/** What {@link ShardSet.submit} answers: an AdmitCode, or QUEUE_FULL when the shard's queue was full. */
export const QUEUE_FULL = 6;

/** Restart durations {@link ShardSet.restartTimesMs} keeps. */
export const RESTART_TIMES_KEPT = 1_024;

/**
 * One manager per registry shard under a one_for_one supervisor: each shard's messages wait
 * in that shard's native queue and are delivered by that shard's manager, so a manager that
 * crashes is restarted alone while the other shards keep delivering, and the restarted one
 * continues from the queue (see {@link ShardManager}).
 */
export class ShardSet {
  #supervisor: Supervisor;
  readonly #makeSupervisor: () => Supervisor;
  readonly #slots: ShardSlot[];
  readonly #managers: (ShardManager | undefined)[];
  /** The registry whose shards these are. */
  readonly registry: ShardedRegistry;
  readonly #router: Router;
  /** Attached handles: where their messages go and their shard (no native lookup per submit). */
  readonly #destinations = new Map<number, { deliver: (item: unknown) => void; shard: number }>();
  /** Sessions of this thread holding each shared (principal) handle. */
  readonly #sharedHolds = new Map<number, number>();
  readonly #lookup: Destinations = { get: (h) => this.#destinations.get(h)?.deliver };
  readonly #releaseOnDelivery: boolean;
  /** A frame left its shard (delivered, failed or orphaned): release its admission slot. */
  readonly #done = (shard: number, ok: boolean, latencyUs: number, delivered: boolean): void => {
    if (!delivered || this.#releaseOnDelivery) this.#router.completeOnShard(shard, ok, latencyUs);
  };
  readonly #downSince: (number | undefined)[];
  /**
   * How long each of the last {@link RESTART_TIMES_KEPT} manager restarts took, from the
   * manager's exit to its successor in service (ms), oldest first.
   */
  readonly restartTimesMs: number[] = [];

  constructor(options: ShardSetOptions) {
    if (!options?.registry || !options.router) throw invalidArg('ShardSet needs { registry, router }');
    this.registry = options.registry;
    this.#router = options.router;
    const shards = options.registry.stats().shards;
    const queue: RingOptions = { ...options.queue, capacity: options.queueCapacity ?? 10_000 };
    this.#slots = Array.from({ length: shards }, (_, i) => new ShardSlot(i, queue));
    this.#managers = new Array(shards).fill(undefined);
    this.#downSince = new Array(shards).fill(undefined);
    this.#releaseOnDelivery = options.releaseOnDelivery ?? true;
    this.#makeSupervisor = () =>
      new Supervisor({
        name: 'shards',
        strategy: 'one_for_one',
        // Crashes are expected to be rare and isolated; allow every shard a few.
        intensity: options.intensity ?? 5 * shards,
        periodMs: options.periodMs ?? 60_000,
        logger: options.logger,
        children: this.#slots.map((slot) => ({
          id: `shard-${slot.shard}`,
          restart: 'permanent' as const,
          shutdownMs: options.managerShutdownMs ?? 1_000,
          start: () => this.#startManager(slot),
        })),
      });
    this.#supervisor = this.#makeSupervisor();
  }

  /** The supervisor of the managers (a new one after each {@link start} of a stopped set). */
  get supervisor(): Supervisor {
    return this.#supervisor;
  }

  get shards(): number {
    return this.#slots.length;
  }

  /**
   * Starts the managers. A set whose supervisor stopped (or gave up) gets a fresh supervisor;
   * the queues and their accepted messages are kept, so even that restart loses nothing.
   * Resolves with the supervisor (a child for a parent supervisor).
   */
  async start(): Promise<Supervisor> {
    if (this.#supervisor.state === 'stopped') this.#supervisor = this.#makeSupervisor();
    await this.#supervisor.start();
    return this.#supervisor;
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }

  /** Registers where messages for `handle` go; returns the handle's shard. */
  attach(handle: number, deliver: (item: unknown) => void): number {
    const shard = this.#shardOf(handle);
    if (!this.#destinations.has(handle)) (this.#slots[shard] as ShardSlot).sessions++;
    this.#destinations.set(handle, { deliver, shard });
    return shard;
  }

  /**
   * Like {@link attach} for a handle several sessions of this thread share (an authenticated
   * principal's ticket): counted, so that {@link detachShared} forgets it with the last one.
   * The count is this ShardSet's own: with a process-wide gate, other threads' sessions of the
   * same principal attach to their own ShardSets.
   */
  attachShared(handle: number, deliver: (item: unknown) => void): void {
    const n = this.#sharedHolds.get(handle) ?? 0;
    this.#sharedHolds.set(handle, n + 1);
    if (n === 0) this.attach(handle, deliver);
  }

  /** One session of a shared handle is gone; the last one detaches it. */
  detachShared(handle: number): void {
    const n = this.#sharedHolds.get(handle);
    if (n === undefined) return;
    if (n > 1) {
      this.#sharedHolds.set(handle, n - 1);
      return;
    }
    this.#sharedHolds.delete(handle);
    this.detach(handle);
  }

  /** Forgets `handle`'s destination; frames still queued for it will be counted as orphaned. */
  detach(handle: number): void {
    const d = this.#destinations.get(handle);
    if (d === undefined) return;
    this.#destinations.delete(handle);
    (this.#slots[d.shard] as ShardSlot).sessions--;
  }

  /**
   * Admits one message (any value) from `handle` and queues it on the handle's shard (one
   * native call for both).
   * Returns AdmitCode.OK when accepted — from then on it is delivered exactly once, even
   * across crashes of the shard's manager — or the refusal (an AdmitCode, or QUEUE_FULL).
   * An accepted message holds its shard's admission slot until it is delivered (or found
   * orphaned), so the shard's admission depth is its backlog.
   */
  submit(handle: number, item: unknown): number {
    const shard = this.#destinations.get(handle)?.shard ?? this.registry.shardOfHandle(handle);
    // Not registered: the router's verdict (UNKNOWN_HANDLE) and its count, nothing to queue.
    if (shard === undefined) return this.#router.admit(handle);
    const slot = this.#slots[shard] as ShardSlot;
    const seq = slot.nextSeq();
    // Admission and the push of the frame in one native call (a refused seq is just skipped).
    const verdict = this.#router.admitEnqueue(slot.ringId, handle, seq);
    if (verdict !== AdmitCode.OK) {
      slot.rejected++;
      if (verdict === QUEUE_FULL) slot.queueFull++;
      return verdict;
    }
    slot.items.set(seq, item);
    slot.accepted++;
    slot.queued(performance.now());
    this.#managers[shard]?.wake();
    return AdmitCode.OK;
  }

  /** The manager currently serving `shard` (undefined while it restarts). */
  manager(shard: number): ShardManager | undefined {
    return this.#managers[shard];
  }

  stats(): ShardStats[] {
    return this.#slots.map((s) => s.stats());
  }

  #shardOf(handle: number): number {
    const shard = this.registry.shardOfHandle(handle);
    if (shard === undefined) throw invalidArg(`handle ${handle} is not registered`);
    return shard;
  }

  #startManager(slot: ShardSlot): ShardManager {
    const m = new ShardManager(slot, this.#lookup, this.#done);
    this.#managers[slot.shard] = m;
    const down = this.#downSince[slot.shard];
    if (down !== undefined) {
      this.restartTimesMs.push(performance.now() - down);
      // Bounded: a set that crashes for days must not grow without end.
      if (this.restartTimesMs.length > RESTART_TIMES_KEPT) this.restartTimesMs.shift();
      this.#downSince[slot.shard] = undefined;
      slot.restarts++;
    }
    m.onExit(() => {
      if (this.#managers[slot.shard] === m) this.#managers[slot.shard] = undefined;
      this.#downSince[slot.shard] = performance.now();
    });
    return m;
  }
}
