/**
 * The cluster's one Redis connection per node (node-redis, `@redis/client`), wrapped so that
 * Redis being down never hangs or crashes a caller: commands are not queued while the link is
 * down (they fail at once with `ERR_CLUSTER_UNAVAILABLE`), every command has a deadline (a Redis
 * that accepts the connection but stops answering, e.g. SIGSTOPped, counts as down), and the
 * client reconnects by itself with a capped backoff. Its state changes are reported as
 * `up`/`down` events, once each.
 */
import { EventEmitter } from 'node:events';
import { createClient } from '@redis/client';
import { ErlmcpError } from '../core/errors.js';
import type { Logger } from '../ops/logger.js';

/** The longest wait between reconnect attempts (ms): a restarted Redis is found within it. */
const MAX_BACKOFF_MS = 500;

export type RedisClient = ReturnType<typeof createClient>;

/** Options of {@link RedisLink}. */
export interface RedisLinkOptions {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  readonly logger: Logger;
  /** Deadline of one command and of a connection attempt (ms). */
  readonly timeoutMs: number;
}

/** The link's events. */
interface RedisLinkEvents {
  up: [];
  down: [reason: string];
}

/** A self-healing Redis connection: see the module comment. */
export class RedisLink extends EventEmitter<RedisLinkEvents> {
  readonly client: RedisClient;
  #up = false;
  #closed = false;
  #lastError = 'not connected yet';
  readonly #log: Logger;
  readonly #timeoutMs: number;

  constructor(o: RedisLinkOptions) {
    super();
    this.#log = o.logger;
    this.#timeoutMs = o.timeoutMs;
    this.client = createClient({
      url: o.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: o.timeoutMs,
        reconnectStrategy: (retries: number) => Math.min(25 * 2 ** Math.min(retries, 10), MAX_BACKOFF_MS),
      },
    });
    this.client.on('ready', () => this.#setUp(true, 'connected'));
    this.client.on('end', () => this.#setUp(false, 'connection closed'));
    this.client.on('reconnecting', () => this.#setUp(false, this.#lastError));
    // node-redis emits 'error' for every failed attempt; without a listener it would crash the process.
    this.client.on('error', (err: Error) => {
      this.#lastError = err.message || String(err);
      this.#setUp(false, this.#lastError);
    });
  }

  /** Whether commands can be sent now. */
  get up(): boolean {
    return this.#up;
  }

  /** Why the link is down (the last error), for /health and logs. */
  get lastError(): string {
    return this.#lastError;
  }

  /** Starts connecting; resolves when connected or when the first attempt failed (retries go on). */
  async start(): Promise<void> {
    try {
      await this.#deadline(this.client.connect(), 'connect');
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.#log.warn({ err: this.#lastError }, 'cluster: Redis not reachable yet; retrying');
    }
  }

  /**
   * Runs `fn` on the client within the command deadline. Rejects with ERR_CLUSTER_UNAVAILABLE
   * when the link is down, the command fails or the deadline passes.
   */
  async run<T>(what: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
    if (!this.#up || this.#closed) {
      throw new ErlmcpError('ERR_CLUSTER_UNAVAILABLE', `cluster: Redis unavailable (${this.#lastError})`);
    }
    return this.#deadline(fn(this.client), what);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#up = false;
    try {
      if (this.client.isOpen) await this.client.close();
    } catch {
      this.client.destroy();
    }
  }

  #deadline<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#lastError = `${what} got no answer within ${this.#timeoutMs} ms`;
        reject(new ErlmcpError('ERR_CLUSTER_UNAVAILABLE', `cluster: Redis ${this.#lastError}`));
      }, this.#timeoutMs);
    });
    return Promise.race([p, timeout]).then(
      (v) => {
        clearTimeout(timer);
        return v;
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (err instanceof ErlmcpError) throw err;
        this.#lastError = (err as Error)?.message ?? String(err);
        throw new ErlmcpError('ERR_CLUSTER_UNAVAILABLE', `cluster: Redis ${what} failed: ${this.#lastError}`, {
          cause: err,
        });
      },
    );
  }

  #setUp(up: boolean, reason: string): void {
    if (this.#closed || up === this.#up) return;
    this.#up = up;
    if (up) {
      this.#log.info('cluster: Redis connected');
      this.emit('up');
    } else {
      this.#log.warn({ reason }, 'cluster: Redis connection lost; reconnecting');
      this.emit('down', reason);
    }
  }
}
