import type * as Jose from 'jose';
import type { FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters } from 'jose';
import { assertPositive } from './config-error.js';
import { loadJose } from './jose.js';
import { parseSecureUrl } from './urls.js';

/** Options of a {@link JwksCache}. */
export interface JwksCacheOptions {
  /** Where the authorization server publishes its JSON Web Key Set (`jwks_uri`); https, or http on loopback. */
  readonly jwksUri: string;
  /** Abandon a fetch (connect, headers and body) after this long. Default 5,000 ms. */
  readonly timeoutMs?: number;
  /** Refresh a key set older than this. Default 600,000 ms (10 minutes). */
  readonly maxAgeMs?: number;
  /**
   * At most one fetch per this period, whatever triggers it (an unknown `kid`, a stale set, a
   * failing endpoint): a stream of tokens with made-up `kid`s must not become a stream of
   * requests to the authorization server. Default 30,000 ms.
   */
  readonly cooldownMs?: number;
}

/**
 * Thrown out of {@link JwksCache.getKey} when there is no key set to verify against (never
 * fetched successfully, or the key may be in a set that could not be fetched): the verifier
 * answers 503, not 401, because the token was not found wrong.
 */
export class JwksUnavailableError extends Error {
  /** Seconds until the next fetch may be tried. */
  readonly retryAfterSec: number;

  constructor(message: string, retryAfterSec: number) {
    super(message);
    this.name = 'JwksUnavailableError';
    this.retryAfterSec = retryAfterSec;
  }
}

type LocalSet = ReturnType<typeof Jose.createLocalJWKSet>;

/**
 * A cached JSON Web Key Set over jose's `createLocalJWKSet`.
 *
 * Not jose's `createRemoteJWKSet`: when its set is stale it awaits the refresh and throws if
 * that fails (the endpoint being down would reject every token although good keys are in
 * memory), and its cooldown counts from the last successful fetch, so while the endpoint is
 * down every unknown `kid` triggers another fetch.
 *
 * Here: the set is fetched on first use; a stale set is refreshed in the background while the
 * old one keeps answering; an unknown `kid` waits for one refetch; all fetches share one
 * in-flight request and happen at most once per cooldown; a failed fetch never drops keys.
 * No timers: nothing keeps the process alive, nothing needs closing.
 */
export class JwksCache {
  readonly #uri: string;
  readonly #timeoutMs: number;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  #local: LocalSet | undefined;
  /** When the current set was fetched (ms since the epoch). */
  #fetchedAt = Number.NEGATIVE_INFINITY;
  /** When the last fetch started, successful or not: the cooldown counts from here. */
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastFailed = false;
  #inFlight: Promise<void> | undefined;

  /** @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option. */
  constructor(options: JwksCacheOptions) {
    const url = parseSecureUrl('jwksUri', options.jwksUri);
    this.#uri = url.href;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    assertPositive('jwks.timeoutMs', this.#timeoutMs);
    assertPositive('jwks.maxAgeMs', this.#maxAgeMs);
    assertPositive('jwks.cooldownMs', this.#cooldownMs);
  }

  /**
   * The key resolver for `jose.jwtVerify`. Rejects with jose's `JWKSNoMatchingKey` when the
   * `kid` is in no set (and no refetch is allowed or it did not help), with
   * {@link JwksUnavailableError} when there is nothing to decide with.
   */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const now = Date.now();
    if (this.#local === undefined) {
      if (this.#inFlight === undefined && !this.#mayFetch(now)) throw this.#unavailable(now);
      await this.#refresh();
      if (this.#local === undefined) throw this.#unavailable(Date.now());
    } else if (now - this.#fetchedAt >= this.#maxAgeMs && this.#mayFetch(now)) {
      // Stale: refresh behind the scenes; the set in hand answers this request.
      void this.#refresh();
    }
    try {
      return await (this.#local as LocalSet)(header, token);
    } catch (err) {
      if (!isNoMatchingKey(err)) throw err;
      // An unknown key may have been published since the last fetch (key rotation).
      if (this.#inFlight !== undefined || this.#mayFetch(Date.now())) await this.#refresh();
      else if (!this.#lastFailed) throw err;
      try {
        return await (this.#local as LocalSet)(header, token);
      } catch (again) {
        // The last fetch failed, so the key may well exist: "could not decide", not "wrong".
        if (isNoMatchingKey(again) && this.#lastFailed) throw this.#unavailable(Date.now());
        throw again;
      }
    }
  };

  /**
   * Fetches the key set now (e.g. at startup, to fail fast on a wrong `jwksUri`), sharing a
   * fetch already in flight; ignores the cooldown. Never rejects.
   *
   * @returns whether the cache now holds a key set fetched by this call or earlier.
   */
  async refresh(): Promise<boolean> {
    await (this.#inFlight ?? this.#start());
    return this.#local !== undefined;
  }

  /** Whether a key set has ever been fetched. */
  get ready(): boolean {
    return this.#local !== undefined;
  }

  #mayFetch(now: number): boolean {
    return now - this.#attemptedAt >= this.#cooldownMs;
  }

  #refresh(): Promise<void> {
    return this.#inFlight ?? this.#start();
  }

  #start(): Promise<void> {
    this.#attemptedAt = Date.now();
    const p = this.#fetch().finally(() => {
      if (this.#inFlight === p) this.#inFlight = undefined;
    });
    this.#inFlight = p;
    return p;
  }

  /** One fetch; records the outcome and never rejects (a failure keeps the old set). */
  async #fetch(): Promise<void> {
    try {
      const res = await fetch(this.#uri, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        // A key set is security-critical: follow no redirect to somewhere else.
        redirect: 'manual',
        // Covers the body too, and its timer does not keep the process alive.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      const json: unknown = await res.json();
      const jose = await loadJose();
      this.#local = jose.createLocalJWKSet(json as JSONWebKeySet);
      this.#fetchedAt = Date.now();
      this.#lastFailed = false;
    } catch {
      // Why it failed is not the client's business; the next attempt comes after the cooldown.
      this.#lastFailed = true;
    }
  }

  #unavailable(now: number): JwksUnavailableError {
    const waitMs = Math.max(0, this.#attemptedAt + this.#cooldownMs - now);
    return new JwksUnavailableError('signing keys unavailable', Math.max(1, Math.ceil(waitMs / 1000)));
  }
}

function isNoMatchingKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_JWKS_NO_MATCHING_KEY';
}
