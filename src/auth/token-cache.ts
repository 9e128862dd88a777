import { authConfigError } from './config-error.js';
import type { AuthOutcome } from './types.js';

/** Options of a {@link TokenCache}. */
export interface TokenCacheOptions {
  /** Most accepted tokens held. Default 10,000. */
  readonly maxEntries?: number;
  /**
   * Longest an accepted token is trusted without being verified again, in ms; never past its
   * own expiry. Bounds how long a revoked (introspected) token or a removed key keeps working.
   * Default 300,000 (5 minutes).
   */
  readonly maxAgeMs?: number;
  /** How long a refused (401 invalid_token) token is remembered, in ms; 0 = not at all. Default 5,000. */
  readonly negativeTtlMs?: number;
  /** Most refused tokens held. Default 1,000. */
  readonly maxNegativeEntries?: number;
}

interface Entry {
  readonly outcome: AuthOutcome;
  /** Valid while `Date.now() < until`. */
  readonly until: number;
}

/**
 * Remembers verdicts so the hot path does not verify a signature (or call the introspection
 * endpoint) per request.
 *
 * Keyed by the token string itself: the Map hashes it (V8 caches a string's hash, and a
 * collision is resolved by comparing the strings), which is cheaper than SHA-256 per request
 * and exact. Memory: at most `maxEntries` tokens, about 1 KiB each for a typical JWT.
 *
 * Eviction is FIFO, not LRU: a hit then costs one `Map.get` and reorders nothing. Refused
 * tokens live in a separate, smaller map so that a flood of garbage cannot evict the good
 * ones. A 503 ("could not decide") is never cached: the next request should try again.
 */
export class TokenCache {
  readonly #accepted = new Map<string, Entry>();
  readonly #refused = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxNegative: number;

  /** @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option. */
  constructor(options: TokenCacheOptions = {}) {
    this.#maxEntries = count('cache.maxEntries', options.maxEntries ?? 10_000, 1);
    this.#maxAgeMs = count('cache.maxAgeMs', options.maxAgeMs ?? 300_000, 1);
    this.#negativeTtlMs = count('cache.negativeTtlMs', options.negativeTtlMs ?? 5000, 0);
    this.#maxNegative = count('cache.maxNegativeEntries', options.maxNegativeEntries ?? 1000, 1);
  }

  /** The cached verdict for `token`, or undefined (never cached, evicted or expired). */
  get(token: string, now: number = Date.now()): AuthOutcome | undefined {
    return this.entry(token, now)?.outcome;
  }

  /** Like {@link get}, with the time (ms since the epoch) until which the verdict holds. */
  entry(
    token: string,
    now: number = Date.now(),
  ): { readonly outcome: AuthOutcome; readonly until: number } | undefined {
    const hit = this.#accepted.get(token) ?? this.#refused.get(token);
    if (hit === undefined) return undefined;
    if (now < hit.until) return hit;
    if (!this.#accepted.delete(token)) this.#refused.delete(token);
    return undefined;
  }

  /**
   * Remembers a verdict when it may be: an acceptance until min(its expiry, now + maxAge), a
   * 401 invalid_token for negativeTtl, anything else (400, 403, 503) not at all.
   */
  set(token: string, outcome: AuthOutcome, now: number = Date.now()): void {
    if (outcome.ok) {
      const expiresAt = outcome.principal.expiresAt ?? Number.POSITIVE_INFINITY;
      const until = Math.min(expiresAt, now + this.#maxAgeMs);
      if (until <= now) return;
      this.#refused.delete(token);
      put(this.#accepted, token, { outcome, until }, this.#maxEntries);
    } else if (outcome.failure.status === 401 && outcome.failure.error === 'invalid_token' && this.#negativeTtlMs > 0) {
      put(this.#refused, token, { outcome, until: now + this.#negativeTtlMs }, this.#maxNegative);
    }
  }

  /** Accepted and refused tokens held. */
  get size(): { readonly accepted: number; readonly refused: number } {
    return { accepted: this.#accepted.size, refused: this.#refused.size };
  }

  /** Forgets every verdict (e.g. after the key or API key configuration changed). */
  clear(): void {
    this.#accepted.clear();
    this.#refused.clear();
  }
}

function put(map: Map<string, Entry>, token: string, entry: Entry, max: number): void {
  // Re-inserted at the back, so a refreshed entry is the last to be evicted.
  map.delete(token);
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(token, entry);
}

function count(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw authConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
