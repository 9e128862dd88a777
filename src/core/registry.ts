import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { assertHandle, assertString, invalidArg } from './errors.js';

/** Options of {@link ShardedRegistry}. */
export interface RegistryOptions {
  /** Number of shards: a power of two in 1..1024. Default 64. */
  shards?: number;
}

/** Per-shard key counts and how uneven they are. */
export interface RegistryStats {
  shards: number;
  size: number;
  perShard: number[];
  min: number;
  max: number;
  mean: number;
  /** max / mean (1 = perfectly even; 0 when empty). */
  skew: number;
}

/** One hold of a shared entry (see {@link ShardedRegistry.acquire}). */
export interface AcquiredHandle {
  /** The entry's handle, the same for every holder while any holds it. */
  handle: number;
  /** True for the hold that created the entry (its first holder). */
  first: boolean;
}

/**
 * String key -> handle (an unsigned 31-bit integer the caller uses to index its own objects),
 * held in Rust and sharded by a stable hash. Reads lock one shard only; writes to different
 * shards do not contend. `ShardedRegistry.open(name)` gives every worker_thread the same one.
 *
 * Handles are chosen by the caller ({@link register}) or by the registry ({@link registerNew},
 * {@link acquire}): a process-wide allocator in Rust that never hands the same live handle to
 * two callers, on whatever thread, and reuses a handle once its key is unregistered. Keep the
 * two kinds apart in one registry (caller-chosen handles are not checked against allocated ones).
 */
export class ShardedRegistry {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.ShardedRegistry>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: RegistryOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.ShardedRegistry(options);
    this.#id = this[NATIVE].id;
  }

  /** The process-global registry named `name`, created with `options` on first open. */
  static open(name: string, options: RegistryOptions = {}): ShardedRegistry {
    assertString('name', name);
    return adopt(native.ShardedRegistry.open(name, options), () => new ShardedRegistry());
  }

  /** Removes `name` from the process-global table; existing holders keep their instance. */
  static forget(name: string): boolean {
    return native.ShardedRegistry.forget(name);
  }

  /**
   * The shard of `key` among `shards`: `xxh3_64(utf8(key), seed 0) & (shards - 1)`. Stable
   * across processes, platforms and versions, so other nodes may rely on it.
   */
  static shardIndex(key: string, shards: number): number {
    assertString('key', key);
    return native.shardIndex(key, shards);
  }

  /** Maps `key` to `handle`; false (and no change) when `key` is already registered. */
  register(key: string, handle: number): boolean {
    assertString('key', key);
    assertHandle(handle);
    return this[NATIVE].register(key, handle);
  }

  /**
   * Registers `key` with a handle the registry allocates (a freed one first, else the next new
   * one, so handles stay dense) and returns it; undefined, and nothing allocated, when `key` is
   * already registered. {@link unregister} frees the handle for reuse.
   */
  registerNew(key: string): number | undefined {
    assertString('key', key);
    const h = this[NATIVE].registerNew(key);
    return h < 0 ? undefined : h;
  }

  /**
   * Takes one hold of the shared entry `key`: the first hold registers it with a fresh handle
   * (`first: true`), later ones count another holder and get the same handle. Pair each call
   * with {@link release}. ERR_ALREADY_REGISTERED when `key` is registered but not shared.
   */
  acquire(key: string): AcquiredHandle {
    assertString('key', key);
    return this[NATIVE].acquire(key);
  }

  /**
   * Gives back one hold of `key`: true for the last holder, whose release unregistered the key
   * and freed its handle (exactly one caller sees true per first hold). False, changing
   * nothing, when `key` is not a shared entry.
   */
  release(key: string): boolean {
    assertString('key', key);
    return this[NATIVE].release(key);
  }

  /** Holders of the shared entry `key` now (0 when absent or not shared). */
  holders(key: string): number {
    assertString('key', key);
    return this[NATIVE].holders(key);
  }

  /** Handles the registry allocated ({@link registerNew}, {@link acquire}) that are live. */
  get allocated(): number {
    return this[NATIVE].allocated;
  }

  /**
   * Removes `key` (whatever its kind or holders); returns the handle it had, or undefined when
   * it was not registered. A handle the registry allocated is freed for reuse.
   */
  unregister(key: string): number | undefined {
    assertString('key', key);
    const h = this[NATIVE].unregister(key);
    return h < 0 ? undefined : h;
  }

  /** The handle of `key`, or undefined. */
  lookup(key: string): number | undefined {
    assertString('key', key);
    const h = native.registryLookup(this.#id, key);
    return h < 0 ? undefined : h;
  }

  /**
   * Looks up many keys in one native call: the handle of each key, -1 where missing.
   * Keys travel as one NUL-joined UTF-8 buffer (registered keys never contain NUL).
   */
  lookupMany(keys: readonly string[]): Int32Array {
    if (!Array.isArray(keys)) throw invalidArg('keys must be an array of strings');
    for (let i = 0; i < keys.length; i++) {
      if (typeof keys[i] !== 'string') throw invalidArg(`keys[${i}] must be a string, got ${typeof keys[i]}`);
    }
    const out = new Int32Array(keys.length);
    const count = native.registryLookupJoined(this.#id, Buffer.from(keys.join('\0')), out);
    if (count === keys.length) return out;
    // A key containing NUL, or a lone empty key, splits differently: answer key by key.
    const slow = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      slow[i] = k && !k.includes('\0') ? native.registryLookup(this.#id, k) : -1;
    }
    return slow;
  }

  /** The shard `key` belongs to (see {@link ShardedRegistry.shardIndex}). */
  shardOf(key: string): number {
    assertString('key', key);
    return this[NATIVE].shardOf(key);
  }

  /** The shard of the key registered with `handle`, or undefined. */
  shardOfHandle(handle: number): number | undefined {
    assertHandle(handle);
    const s = this[NATIVE].shardOfHandle(handle);
    return s < 0 ? undefined : s;
  }

  /** Number of registered keys. */
  get size(): number {
    return this[NATIVE].size;
  }

  /** Number of shards. */
  get shards(): number {
    return this[NATIVE].shards;
  }

  /** Keys per shard. */
  shardSizes(): number[] {
    return this[NATIVE].shardSizes();
  }

  stats(): RegistryStats {
    return this[NATIVE].stats();
  }

  /** Removes every key. */
  clear(): void {
    this[NATIVE].clear();
  }
}
