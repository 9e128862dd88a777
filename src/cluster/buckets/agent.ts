/**
 * Cluster-wide token buckets by local shares with rebalancing (docs/cluster.md, "Rate limits
 * across nodes"). Requests never wait for Redis: each node admits from its own native bucket,
 * which holds the node's share of the principal's bucket. Every `intervalMs` each thread that
 * serves (every worker of every node: a participant, `<nodeId>/<worker>`)
 *
 * 1. reads the allocation (`<prefix>:buckets:allocation`) and applies this node's shares to the
 *    principals it holds (Gate.setPrincipalShares);
 * 2. writes its report (`<prefix>:buckets:report:<nodeId>/<worker>`, TTL deadAfterMs): the
 *    allocation it now applies (its acknowledgement) and each principal's demand since the last
 *    report (messages that asked the bucket for a token, admitted or refused);
 * 3. if it runs on the leader node, and every participant of every live node has acknowledged
 *    the current allocation, computes the next epoch (allocation.ts) and writes it with a
 *    compare-and-set, so two threads (or two nodes that both believe they lead) never publish
 *    two versions of one epoch.
 *
 * Redis away: the last allocation stays applied (nothing is reset), and reports resume when it
 * is back. A Redis restarted empty gets the allocation the leader last saw written back.
 */
import { randomBytes } from 'node:crypto';
import type { Gate } from '../../mcp/gate.js';
import type { Logger } from '../../ops/logger.js';
import type { ClusterView } from '../membership.js';
import { RedisLink } from '../redis.js';
import {
  type Allocation,
  allocationTag,
  type Demand,
  nextAllocation,
  parseAllocation,
  sameAllocation,
  shareOf,
} from './allocation.js';

/** Options of {@link ClusterBuckets}. */
export interface ClusterBucketsOptions {
  readonly gate: Gate;
  readonly redis: string;
  readonly keyPrefix: string;
  readonly nodeId: string;
  /** This thread's worker index (0 on a node with one thread). */
  readonly worker: number;
  readonly intervalMs: number;
  /** TTL of a report: a participant silent for this long is gone (cluster.deadAfterMs). */
  readonly reportTtlMs: number;
  /** The node's current cluster view (membership). */
  readonly view: () => ClusterView | undefined;
  readonly logger: Logger;
}

/** A participant's report. */
interface Report {
  /** allocationTag of the allocation it applies. */
  readonly ack: string;
  /** Demand per principal key since its previous report. */
  readonly demand: Readonly<Record<string, number>>;
}

/** Writes ARGV[2] when the key still holds ARGV[1] ("" = absent): the leader's compare-and-set. */
const CAS = `local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** One participant of the cluster's bucket allocation: see the module comment. */
export class ClusterBuckets {
  readonly #o: ClusterBucketsOptions;
  readonly #link: RedisLink;
  readonly #allocKey: string;
  readonly #self: string;
  #alloc: Allocation | undefined;
  #applied = '';
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #failing = false;
  #closed = false;

  constructor(o: ClusterBucketsOptions) {
    this.#o = o;
    this.#link = new RedisLink({ url: o.redis, logger: o.logger, timeoutMs: Math.max(100, o.intervalMs) });
    this.#allocKey = `${o.keyPrefix}:buckets:allocation`;
    this.#self = `${o.nodeId}/${o.worker}`;
  }

  /** Connects, installs the shares in the gate and runs the first interval (failing quietly while Redis is down). */
  async start(): Promise<void> {
    this.#o.gate.setPrincipalShares((key, whole) =>
      shareOf(this.#alloc, this.#o.nodeId, this.#o.view()?.nodes.length ?? 1, key, whole),
    );
    await this.#link.start();
    await this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** The allocation this participant applies (undefined before the first one is read). */
  get allocation(): Allocation | undefined {
    return this.#alloc;
  }

  /** One interval: read and apply, report, allocate when leading. Never throws; one at a time. */
  tick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Stops; the shares stay applied (the node may still be draining). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#ticking;
    await this.#link.close();
  }

  async #tick(): Promise<void> {
    const o = this.#o;
    const demand = o.gate.takeDemand();
    try {
      const raw = await this.#link.run('read allocation', (c) => c.get(this.#allocKey));
      const read = parseAllocation(raw);
      // Absent (a Redis restarted empty): keep applying the last one; the leader writes it back.
      if (read !== undefined) this.#alloc = read;
      const tag = allocationTag(this.#alloc);
      if (tag !== this.#applied) {
        o.gate.setPrincipalShares((key, whole) =>
          shareOf(this.#alloc, o.nodeId, o.view()?.nodes.length ?? 1, key, whole),
        );
        this.#applied = tag;
      }
      const report: Report = { ack: tag, demand: Object.fromEntries(demand) };
      await this.#link.run('report demand', (c) =>
        c.set(reportKey(o.keyPrefix, this.#self), JSON.stringify(report), {
          expiration: { type: 'PX', value: o.reportTtlMs },
        }),
      );
      await this.#allocate(read === undefined ? null : raw);
      if (this.#failing) o.logger.info('cluster: bucket shares in sync again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) {
        o.logger.warn({ err: (err as Error).message }, 'cluster: bucket shares not updated; keeping the last ones');
      }
      this.#failing = true;
    }
  }

  /** The leader's part: the next epoch once every live participant applies the current one. */
  async #allocate(stored: string | null): Promise<void> {
    const o = this.#o;
    const view = o.view();
    if (view === undefined || view.role !== 'leader' || view.stale || view.node !== o.nodeId) return;
    if (stored === null && this.#alloc !== undefined) {
      // Redis lost it: the last one seen goes back, so every node keeps counting from it.
      await this.#cas('', JSON.stringify(this.#alloc));
      return;
    }
    const live = view.nodes.map((n) => n.id);
    const participants = view.nodes.flatMap((n) =>
      Array.from({ length: Math.max(1, n.load.workers) }, (_, w) => `${n.id}/${w}`),
    );
    const raws = await this.#link.run('read reports', (c) =>
      c.mGet(participants.map((p) => reportKey(o.keyPrefix, p))),
    );
    const tag = allocationTag(this.#alloc);
    const demand = new Map<string, Map<string, number>>();
    for (let i = 0; i < participants.length; i++) {
      const report = parseReport(raws[i]);
      // Someone has not reported yet, or still applies an older epoch: wait for it.
      if (report === undefined || report.ack !== tag) return;
      const node = (participants[i] as string).slice(0, (participants[i] as string).lastIndexOf('/'));
      for (const [key, n] of Object.entries(report.demand)) {
        if (!Number.isFinite(n) || n <= 0) continue;
        const byNode = demand.get(key) ?? new Map<string, number>();
        demand.set(key, byNode);
        byNode.set(node, (byNode.get(node) ?? 0) + n);
      }
    }
    const next = nextAllocation(this.#alloc, live, demand as Demand, (key) => o.gate.principalBucket(key), newGen());
    if (this.#alloc !== undefined && sameAllocation(this.#alloc, next.nodes, next.shares)) return;
    await this.#cas(stored ?? '', JSON.stringify(next));
  }

  async #cas(expected: string, value: string): Promise<void> {
    await this.#link.run('write allocation', (c) =>
      c.eval(CAS, { keys: [this.#allocKey], arguments: [expected, value] }),
    );
  }
}

const reportKey = (prefix: string, participant: string) => `${prefix}:buckets:report:${participant}`;

const newGen = () => randomBytes(6).toString('hex');

function parseReport(raw: string | null | undefined): Report | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const r = JSON.parse(raw) as Report;
    return typeof r?.ack === 'string' && typeof r.demand === 'object' && r.demand !== null ? r : undefined;
  } catch {
    return undefined;
  }
}
