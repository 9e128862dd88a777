import { performance } from 'node:perf_hooks';
import { adopt, NATIVE, native, takeAdopted } from '../native.js';
import { ErlmcpError, invalidArg } from './errors.js';

/** How a closed breaker decides to open. */
export type TripPolicy = 'consecutive' | 'window' | 'error_rate';

/** Options of {@link CircuitBreaker}. */
export interface BreakerOptions {
  /**
   * 'consecutive' (default): open after `failureThreshold` failures in a row.
   * 'window': open after `failureThreshold` failures within the last `windowMs`.
   * 'error_rate': open when failures are at least `errorThresholdPct` % of the calls in the
   * last `windowMs`, once there were at least `minCalls` (opossum's errorThresholdPercentage
   * and volumeThreshold).
   */
  policy?: TripPolicy;
  /** Default 5. */
  failureThreshold?: number;
  /** Rolling window for 'window' and 'error_rate'. Default 10000 ms. */
  windowMs?: number;
  /** Default 50. */
  errorThresholdPct?: number;
  /** Default 10. */
  minCalls?: number;
  /** Time open before trial calls are let through. Default 30000 ms. */
  openMs?: number;
  /** Trial calls allowed while half open. Default 3. */
  halfOpenMaxCalls?: number;
  /** Trial successes that close the breaker (≤ halfOpenMaxCalls). Default 3. */
  successThreshold?: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

const STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

export interface StateChange {
  from: BreakerState;
  to: BreakerState;
}

export interface BreakerStats {
  state: BreakerState;
  successes: number;
  failures: number;
  /** Calls refused by `allow()`. */
  rejected: number;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  /** Times the breaker opened. */
  opened: number;
  halfOpenInFlight: number;
  latencyCount: number;
  latencyMeanUs: number;
  latencyMaxUs: number;
  lastTransitionMsAgo: number;
}

/**
 * A circuit breaker in Rust: closed -> open on its trip policy, open -> half_open after
 * `openMs` (evaluated lazily, no timers), half_open -> closed after `successThreshold` trial
 * successes or back to open on a trial failure. `CircuitBreaker.open(name)` shares one across
 * worker_threads.
 */
export class CircuitBreaker {
  /** @internal */
  readonly [NATIVE]: InstanceType<typeof native.CircuitBreaker>;
  /** Slot id of the native object, for the per-message free functions. */
  readonly #id: number;

  constructor(options: BreakerOptions = {}) {
    this[NATIVE] = takeAdopted() ?? new native.CircuitBreaker(options);
    this.#id = this[NATIVE].id;
  }

  static open(name: string, options: BreakerOptions = {}): CircuitBreaker {
    return adopt(native.CircuitBreaker.open(name, options), () => new CircuitBreaker());
  }

  static forget(name: string): boolean {
    return native.CircuitBreaker.forget(name);
  }

  /** Whether a call may proceed now. In half_open state a true takes a trial slot. */
  allow(): boolean {
    return native.breakerAllow(this.#id);
  }

  /** Reports a successful call, optionally with its latency in milliseconds. */
  recordSuccess(latencyMs?: number): void {
    native.breakerRecordSuccess(this.#id, latencyMs === undefined ? -1 : latencyMs * 1000);
  }

  /** Reports a failed call. */
  recordFailure(): void {
    native.breakerRecordFailure(this.#id);
  }

  /** Gives back a trial slot taken by `allow()` for a call that was not made. */
  releaseTrial(): void {
    this[NATIVE].releaseTrial();
  }

  forceOpen(): void {
    this[NATIVE].forceOpen();
  }

  forceClose(): void {
    this[NATIVE].forceClose();
  }

  /** Closed, with counters and windows cleared. */
  reset(): void {
    this[NATIVE].reset();
  }

  get state(): BreakerState {
    return STATES[this[NATIVE].stateCode] as BreakerState;
  }

  stats(): BreakerStats {
    return this[NATIVE].stats() as BreakerStats;
  }

  /**
   * Calls `listener` after every transition, asynchronously (on a later event-loop turn of
   * this thread, whichever thread caused it). The subscription does not keep the process
   * alive. Returns a function that unsubscribes.
   */
  onStateChange(listener: (change: StateChange) => void): () => void {
    if (typeof listener !== 'function') throw invalidArg('listener must be a function');
    const id = this[NATIVE].subscribe((change) => listener(change as StateChange));
    return () => {
      this[NATIVE].unsubscribe(id);
    };
  }

  /**
   * Runs `fn` under the breaker, like opossum's `fire`: rejects with `ERR_CIRCUIT_OPEN`
   * without calling `fn` when the breaker refuses; otherwise records the outcome (a thrown
   * error or rejected promise counts as a failure) with its latency, and passes it through.
   */
  async run<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    if (!native.breakerAllow(this.#id)) {
      throw new ErlmcpError('ERR_CIRCUIT_OPEN', 'circuit breaker is open: call rejected');
    }
    const start = performance.now();
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      native.breakerRecordFailure(this.#id);
      throw err;
    }
    native.breakerRecordSuccess(this.#id, (performance.now() - start) * 1000);
    return result;
  }
}
