/**
 * Where a cluster keeps the snapshots of its 2025 sessions (src/mcp/handover.ts), so that a
 * session outlives its node: one Redis hash per session, `<prefix>:session:<id>`, with the
 * snapshot (`state`) and the node serving it now (`owner`).
 *
 * - The owner writes the snapshot when it changes (initialize, log level, subscriptions) and
 *   keeps the hash alive (a TTL of twice the session idle timeout, renewed in one pipeline per
 *   sixth of it, and at once whenever the link comes back); a renewal that finds the hash gone
 *   (Redis restarted empty) writes it again, and so does a renewal after a write that failed
 *   while Redis was away.
 * - A node that gets a request for a session nobody it knows holds claims it ({@link claim}):
 *   atomically, in Redis, the hash's owner becomes this node unless the owner named there is
 *   alive by its heartbeat key (`<prefix>:node:<id>`, src/cluster/membership.ts), in which
 *   case that owner is the answer. So two nodes never both continue one session, whatever
 *   their views of the membership, and Redis' clock decides who is alive.
 *
 * Writes are fire and forget: a session never waits on Redis. What cannot be written while
 * Redis is away is written when it is back; a node that dies before that loses those sessions
 * (their clients get 404 and initialize again).
 */
import { parseSnapshot, type SessionHandover, type SessionSnapshot } from '../mcp/handover.js';
import type { Logger } from '../ops/logger.js';
import type { RedisLink } from './redis.js';

/** Hashes renewed per pipeline. */
const RENEW_BATCH = 1_000;

/**
 * KEYS[1] the session hash; ARGV: this node, the node key prefix, the TTL. Returns nil (no
 * such session), {owner} (a live node holds it) or {this node, state} (claimed).
 */
const CLAIM = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return false end
if owner ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. owner) == 1 then return {owner} end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {ARGV[1], redis.call('HGET', KEYS[1], 'state')}
`;

/** Options of {@link ClusterSessionStore}. */
export interface ClusterSessionStoreOptions {
  readonly link: RedisLink;
  readonly keyPrefix: string;
  readonly nodeId: string;
  /** How long a snapshot outlives its last renewal (ms): twice the session idle timeout. */
  readonly ttlMs: number;
  readonly logger: Logger;
}

/** What {@link ClusterSessionStore.claim} found. */
export type Claim =
  /** No such session (never existed, ended, or expired). */
  | { readonly kind: 'gone' }
  /** A live node serves it. */
  | { readonly kind: 'elsewhere'; readonly owner: string }
  /** This node continues it now. */
  | { readonly kind: 'claimed'; readonly snapshot: SessionSnapshot };

/** See the module comment. */
export class ClusterSessionStore implements SessionHandover {
  readonly #o: ClusterSessionStoreOptions;
  /** Sessions this thread serves, with their latest snapshot. */
  readonly #held = new Map<string, SessionSnapshot>();
  /** Held sessions whose last write did not reach Redis. */
  readonly #unsaved = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  /** Redis is back (maybe restarted empty): renew now, writing again what it lost or missed. */
  readonly #onUp = () => void this.#renew();
  #renewing = false;
  /** Snapshot writes that failed (Redis away), since start. */
  failedWrites = 0;

  constructor(o: ClusterSessionStoreOptions) {
    this.#o = o;
    this.#timer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(o.ttlMs / 6)));
    this.#timer.unref();
    o.link.on('up', this.#onUp);
  }

  /** Sessions whose snapshots this thread keeps alive. */
  get held(): number {
    return this.#held.size;
  }

  save(snapshot: SessionSnapshot): void {
    this.#held.set(snapshot.id, snapshot);
    this.#write(snapshot);
  }

  remove(sessionId: string): void {
    this.#held.delete(sessionId);
    this.#unsaved.delete(sessionId);
    this.#o.link
      .run('session remove', (c) => c.del(this.#key(sessionId)))
      .catch((err: Error) =>
        this.#o.logger.debug({ err: err.message, session: sessionId }, 'cluster: session not removed'),
      );
  }

  /**
   * Claims session `sessionId` for this node (see the module comment). Rejects with
   * ERR_CLUSTER_UNAVAILABLE while Redis is away. A claimed session is held from then on (an
   * unreadable snapshot is dropped: gone).
   */
  async claim(sessionId: string): Promise<Claim> {
    const o = this.#o;
    const reply = (await o.link.run('session claim', (c) =>
      c.eval(CLAIM, {
        keys: [this.#key(sessionId)],
        arguments: [o.nodeId, `${o.keyPrefix}:node:`, String(o.ttlMs)],
      }),
    )) as [string, string?] | null;
    if (reply === null) return { kind: 'gone' };
    const [owner, state] = reply;
    if (owner !== o.nodeId) return { kind: 'elsewhere', owner };
    let snapshot: SessionSnapshot | undefined;
    try {
      snapshot = parseSnapshot(JSON.parse(state ?? ''));
    } catch {
      snapshot = undefined;
    }
    if (snapshot === undefined || snapshot.id !== sessionId) {
      // Written by something else (another version?): a session that cannot be continued is gone.
      o.logger.warn({ session: sessionId }, 'cluster: the stored snapshot of a session is unreadable; dropping it');
      this.remove(sessionId);
      return { kind: 'gone' };
    }
    this.#held.set(sessionId, snapshot);
    return { kind: 'claimed', snapshot };
  }

  /** Stops renewing (the snapshots stay in Redis for another node to continue them). */
  close(): void {
    clearInterval(this.#timer);
    this.#o.link.off('up', this.#onUp);
    this.#held.clear();
    this.#unsaved.clear();
  }

  #key(id: string): string {
    return `${this.#o.keyPrefix}:session:${id}`;
  }

  #write(snapshot: SessionSnapshot): void {
    const o = this.#o;
    const key = this.#key(snapshot.id);
    o.link
      .run('session save', (c) =>
        c
          .multi()
          .hSet(key, { state: JSON.stringify(snapshot), owner: o.nodeId })
          .pExpire(key, o.ttlMs)
          .exec(),
      )
      .then(
        () => {
          if (this.#held.get(snapshot.id) === snapshot) this.#unsaved.delete(snapshot.id);
        },
        (err: Error) => {
          this.failedWrites++;
          if (this.#held.get(snapshot.id) === snapshot) this.#unsaved.add(snapshot.id);
          o.logger.debug({ err: err.message, session: snapshot.id }, 'cluster: session snapshot not saved yet');
        },
      );
  }

  /** Writes what Redis missed while it was away. */
  #flush(): void {
    for (const id of [...this.#unsaved]) {
      const s = this.#held.get(id);
      if (s !== undefined) this.#write(s);
    }
  }

  /** Renews every held hash; one that is gone (Redis restarted empty) is written again. */
  async #renew(): Promise<void> {
    if (this.#renewing || this.#held.size === 0 || !this.#o.link.up) return;
    this.#renewing = true;
    try {
      const ids = [...this.#held.keys()];
      for (let i = 0; i < ids.length; i += RENEW_BATCH) {
        const batch = ids.slice(i, i + RENEW_BATCH);
        const replies = await this.#o.link.run('session renew', (c) => {
          const m = c.multi();
          for (const id of batch) m.pExpire(this.#key(id), this.#o.ttlMs);
          return m.exec();
        });
        replies.forEach((r, j) => {
          const s = Number(r) === 1 ? undefined : this.#held.get(batch[j] as string);
          if (s !== undefined) this.#write(s);
        });
      }
      this.#flush();
    } catch (err) {
      this.#o.logger.debug({ err: (err as Error).message }, 'cluster: session renewal failed (Redis away)');
    } finally {
      this.#renewing = false;
    }
  }
}
