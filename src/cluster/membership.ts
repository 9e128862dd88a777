/**
 * Cluster membership by heartbeats. Every node keeps one key, `<prefix>:node:<id>`, holding its
 * record (advertise URL, start time, load) with a TTL of `deadAfterMs`, renewed every
 * `heartbeatMs`, and its id in the sorted set `<prefix>:nodes` (scored by start time). Each beat
 * also reads every member's record and the key's remaining TTL in one transaction, so liveness
 * is decided by Redis' clock, never by comparing the nodes' clocks: a node whose key has expired
 * is dead, seen by every other node within deadAfterMs + heartbeatMs of its last beat, and
 * removed from the set by whichever node sees it first (idempotent). The leader is the oldest
 * live node (the set's first), so exactly one node does the cluster's housekeeping.
 *
 * While Redis is unreachable the node keeps its last view, marked stale, and reports the cluster
 * as degraded; it beats again as soon as Redis is back. A graceful stop deletes the key first,
 * so the others see the node leave at their next beat instead of after the TTL.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErlmcpError } from '../core/errors.js';
import type { Logger } from '../ops/logger.js';
import type { RedisLink } from './redis.js';

/** The load a node publishes with each heartbeat (what /health shows per node). */
export interface NodeLoad {
  /** Connections held (the node's maxConnections count). */
  readonly connections: number;
  /** MCP sessions registered (null where the publishing thread cannot see them). */
  readonly sessions: number | null;
  /** Requests completed per second since the previous heartbeat (null where not known). */
  readonly requests_per_sec: number | null;
  readonly workers: number;
}

/** What a node's key holds. */
export interface NodeRecord {
  readonly id: string;
  readonly advertise: string;
  /** Date.now() at the node's start (its own clock; for display and leader order only). */
  readonly started_at: number;
  readonly load: NodeLoad;
}

/** One node in a {@link ClusterView}. */
export interface ClusterNode extends NodeRecord {
  /** Ms since its last heartbeat, by Redis' clock (deadAfterMs minus the key's TTL). */
  readonly last_beat_ms: number;
  readonly self: boolean;
}

/** The cluster as this node last saw it: the `cluster` object of `GET /health`. */
export interface ClusterView {
  /** This node's id. */
  readonly node: string;
  readonly role: 'leader' | 'member';
  /** "ok", or "degraded" while Redis is unreachable (the node list is then the last one seen). */
  readonly state: 'ok' | 'degraded';
  readonly redis: 'up' | 'down';
  /** Why Redis is down (its last error), when it is. */
  readonly redis_error?: string;
  /** Whether `nodes` is older than the last heartbeat (Redis unreachable since). */
  readonly stale: boolean;
  /** Ms since the last successful heartbeat of this node. */
  readonly last_beat_ms: number | null;
  readonly heartbeat_ms: number;
  readonly dead_after_ms: number;
  /** Live nodes, leader first. */
  readonly nodes: readonly ClusterNode[];
}

/** Options of {@link Membership}. */
export interface MembershipOptions {
  readonly link: RedisLink;
  readonly logger: Logger;
  readonly nodeId: string;
  readonly advertise: string;
  readonly keyPrefix: string;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  /** Read at every beat. */
  readonly load: () => NodeLoad;
}

interface MembershipEvents {
  /** Another node appeared (or came back after it was seen dead). */
  'node-up': [node: ClusterNode];
  /** A node seen before is gone: its heartbeat expired, or it left. */
  'node-down': [id: string];
  /** After every heartbeat attempt, failed ones included (the view is then stale). */
  view: [view: ClusterView];
}

/** This node's membership: see the module comment. */
export class Membership extends EventEmitter<MembershipEvents> {
  readonly #o: MembershipOptions;
  readonly #startedAt = Date.now();
  readonly #nodeKey: string;
  readonly #setKey: string;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #nodes: ClusterNode[] = [];
  #known = new Set<string>();
  #lastBeatAt: number | undefined;
  #stale = true;
  #stopped = false;
  /** Until then, nodes missing from Redis are not declared dead (see the 'up' handler). */
  #graceUntil = 0;

  constructor(o: MembershipOptions) {
    super();
    this.#o = o;
    this.#nodeKey = nodeKey(o.keyPrefix, o.nodeId);
    this.#setKey = `${o.keyPrefix}:nodes`;
    // When Redis comes back it may have lost every key (a restart without persistence): every
    // node announces itself again within one heartbeat, so for deadAfterMs nobody missing is
    // declared dead. This node beats at once, so the others see it before their grace ends.
    o.link.on('up', () => {
      this.#graceUntil = Date.now() + o.deadAfterMs;
      void this.beat();
    });
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  /**
   * Starts beating; resolves after the first attempt (which fails quietly while Redis is down).
   * Rejects with ERR_CLUSTER_NODE_ID when a live node already beats under this id.
   */
  async start(): Promise<void> {
    await this.#claimId();
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /** One heartbeat: renew this node's key, then read every member. Never throws. */
  beat(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    // A slow Redis must not pile beats up: one at a time.
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /** The current view (what /health shows). */
  view(): ClusterView {
    const o = this.#o;
    const up = o.link.up;
    const stale = this.#stale || !up;
    const leader = this.#nodes[0];
    return {
      node: o.nodeId,
      role: leader === undefined || leader.id === o.nodeId ? 'leader' : 'member',
      state: stale ? 'degraded' : 'ok',
      redis: up ? 'up' : 'down',
      ...(up ? {} : { redis_error: o.link.lastError }),
      stale,
      last_beat_ms: this.#lastBeatAt === undefined ? null : Date.now() - this.#lastBeatAt,
      heartbeat_ms: o.heartbeatMs,
      dead_after_ms: o.deadAfterMs,
      nodes: this.#nodes,
    };
  }

  /** Ids of the live nodes, leader first (the last view). */
  nodeIds(): string[] {
    return this.#nodes.map((n) => n.id);
  }

  /** Stops beating and leaves: the key is deleted, so the others see this node go at once. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#beating;
    try {
      await this.#o.link.run('leave', (c) => c.multi().del(this.#nodeKey).zRem(this.#setKey, this.#o.nodeId).exec());
    } catch (err) {
      // Redis down: the key expires by itself after deadAfterMs.
      this.#o.logger.warn(
        { err: (err as Error).message },
        'cluster: could not leave cleanly; the heartbeat will expire',
      );
    }
  }

  /**
   * A key under this id that is still there may be a node killed a moment ago with the same
   * fixed id (it expires within deadAfterMs) or a live node that keeps renewing it: wait one
   * TTL and a heartbeat for it to go. Skipped while Redis is down (the id is then not checked).
   */
  async #claimId(): Promise<void> {
    const o = this.#o;
    if (!o.link.up) return;
    const until = Date.now() + o.deadAfterMs + o.heartbeatMs;
    for (;;) {
      let holder: string | null;
      try {
        holder = await o.link.run('claim node id', (c) => c.get(this.#nodeKey));
      } catch {
        return;
      }
      if (holder === null) return;
      if (Date.now() > until) {
        const other = parseRecord(holder);
        throw new ErlmcpError(
          'ERR_CLUSTER_NODE_ID',
          `cluster: node id "${o.nodeId}" is taken by a live node${other ? ` (advertising ${other.advertise})` : ''}: give every node its own cluster.nodeId, or "auto"`,
        );
      }
      await sleep(Math.min(o.heartbeatMs, 100));
    }
  }

  async #beat(): Promise<void> {
    const o = this.#o;
    const record: NodeRecord = { id: o.nodeId, advertise: o.advertise, started_at: this.#startedAt, load: o.load() };
    try {
      const ids = await o.link.run('heartbeat', async (c) => {
        const [, , members] = (await c
          .multi()
          .set(this.#nodeKey, JSON.stringify(record), { expiration: { type: 'PX', value: o.deadAfterMs } })
          .zAdd(this.#setKey, { score: this.#startedAt, value: o.nodeId })
          .zRange(this.#setKey, 0, -1)
          .exec()) as unknown as [unknown, unknown, string[]];
        return members;
      });
      const keys = ids.map((id) => nodeKey(o.keyPrefix, id));
      const read = (await o.link.run('read members', (c) => {
        const m = c.multi().mGet(keys);
        for (const k of keys) m.pTTL(k);
        return m.exec();
      })) as unknown as [Array<string | null>, ...number[]];
      const [values, ...ttls] = read;
      const nodes: ClusterNode[] = [];
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const raw = values[i];
        const ttl = ttls[i] ?? -2;
        const parsed = raw === null || raw === undefined ? undefined : parseRecord(raw);
        if (parsed === undefined || ttl < 0) {
          gone.push(id);
          return;
        }
        nodes.push({ ...parsed, last_beat_ms: Math.max(0, o.deadAfterMs - ttl), self: id === o.nodeId });
      });
      if (gone.length > 0) await o.link.run('remove dead', (c) => c.zRem(this.#setKey, gone)).catch(() => undefined);
      this.#lastBeatAt = Date.now();
      this.#stale = false;
      this.#apply(nodes);
    } catch (err) {
      if (!this.#stale) o.logger.warn({ err: (err as Error).message }, 'cluster: heartbeat failed');
      this.#stale = true;
    }
    this.emit('view', this.view());
  }

  #apply(nodes: ClusterNode[]): void {
    const now = new Set(nodes.map((n) => n.id));
    const grace = Date.now() < this.#graceUntil;
    const known = new Set<string>();
    for (const id of this.#known) {
      if (now.has(id)) known.add(id);
      else if (grace) known.add(id);
      else {
        this.#o.logger.warn({ peer: id }, 'cluster: node down');
        this.emit('node-down', id);
      }
    }
    for (const n of nodes) {
      if (!this.#known.has(n.id) && !n.self) {
        this.#o.logger.info({ peer: n.id, advertise: n.advertise }, 'cluster: node up');
        this.emit('node-up', n);
      }
      if (!n.self) known.add(n.id);
    }
    // A node kept by the grace stays in the view as last seen: requests for its sessions are
    // still sent to it (not moved while it may only be re-announcing itself), and the leader
    // does not change because Redis lost the keys.
    const kept = grace ? this.#nodes.filter((n) => !now.has(n.id) && known.has(n.id)) : [];
    this.#known = known;
    this.#nodes =
      kept.length === 0
        ? nodes
        : [...nodes, ...kept].sort((x, y) => x.started_at - y.started_at || (x.id < y.id ? -1 : 1));
  }
}

const nodeKey = (prefix: string, id: string) => `${prefix}:node:${id}`;

/** A record another node wrote; undefined when it is not one (a foreign key under our prefix). */
function parseRecord(raw: string): NodeRecord | undefined {
  try {
    const r = JSON.parse(raw) as NodeRecord;
    return typeof r?.id === 'string' && typeof r.advertise === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
