/**
 * The TaskStore of a cluster: task records in Redis, so a task created on one node is read,
 * updated and cancelled from any node (docs/cluster.md "Tasks"). Every thread that serves
 * (each worker of each node) opens one store: two Redis connections (commands, and the
 * subscription to `<prefix>:tasks`) and a lease.
 *
 * - **Durable create.** `create` resolves once Redis acknowledged the write (the script's
 *   reply): from then on `get` on any node finds it. How durable that is is Redis' persistence:
 *   with `appendonly yes` + `appendfsync always` the record is on disk before the reply; with
 *   `everysec` a Redis crash may lose the last second; without persistence a Redis restart loses
 *   every task. `replicas: n` also waits (WAIT) for n replicas to have it.
 * - **Updates** are a script: applied unless the task is terminal, a write that changes nothing
 *   (a retry) is not applied twice, and the change is published in the same step.
 * - **Expiry**: the record's key expires at its `expiresAt` (PEXPIREAT; HSET keeps a key's TTL).
 * - **Changes and signals** go over `<prefix>:tasks` to every store, this one included, each
 *   heard once per store (pub/sub: at most once; a store whose subscription was down checks
 *   the tasks it runs when it is back, so a cancellation it missed still stops them).
 * - **Lease**: the store renews `<prefix>:tasks:lease:<runner>` every `renewMs` with a TTL of
 *   `leaseMs`; a runner that stops renewing (its process died) has its tasks failed by the
 *   cluster's leader (src/cluster/tasks/lease.ts).
 * - **Redis away**: every call rejects at once (never queued, never hanging) with -32012
 *   `reason: "task_store_unavailable"`, which TaskManager answers (create refused: the client
 *   retries). The runner's own writes are retried by the TaskManager until Redis is back.
 */
import { randomBytes } from 'node:crypto';
import { invalidArg } from '../../core/errors.js';
import { ErrorCode, McpError } from '../../mcp/jsonrpc.js';
import type { TaskPatch, TaskRecord, TaskSignal, TaskStore } from '../../mcp/tasks/store.js';
import { TERMINAL } from '../../mcp/tasks/store.js';
import type { Logger } from '../../ops/logger.js';
import { type RedisClient, RedisLink } from '../redis.js';
import { keepSubscribed } from '../subscribe.js';
import { createScript, updateScript } from './scripts.js';

/** Options of {@link startRedisTaskStore}. */
export interface RedisTaskStoreOptions {
  readonly redis: string;
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Deadline of one Redis command (ms). */
  readonly timeoutMs: number;
  /**
   * This store's runner id, unique per process start and thread (a new incarnation of a node
   * never reuses it): `<nodeId>/<worker>` plus a random part is added to it.
   */
  readonly runner: string;
  /** The lease's TTL (ms; the cluster's deadAfterMs). */
  readonly leaseMs: number;
  /** How often the lease is renewed (ms; the cluster's heartbeatMs). */
  readonly renewMs: number;
  /** Replicas that must have a new task before `create` resolves (WAIT; default 0). */
  readonly replicas?: number;
}

/** The keys of a cluster's tasks. */
export function taskKeys(keyPrefix: string) {
  return {
    /** Prefix of the tasks' sets and leases (the scripts' ARGV[1]). */
    tasks: `${keyPrefix}:tasks:`,
    /** Prefix of the task hashes. */
    task: `${keyPrefix}:task:`,
    channel: `${keyPrefix}:tasks`,
    runners: `${keyPrefix}:tasks:runners`,
    lease: (runner: string) => `${keyPrefix}:tasks:lease:${runner}`,
  };
}

/** -32012 while Redis cannot be reached: "try again" (HTTP 503 + Retry-After). */
export function storeUnavailable(err: unknown): McpError {
  return new McpError(
    ErrorCode.GLOBAL_OVERLOADED,
    `Tasks unavailable: the task store cannot be reached (${(err as Error)?.message ?? String(err)})`,
    { reason: 'task_store_unavailable', retryAfterMs: 1_000 },
  );
}

/** The fields of a record as the hash stores them (JSON values), and those to delete. */
function fields(patch: Partial<TaskRecord>): { set: string[]; unset: string[] } {
  const set: string[] = [];
  const unset: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) unset.push(k);
    else set.push(k, JSON.stringify(v));
  }
  return { set, unset };
}

/** A record the scripts wrote (JSON), undefined when it is not one. */
function parseDoc(raw: unknown): TaskRecord | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const r = JSON.parse(raw) as TaskRecord;
    return typeof r?.taskId === 'string' && typeof r.status === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** A record from HGETALL (field -> JSON value). */
function parseHash(hash: Record<string, string>): TaskRecord | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) {
    if (k === 'runner') continue;
    try {
      out[k] = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const r = out as unknown as TaskRecord;
  return typeof r.taskId === 'string' && typeof r.status === 'string' ? r : undefined;
}

/** Connects (retrying in the background while Redis is away) and starts the lease. */
export async function startRedisTaskStore(o: RedisTaskStoreOptions): Promise<RedisTaskStore> {
  const store = new RedisTaskStore(o);
  await store.start();
  return store;
}

/** See the module comment. */
export class RedisTaskStore implements TaskStore {
  /** This store's runner id (in the lease key and the runner sets). */
  readonly runner: string;
  readonly #o: RedisTaskStoreOptions;
  readonly #keys: ReturnType<typeof taskKeys>;
  readonly #cmd: RedisLink;
  readonly #sub: RedisLink;
  readonly #log: Logger;
  readonly #signals = new Set<(s: TaskSignal) => void>();
  readonly #changes = new Set<(t: TaskRecord) => void>();
  /** Tasks created here that this store has not seen end: checked when a signal may have been missed. */
  readonly #mine = new Set<string>();
  /** Tasks whose create failed after it may have been written: failed as soon as Redis takes it. */
  readonly #abandoned = new Map<string, number | null>();
  #renew: NodeJS.Timeout | undefined;
  #renewing = false;
  #subWasDown = false;
  #closed = false;

  constructor(o: RedisTaskStoreOptions) {
    if (!(o.leaseMs > o.renewMs && o.renewMs > 0)) throw invalidArg('RedisTaskStore: leaseMs must exceed renewMs > 0');
    this.#o = o;
    this.runner = `${o.runner}/${randomBytes(6).toString('base64url')}`;
    this.#keys = taskKeys(o.keyPrefix);
    this.#log = o.logger.child({ tasks: this.#keys.channel });
    this.#cmd = new RedisLink({ url: o.redis, logger: this.#log, timeoutMs: o.timeoutMs });
    this.#sub = new RedisLink({ url: o.redis, logger: this.#log, timeoutMs: o.timeoutMs });
  }

  /** @internal Connects both links, subscribes and starts renewing the lease. */
  async start(): Promise<void> {
    await Promise.all([this.#cmd.start(), this.#sub.start()]);
    keepSubscribed(this.#sub, this.#keys.channel, (m) => this.#message(m), this.#log);
    this.#sub.on('down', () => {
      this.#subWasDown = true;
    });
    // Back after an outage: what was published meanwhile is lost; the tasks run here are checked.
    this.#sub.on('up', () => {
      if (this.#subWasDown) void this.#reconcile();
      this.#subWasDown = false;
    });
    this.#cmd.on('up', () => void this.#renewLease());
    await this.#renewLease();
    this.#renew = setInterval(() => void this.#renewLease(), this.#o.renewMs);
    this.#renew.unref();
  }

  async create(task: TaskRecord): Promise<void> {
    const { set } = fields(task);
    const k = this.#keys;
    let created: unknown;
    try {
      created = await this.#cmd.run('create task', (c) =>
        createScript.run(
          c,
          [k.task + task.taskId],
          [
            k.tasks,
            k.channel,
            task.taskId,
            this.runner,
            String(this.#o.leaseMs),
            task.expiresAt === null ? '' : String(task.expiresAt),
            ...set,
          ],
        ),
      );
      if (created === 0) throw invalidArg(`task ${task.taskId} exists`);
      await this.#replicate();
    } catch (err) {
      if (created === 0) throw err;
      // The write may have landed (the answer, or the replicas', did not): the client is told
      // no, so the record must not stay `working` with nobody running it.
      this.#abandoned.set(task.taskId, task.expiresAt);
      throw storeUnavailable(err);
    }
    // (Created now, so an earlier attempt with this id did not land.)
    this.#abandoned.delete(task.taskId);
    this.#mine.add(task.taskId);
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const hash = await this.#run('get task', (c) => c.hGetAll(this.#keys.task + taskId));
    return Object.keys(hash).length === 0 ? undefined : parseHash(hash as Record<string, string>);
  }

  async update(taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined> {
    const { set, unset } = fields(patch);
    const k = this.#keys;
    const reply = (await this.#run('update task', (c) =>
      updateScript.run(c, [k.task + taskId], [k.tasks, k.channel, taskId, String(unset.length), ...unset, ...set]),
    )) as [number, string] | null;
    if (reply === null) {
      this.#mine.delete(taskId);
      return undefined;
    }
    const record = parseDoc(reply[1]);
    if (record === undefined || TERMINAL.has(record.status)) this.#mine.delete(taskId);
    return record;
  }

  async signal(signal: TaskSignal): Promise<void> {
    await this.#run('signal task', (c) => c.publish(this.#keys.channel, JSON.stringify({ s: signal })));
  }

  onSignal(listener: (signal: TaskSignal) => void): () => void {
    this.#signals.add(listener);
    return () => this.#signals.delete(listener);
  }

  onChange(listener: (task: TaskRecord) => void): () => void {
    this.#changes.add(listener);
    return () => this.#changes.delete(listener);
  }

  /** Stops the lease (deleted: tasks left unfinished are failed at the leader's next sweep) and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renew);
    this.#signals.clear();
    this.#changes.clear();
    await this.#cmd.run('drop lease', (c) => c.del(this.#keys.lease(this.runner))).catch(() => undefined);
    await Promise.all([this.#cmd.close(), this.#sub.close()]);
  }

  async #run<T>(what: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw storeUnavailable(new Error('the task store is closed'));
    try {
      return await this.#cmd.run(what, fn);
    } catch (err) {
      throw storeUnavailable(err);
    }
  }

  async #replicate(): Promise<void> {
    const n = this.#o.replicas ?? 0;
    if (n <= 0) return;
    const acked = await this.#cmd.run('wait for replicas', (c) =>
      c.sendCommand(['WAIT', String(n), String(this.#o.timeoutMs)]),
    );
    if (typeof acked !== 'number' || acked < n) {
      throw new Error(`${String(acked)} of ${n} replicas acknowledged the task within ${this.#o.timeoutMs} ms`);
    }
  }

  #message(raw: string): void {
    let frame: { c?: unknown; s?: unknown };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      return;
    }
    if (frame.c !== undefined) {
      const t = frame.c as TaskRecord;
      if (typeof t?.taskId !== 'string') return;
      for (const l of this.#changes) l({ ...t });
    } else if (frame.s !== undefined) {
      const s = frame.s as TaskSignal;
      if (typeof s?.taskId !== 'string') return;
      for (const l of this.#signals) l(s);
    }
  }

  /** Renews the lease; a lease found gone (Redis lost it, or this runner was cut off too long) means a check. */
  async #renewLease(): Promise<void> {
    if (this.#renewing || this.#closed || !this.#cmd.up) return;
    this.#renewing = true;
    try {
      const before = await this.#cmd.run('renew lease', (c) =>
        c.set(this.#keys.lease(this.runner), '1', { expiration: { type: 'PX', value: this.#o.leaseMs }, GET: true }),
      );
      if (before === null && this.#mine.size > 0) await this.#reconcile();
      await this.#failAbandoned();
    } catch {
      // Redis away: the next beat (or its return) renews.
    } finally {
      this.#renewing = false;
    }
  }

  /**
   * The tasks run here that ended elsewhere while a signal could not reach this store (cancelled
   * from another node, or failed by the leader's sweep): the runner is told to stop them.
   */
  async #reconcile(): Promise<void> {
    const ids = [...this.#mine];
    if (ids.length === 0 || this.#closed) return;
    let statuses: Array<string | null>;
    try {
      statuses = (await this.#cmd.run('check tasks', (c) => {
        const m = c.multi();
        for (const id of ids) m.hGet(this.#keys.task + id, 'status');
        return m.exec();
      })) as unknown as Array<string | null>;
    } catch {
      return;
    }
    ids.forEach((taskId, i) => {
      const status = statuses[i];
      const ended = status === null || status === undefined || TERMINAL.has(JSON.parse(status));
      if (!ended) return;
      this.#mine.delete(taskId);
      for (const l of this.#signals) l({ kind: 'cancel', taskId });
    });
  }

  async #failAbandoned(): Promise<void> {
    for (const [taskId, expiresAt] of this.#abandoned) {
      if (expiresAt !== null && Date.now() >= expiresAt) {
        this.#abandoned.delete(taskId);
        continue;
      }
      const message = 'the task could not be started: the task store did not acknowledge it';
      await this.update(taskId, {
        status: 'failed',
        statusMessage: message,
        error: { code: ErrorCode.INTERNAL_ERROR, message },
        lastUpdatedAt: new Date().toISOString(),
      });
      this.#abandoned.delete(taskId);
    }
  }
}
