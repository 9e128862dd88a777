import { AdmissionControl, type AdmissionOptions } from '../core/admission.js';
import { type BreakerOptions, CircuitBreaker } from '../core/breaker.js';
import { type BucketOptions, TokenBuckets } from '../core/bucket.js';
import { ErlmcpError, invalidArg } from '../core/errors.js';
import { OperationTimings } from '../core/op-timings.js';
import { ShardedRegistry } from '../core/registry.js';
import { AdmitCode, Router } from '../core/router.js';
import { ErrorCode, McpError } from './jsonrpc.js';
import { type FloodRule, NotificationDrops, type NotificationStats } from './notification-drops.js';
import { createOperationTimings, type OperationDurationsSnapshot, operationDurations } from './operations.js';

/** Limits every session's inbound requests pass through. Defaults are the seeds'. */
export interface GateOptions {
  /** Registry and admission shards, a power of two in 1..1024 (default 64). */
  shards?: number;
  /** Per-session token bucket (default capacity 1,000, refill 10,000/s). */
  bucket?: BucketOptions;
  /** In-flight requests per shard (default 10,000) and in total (default 500,000). */
  admission?: Omit<AdmissionOptions, 'shards'>;
  /** The global circuit breaker (default: 5 consecutive failures, open 30 s, 3 trials). */
  breaker?: BreakerOptions;
  /** retryAfterMs suggested when a shard or the server is at its in-flight maximum (default 100). */
  overloadRetryMs?: number;
  /**
   * Token buckets of their own for some principals, by principal key (`Principal.key`, e.g. a
   * bigger bucket for one trusted client); what one leaves out is {@link bucket}'s. Applied
   * when the principal's first session or channel opens.
   */
  principalBuckets?: Readonly<Record<string, BucketOptions>>;
  /**
   * The flood rule: a sender with more than this many notifications dropped (its token bucket
   * was empty) within {@link floodWindowMs} is disconnected (WebSocket close 1008; Streamable
   * HTTP answers 429 with `Connection: close`). Default 1,000: one full default bucket's worth
   * of drops, which a client only reaches by sending well beyond its refill rate for seconds;
   * an honest burst loses a few. 0 disables the rule (drops are still counted).
   */
  floodDisconnectAfter?: number;
  /** The window of the flood rule in ms (default 10,000, as the breaker's window). */
  floodWindowMs?: number;
}

/** A session's place in the gate. */
export interface GateTicket {
  readonly handle: number;
  readonly shard: number;
  /** A clustered principal's demand counter in this thread (see {@link Gate.acquirePrincipal}). */
  readonly meter?: PrincipalMeter;
}

/**
 * What a thread counts of one clustered principal: the messages that asked its bucket for a
 * token (admitted or not) since the cluster last read it, and this thread's holds of its ticket.
 */
export interface PrincipalMeter {
  demand: number;
  holders: number;
}

/** A principal's share of its bucket on this node (src/cluster/buckets), given its whole bucket. */
export type PrincipalShare = (key: string, whole: Required<BucketOptions>) => Required<BucketOptions>;

const REASONS: Record<number, [code: number, reason: string, message: string]> = {
  [AdmitCode.RATE_LIMITED]: [ErrorCode.RATE_LIMITED, 'rate_limited', 'Rate limit exceeded for this session'],
  [AdmitCode.SHARD_OVERLOADED]: [
    ErrorCode.SHARD_OVERLOADED,
    'shard_overloaded',
    'Server overloaded (session shard at capacity)',
  ],
  [AdmitCode.GLOBAL_OVERLOADED]: [
    ErrorCode.GLOBAL_OVERLOADED,
    'global_overloaded',
    'Server overloaded (global capacity reached)',
  ],
  [AdmitCode.CIRCUIT_OPEN]: [
    ErrorCode.CIRCUIT_OPEN,
    'circuit_open',
    'Server circuit breaker is open after repeated failures',
  ],
  [AdmitCode.UNKNOWN_HANDLE]: [ErrorCode.SESSION_CLOSING, 'session_closing', 'Session is not registered (closing)'],
};

/** The native parts of a gate: private instances, or the named ones of {@link Gate.open}. */
interface GateParts {
  registry: ShardedRegistry;
  buckets: TokenBuckets;
  admission: AdmissionControl;
  breaker: CircuitBreaker;
  router: Router;
}

function privateParts(shards: number, bucket: BucketOptions, options: GateOptions): GateParts {
  const registry = new ShardedRegistry({ shards });
  const buckets = new TokenBuckets(bucket);
  const admission = new AdmissionControl({ maxPerShard: 10_000, maxGlobal: 500_000, ...options.admission, shards });
  const breaker = new CircuitBreaker(options.breaker);
  return { registry, buckets, admission, breaker, router: new Router({ registry, buckets, admission, breaker }) };
}

function namedParts(name: string, shards: number, bucket: BucketOptions, options: GateOptions): GateParts {
  const registry = ShardedRegistry.open(`${name}:registry`, { shards });
  const buckets = TokenBuckets.open(`${name}:buckets`, bucket);
  const admission = AdmissionControl.open(`${name}:admission`, {
    maxPerShard: 10_000,
    maxGlobal: 500_000,
    ...options.admission,
    shards,
  });
  const breaker = CircuitBreaker.open(`${name}:breaker`, options.breaker);
  const router = Router.open(`${name}:router`, { registry, buckets, admission, breaker });
  return { registry, buckets, admission, breaker, router };
}

/**
 * The native backpressure path for MCP sessions: each session gets a handle in a sharded
 * registry (session id -> handle); each inbound request costs one `Router.admit(handle)`
 * (token bucket, shard admission, breaker), and a refusal becomes a documented JSON-RPC error.
 * One gate can serve many McpServers; its parts are exposed for metrics.
 *
 * Handles are allocated by the native registry (not in JS), and principals' shared tickets are
 * refcounted there too, so a gate over named instances ({@link Gate.open}) is one process-wide
 * gate however many worker_threads use it.
 */
export class Gate {
  readonly registry: ShardedRegistry;
  readonly buckets: TokenBuckets;
  readonly admission: AdmissionControl;
  readonly breaker: CircuitBreaker;
  readonly router: Router;
  /**
   * Request durations per MCP method and outcome, recorded where each request is completed:
   * this gate's own table, or with {@link Gate.open} the process-wide `<name>:timings`.
   */
  readonly timings: OperationTimings;
  readonly #breakerOpenMs: number;
  readonly #overloadRetryMs: number;
  readonly #principalBuckets: Readonly<Record<string, Required<BucketOptions>>>;
  readonly #base: Required<BucketOptions>;
  /** Clustered principals this thread holds or has uncounted demand of. */
  readonly #meters = new Map<string, PrincipalMeter>();
  #share: PrincipalShare | undefined;
  /** The flood rule every session of this gate is judged by. */
  readonly flood: FloodRule;
  #dropped = 0;
  #floods = 0;
  #completed = 0;

  /**
   * A gate of its own: private native instances, seen by this thread only.
   * @param shared @internal set by {@link Gate.open}: the name of the named instances to use.
   */
  constructor(options: GateOptions = {}, shared?: string) {
    const shards = options.shards ?? 64;
    // What an override leaves out comes from the server's bucket, not from the native defaults.
    const base = { capacity: 1_000, refillPerSec: 10_000, ...options.bucket };
    this.#base = base;
    this.#breakerOpenMs = options.breaker?.openMs ?? 30_000;
    this.#overloadRetryMs = options.overloadRetryMs ?? 100;
    const overrides: Record<string, Required<BucketOptions>> = {};
    for (const [key, bucket] of Object.entries(options.principalBuckets ?? {})) {
      if (key === '') throw new ErlmcpError('ERR_INVALID_ARG', 'principalBuckets: a principal key is empty');
      overrides[key] = { ...base, ...bucket };
      // Fail at construction, not at the principal's first request: the native constructor
      // checks the options exactly as setOverride will.
      new TokenBuckets(overrides[key]);
    }
    this.#principalBuckets = overrides;
    const after = options.floodDisconnectAfter ?? 1_000;
    if (!Number.isInteger(after) || after < 0)
      throw invalidArg(`floodDisconnectAfter must be an integer >= 0, got ${String(after)}`);
    const windowMs = options.floodWindowMs ?? 10_000;
    if (!Number.isFinite(windowMs) || windowMs <= 0)
      throw invalidArg(`floodWindowMs must be a positive number, got ${String(windowMs)}`);
    this.flood = Object.freeze({ after, windowMs });
    // The options are checked before any named instance is opened, so a bad one leaves none.
    const parts =
      shared === undefined ? privateParts(shards, base, options) : namedParts(shared, shards, base, options);
    this.registry = parts.registry;
    this.buckets = parts.buckets;
    this.admission = parts.admission;
    this.breaker = parts.breaker;
    this.router = parts.router;
    this.timings = createOperationTimings(shared === undefined ? undefined : `${shared}:timings`);
  }

  /**
   * The process-wide gate named `name`: every worker_thread (each loading the addon itself)
   * that calls `Gate.open(name, options)` gets a Gate over the same process-global native
   * instances `<name>:registry`, `<name>:buckets`, `<name>:admission`, `<name>:breaker`,
   * `<name>:router` and `<name>:timings`. Shared by all of them: session and principal handles
   * (allocated natively, never the same live handle twice), the session count
   * ({@link sessions}), one token bucket per session or principal whichever worker serves it,
   * principals' shared tickets and their holder counts, shard admission depths, the breaker's
   * state, the router's counters and the request-duration histograms ({@link timings}, so
   * {@link operationDurations} in any worker counts the requests of all).
   *
   * Per thread (per Gate object): the notification tallies ({@link notificationStats}), the
   * requests completed ({@link requestsCompleted}), each session's flood window, and the
   * options that live in JS (`overloadRetryMs`, `principalBuckets`, the flood rule): pass the
   * same options in every worker.
   *
   * The native options must match those the name was first opened with: otherwise
   * ERR_OPTIONS_MISMATCH (from the first part that differs), as for every named instance.
   */
  static open(name: string, options: GateOptions = {}): Gate {
    if (typeof name !== 'string' || name === '') throw invalidArg('Gate.open: name must be a non-empty string');
    return new Gate(options, name);
  }

  /** Forgets the named instances of gate `name`; gates already open keep theirs. */
  static forget(name: string): void {
    Router.forget(`${name}:router`);
    ShardedRegistry.forget(`${name}:registry`);
    TokenBuckets.forget(`${name}:buckets`);
    AdmissionControl.forget(`${name}:admission`);
    CircuitBreaker.forget(`${name}:breaker`);
    OperationTimings.forget(`${name}:timings`);
  }

  /**
   * One inbound notification from `handle`: takes a token from the same bucket its requests
   * use and returns true, or returns false (nothing taken) when the bucket is empty. One native
   * call, and no admission slot or breaker trial: a notification has nothing to complete, and
   * an open breaker or a full shard must not cost a client its cancellations.
   */
  admitNotification(handle: number): boolean {
    return this.buckets.consume(handle, 1) >= 0;
  }

  /** The drop record of one session (created at its first dropped notification). */
  notificationDrops(ticket: GateTicket): NotificationDrops {
    return new NotificationDrops(this.buckets, ticket.handle, this.flood);
  }

  /** @internal Counts one dropped notification; `broke`: it broke the flood rule. */
  countDrop(broke: boolean): void {
    this.#dropped++;
    if (broke) this.#floods++;
  }

  /** @internal Counts one request completed by a session of this thread (see {@link requestsCompleted}). */
  countCompleted(): void {
    this.#completed++;
  }

  /**
   * Requests completed by the sessions using this Gate object so far (answered, or a
   * long-lived request acknowledged): per thread, unlike the router's process-wide counters,
   * so a pool worker reports its own share.
   */
  get requestsCompleted(): number {
    return this.#completed;
  }

  /** Notifications dropped and flood-rule breaks, all sessions so far. */
  notificationStats(): NotificationStats {
    return { dropped: this.#dropped, floods: this.#floods };
  }

  /**
   * Registers a session id with a handle the native registry allocates (process-wide, so
   * never one another worker holds); ERR_ALREADY_REGISTERED when the id is taken.
   */
  open(sessionId: string): GateTicket {
    const handle = this.registry.registerNew(sessionId);
    if (handle === undefined) {
      throw new ErlmcpError('ERR_ALREADY_REGISTERED', `session id ${JSON.stringify(sessionId)} is already registered`);
    }
    this.#fresh(handle);
    return { handle, shard: this.registry.shardOf(sessionId) };
  }

  /**
   * A newly allocated handle starts with a full default bucket: whatever a previous owner left
   * (a principal's bucket or override, which goes with the handle's reuse rather than at its
   * last release; see {@link releasePrincipal}) is dropped before the handle is handed out.
   */
  #fresh(handle: number): void {
    this.buckets.remove(handle);
  }

  /** Removes a session: its token bucket and registry entry; the handle is reused later. */
  close(sessionId: string, ticket: GateTicket): void {
    if (this.registry.lookup(sessionId) !== ticket.handle) return;
    // The bucket first, while the handle is still this session's: once unregistered it may be
    // reallocated at once (by another worker), and a late remove would hit its new owner.
    this.buckets.remove(ticket.handle);
    this.registry.unregister(sessionId);
  }

  /**
   * The ticket every session and stateless channel of one authenticated principal shares: one
   * token bucket and one admission shard, whichever transport or era the principal uses, so a
   * principal's limit does not grow with the sessions it opens. `first` is true for the call
   * that created it. Pair every call with {@link releasePrincipal}; the ticket goes when the
   * last holder releases it. The holder count lives in the native registry (entry
   * `principal:<key>`), so with {@link Gate.open} all workers share one ticket and one count.
   * `clustered`: the principal is the same client on every node of a cluster (authenticated):
   * its bucket is this node's share (see {@link setPrincipalShares}) and its ticket carries
   * this thread's {@link PrincipalMeter}.
   */
  acquirePrincipal(key: string, clustered = false): { ticket: GateTicket; first: boolean } {
    const id = `principal:${key}`;
    const { handle, first } = this.registry.acquire(id);
    const share = clustered ? this.#share : undefined;
    if (first) {
      // Only the first holder sets the bucket up, so later holders never reset its tokens.
      this.#fresh(handle);
      const whole = this.principalBucket(key);
      if (share !== undefined) this.buckets.setOverride(handle, share(key, whole));
      else if (whole !== this.#base) this.buckets.setOverride(handle, whole);
    }
    let meter: PrincipalMeter | undefined;
    if (clustered) {
      meter = this.#meters.get(key);
      if (meter === undefined) {
        meter = { demand: 0, holders: 0 };
        this.#meters.set(key, meter);
      }
      meter.holders++;
    }
    return { ticket: { handle, shard: this.registry.shardOf(id), meter }, first };
  }

  /** `key`'s whole bucket: its own (`principalBuckets`) or the gate's. */
  principalBucket(key: string): Required<BucketOptions> {
    return (Object.hasOwn(this.#principalBuckets, key) ? this.#principalBuckets[key] : undefined) ?? this.#base;
  }

  /**
   * Clustered principals' demand in this thread since the last call (what their meters counted,
   * then zeroed), by key; principals without demand are left out, and the meters of those no
   * longer held here are dropped.
   */
  takeDemand(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, m] of this.#meters) {
      if (m.demand > 0) out.set(key, m.demand);
      m.demand = 0;
      if (m.holders === 0) this.#meters.delete(key);
    }
    return out;
  }

  /**
   * Makes clustered principals' buckets their node's share (`share`): applied now to those this
   * thread holds, and to the others when their first session or channel opens. Only the holding
   * thread touches a bucket: its hold keeps the handle from being reused meanwhile. The native
   * bucket keeps its tokens (capped at the new capacity), so a change never creates tokens.
   */
  setPrincipalShares(share: PrincipalShare | undefined): void {
    this.#share = share;
    for (const [key, m] of this.#meters) {
      if (m.holders === 0) continue;
      const handle = this.registry.lookup(`principal:${key}`);
      if (handle === undefined) continue;
      const whole = this.principalBucket(key);
      this.buckets.setOverride(handle, share ? share(key, whole) : whole);
    }
  }

  /** How many sessions and channels hold `key`'s ticket now, in every worker (0 when none). */
  principalHolders(key: string): number {
    return this.registry.holders(`principal:${key}`);
  }

  /**
   * Gives back one hold of a principal's ticket; true when that was the last one (it is gone,
   * its handle freed). Its bucket is not removed here: the handle may already belong to someone
   * else (in another worker), so the bucket is reset when the handle is next allocated instead.
   */
  releasePrincipal(key: string): boolean {
    const m = this.#meters.get(key);
    if (m !== undefined && m.holders > 0) m.holders--;
    return this.registry.release(`principal:${key}`);
  }

  /**
   * Sessions registered (principals holding a shared ticket count once): the registry's live
   * count, so with {@link Gate.open} it counts the sessions of every worker.
   */
  get sessions(): number {
    return this.registry.size;
  }

  /** Request durations per MCP method (for `mcp_server_operation_duration_seconds`). */
  operationDurations(): OperationDurationsSnapshot {
    return operationDurations(this.timings);
  }

  /** The error answering a refused admission (`code` from Router.admit, not OK). */
  rejection(code: number, handle: number): McpError {
    const entry = REASONS[code];
    if (!entry) return new McpError(ErrorCode.INTERNAL_ERROR, `unexpected admission verdict ${code}`);
    const [wire, reason, message] = entry;
    return new McpError(wire, message, { reason, retryAfterMs: this.#retryAfter(code, handle) });
  }

  #retryAfter(code: number, handle: number): number {
    if (code === AdmitCode.RATE_LIMITED) return Math.max(1, this.buckets.retryAfterMs(handle, 1));
    if (code === AdmitCode.CIRCUIT_OPEN) {
      const left = this.#breakerOpenMs - this.breaker.stats().lastTransitionMsAgo;
      return Math.max(1, Math.ceil(left));
    }
    return this.#overloadRetryMs;
  }
}
