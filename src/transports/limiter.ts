import { AdmissionControl } from '../core/admission.js';
import { ErlmcpError, invalidArg } from '../core/errors.js';

/** The largest `max` of a process-wide limiter (the native per-shard limit is a u32). */
const MAX_SHARED = 0xffff_ffff;

/** `top`: the shared limit's native range; a per-thread limiter has none. */
function checkMax(max: number, top?: number): void {
  if (!Number.isInteger(max) || max < 1) {
    throw invalidArg(`maxConnections must be a positive integer, got ${String(max)}`);
  }
  if (top !== undefined && max > top) {
    throw invalidArg(`maxConnections of a shared limiter must be at most ${top}, got ${String(max)}`);
  }
}

function releaseWithoutSlot(): ErlmcpError {
  return new ErlmcpError('ERR_INVALID_ARG', 'ConnectionLimiter.release without a held slot');
}

/** The native name behind {@link ConnectionLimiter.open}`(name)`. */
function nativeName(name: string): string {
  return `${name}:connections`;
}

/**
 * Counts live connections (WebSocket connections and Streamable HTTP sessions share one
 * limiter) so that a listener can refuse new ones with 503 before they cost anything.
 *
 * `new ConnectionLimiter(max)` counts in JS, for this thread's listeners only.
 * {@link ConnectionLimiter.open} is the process-wide limiter of a name: its count lives in
 * the native core, so the listeners of every worker_thread that opens it share one `max`.
 */
export class ConnectionLimiter {
  /** The most connections held at once (default 15,000, the seeds' max_connections). */
  readonly max: number;
  /** The native counter of a process-wide limiter; undefined for a per-thread one. */
  readonly #shared: AdmissionControl | undefined;
  #count = 0;
  #refused = 0;

  /**
   * A limiter of this thread's own.
   * @param shared @internal set by {@link ConnectionLimiter.open}.
   */
  constructor(max = 15_000, shared?: AdmissionControl) {
    checkMax(max, shared === undefined ? undefined : MAX_SHARED);
    this.max = max;
    this.#shared = shared;
  }

  /**
   * The process-wide limiter named `name`: every worker_thread that opens it gets a limiter
   * over the same native counter (a one-shard AdmissionControl named `<name>:connections`),
   * so `max` bounds the connections of all of them together, and {@link count} and
   * {@link refused} are process totals. `max` (default 15,000, at most 2^32 - 1) must be the
   * one the name was first opened with: otherwise ERR_OPTIONS_MISMATCH.
   */
  static open(name: string, max = 15_000): ConnectionLimiter {
    if (typeof name !== 'string' || name === '') {
      throw invalidArg('ConnectionLimiter.open: name must be a non-empty string');
    }
    checkMax(max, MAX_SHARED);
    const shared = AdmissionControl.open(nativeName(name), { shards: 1, maxPerShard: max, maxGlobal: max });
    return new ConnectionLimiter(max, shared);
  }

  /** Forgets the limiter named `name` (true if it existed); limiters already open keep theirs. */
  static forget(name: string): boolean {
    return AdmissionControl.forget(nativeName(name));
  }

  /** True for a limiter from {@link ConnectionLimiter.open}, shared by every worker_thread. */
  get shared(): boolean {
    return this.#shared !== undefined;
  }

  /** Takes a slot; false (and counted as refused) when all are taken. */
  tryAcquire(): boolean {
    if (this.#shared !== undefined) return this.#shared.admit(0) === 'ok';
    if (this.#count >= this.max) {
      this.#refused++;
      return false;
    }
    this.#count++;
    return true;
  }

  /**
   * Gives a slot back. Each successful tryAcquire must be released exactly once;
   * ERR_INVALID_ARG (and no change) when no slot is held. For a shared limiter that means
   * none in the whole process: a release in one worker cannot tell whose slot it returns.
   */
  release(): void {
    if (this.#shared !== undefined) {
      try {
        this.#shared.release(0, 1);
      } catch (e) {
        if ((e as { code?: unknown } | null)?.code === 'ERR_RELEASE_UNDERFLOW') throw releaseWithoutSlot();
        throw e;
      }
      return;
    }
    if (this.#count === 0) throw releaseWithoutSlot();
    this.#count--;
  }

  /** Slots held now (for a shared limiter: by every worker). */
  get count(): number {
    return this.#shared !== undefined ? this.#shared.globalDepth : this.#count;
  }

  /** Connections refused since creation (for a shared limiter: by every worker, since the name was opened). */
  get refused(): number {
    if (this.#shared === undefined) return this.#refused;
    const s = this.#shared.stats();
    return s.shardRejected + s.globalRejected;
  }
}
