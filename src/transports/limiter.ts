import { ErlmcpError, invalidArg } from '../core/errors.js';

/**
 * Counts live connections (WebSocket connections and Streamable HTTP sessions share one
 * limiter) so that a listener can refuse new ones with 503 before they cost anything.
 */
export class ConnectionLimiter {
  /** The most connections held at once (default 15,000, the seeds' max_connections). */
  readonly max: number;
  #count = 0;
  #refused = 0;

  constructor(max = 15_000) {
    if (!Number.isInteger(max) || max < 1) {
      throw invalidArg(`maxConnections must be a positive integer, got ${String(max)}`);
    }
    this.max = max;
  }

  /** Takes a slot; false (and counted as refused) when all are taken. */
  tryAcquire(): boolean {
    if (this.#count >= this.max) {
      this.#refused++;
      return false;
    }
    this.#count++;
    return true;
  }

  /** Gives a slot back. Each successful tryAcquire must be released exactly once. */
  release(): void {
    if (this.#count === 0) throw new ErlmcpError('ERR_INVALID_ARG', 'ConnectionLimiter.release without a held slot');
    this.#count--;
  }

  get count(): number {
    return this.#count;
  }

  /** Connections refused since creation. */
  get refused(): number {
    return this.#refused;
  }
}
