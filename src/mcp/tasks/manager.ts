import { randomBytes } from 'node:crypto';
import { invalidArg } from '../../core/errors.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import { TASKS_EXTENSION } from '../meta-keys.js';
import { toWireError } from '../peer.js';
import type { ServerContext } from '../server-context.js';
import type { CallToolResult, CreateTaskResult, DetailedTask, InputRequests } from '../types.js';
import { InMemoryTaskStore } from './memory-store.js';
import { type TaskPatch, type TaskRecord, type TaskSignal, type TaskStore, TERMINAL } from './store.js';
import type { TaskSupport } from './support.js';
import { TaskInput } from './task-input.js';

/** Options of the Tasks extension on an McpServer (`McpServerOptions.tasks`). */
export interface TasksOptions {
  /** Where tasks are kept (default: an InMemoryTaskStore of this process). */
  store?: TaskStore;
  /** Default lifetime of a task from creation in ms, null for unlimited (default 3,600,000). */
  ttlMs?: number | null;
  /** Default suggested polling interval in ms (default 1,000). */
  pollIntervalMs?: number;
  /** Tasks running in this process at once; one more is refused with -32012 (default 10,000). */
  maxRunning?: number;
  /**
   * Prepended to every task id (default none). A pool worker sets `w<index>.`, so that a task
   * request landing on another worker is forwarded to the worker whose store holds the task.
   */
  idPrefix?: string;
  /**
   * Told of every change of a task's state, after this server's own listeners (default none):
   * a pool worker publishes it to the other workers, whose `subscriptions/listen` streams may
   * be waiting for this task (McpServer.deliverTaskUpdate there).
   */
  publish?: (taskId: string, task: Record<string, unknown>) => void;
}

/** What runs a task's handler: given the task's context, the tool's final result. */
export type TaskRun = (ctx: ServerContext) => unknown;

interface Running {
  readonly record: TaskRecord;
  readonly ctx: ServerContext;
  readonly input: TaskInput;
  /** Store updates of this task, in order. */
  chain: Promise<unknown>;
  /** The write queued behind the one in progress (later writes merge into it). */
  pending: TaskPatch | undefined;
  ended: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** What the manager needs from its server. */
export interface TaskHost {
  /** The 2026 wire form of the tool's result, inlined in the task. */
  shape(result: unknown): Record<string, unknown>;
  /** A task changed: tell the listeners of it. */
  changed(taskId: string, task: DetailedTask): void;
}

const TASK_ID_BYTES = 18;
const CANCELLED = 'cancelled by the client';

function missingExtension(what: string): McpError {
  return new McpError(
    ErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
    `Missing required client capability: ${what} needs the ${TASKS_EXTENSION} extension`,
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  );
}

function unknownTask(taskId: string): McpError {
  return new McpError(ErrorCode.INVALID_PARAMS, `Unknown task: ${taskId}`, { taskId });
}

function taskIdOf(params: Record<string, unknown>): string {
  const id = params.taskId;
  if (typeof id !== 'string' || id.length === 0) {
    throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "taskId" must be a non-empty string');
  }
  return id;
}

/** The wire form of a stored task (what tasks/get answers and notifications/tasks carry). */
export function detailedTask(t: TaskRecord): DetailedTask {
  const out: DetailedTask = {
    taskId: t.taskId,
    status: t.status,
    createdAt: t.createdAt,
    lastUpdatedAt: t.lastUpdatedAt,
    ttlMs: t.ttlMs,
  };
  if (t.statusMessage !== undefined) out.statusMessage = t.statusMessage;
  if (t.pollIntervalMs !== undefined) out.pollIntervalMs = t.pollIntervalMs;
  if (t.status === 'input_required' && t.inputRequests !== undefined) out.inputRequests = t.inputRequests;
  if (t.status === 'completed' && t.result !== undefined) out.result = t.result;
  if (t.status === 'failed' && t.error !== undefined) out.error = t.error;
  return out;
}

/**
 * The Tasks extension of one server (SEP-2663): turns a `tools/call` into a task whose record
 * is durable in the store before the CreateTaskResult is answered, runs the handler in the
 * background with a context of the task's own (its signal is the task's cancellation; input
 * requests park the task as `input_required`), moves the record through the five statuses
 * (a tool error is `completed` with `isError`, a JSON-RPC error `failed`), and answers
 * tasks/get, tasks/update and tasks/cancel. Task ids are 144 random bits; a task is visible only
 * to the caller that created it when callers are authenticated.
 */
export class TaskManager {
  readonly store: TaskStore;
  readonly #host: TaskHost;
  readonly #ttlMs: number | null;
  readonly #pollMs: number;
  readonly #maxRunning: number;
  readonly #idPrefix: string;
  readonly #running = new Map<string, Running>();
  /** Tasks whose last write is still on its way to the store. */
  readonly #ending = new Set<Running>();
  #closing = false;
  readonly #offSignal: () => void;
  readonly #offChange: () => void;

  constructor(options: TasksOptions, host: TaskHost) {
    this.store = options.store ?? new InMemoryTaskStore();
    this.#host = host;
    this.#ttlMs = options.ttlMs === undefined ? 3_600_000 : options.ttlMs;
    if (this.#ttlMs !== null && !(Number.isInteger(this.#ttlMs) && this.#ttlMs > 0)) {
      throw invalidArg('tasks.ttlMs must be a positive integer or null');
    }
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    if (!(Number.isInteger(this.#pollMs) && this.#pollMs > 0))
      throw invalidArg('tasks.pollIntervalMs must be a positive integer');
    this.#maxRunning = options.maxRunning ?? 10_000;
    this.#idPrefix = options.idPrefix ?? '';
    if (!(Number.isInteger(this.#maxRunning) && this.#maxRunning > 0)) {
      throw invalidArg('tasks.maxRunning must be a positive integer');
    }
    this.#offSignal = this.store.onSignal((s) => this.#onSignal(s));
    this.#offChange = this.store.onChange((t) => host.changed(t.taskId, detailedTask(t)));
  }

  /** Tasks running in this process. */
  get running(): number {
    return this.#running.size;
  }

  /** True when the request may be answered with a task: a 2026 request declaring the extension. */
  allowed(ctx: ServerContext): boolean {
    return ctx.stateless && ctx.clientCapabilities.extensions?.[TASKS_EXTENSION] !== undefined;
  }

  /** -32021 for a `required` tool called by a client that cannot take a task. */
  refuse(tool: string): McpError {
    return missingExtension(`tool ${tool}`);
  }

  /**
   * Creates the task (durably, before answering), starts `run` in the background and answers
   * the CreateTaskResult.
   */
  async start(ctx: ServerContext, support: TaskSupport, run: TaskRun): Promise<CreateTaskResult> {
    if (this.#running.size >= this.#maxRunning) {
      throw new McpError(ErrorCode.GLOBAL_OVERLOADED, `Server overloaded: ${this.#maxRunning} tasks are running`, {
        reason: 'max_tasks',
        retryAfterMs: 1_000,
      });
    }
    const now = Date.now();
    const at = new Date(now).toISOString();
    const ttlMs = support.ttlMs === undefined ? this.#ttlMs : support.ttlMs;
    const record: TaskRecord = {
      taskId: `${this.#idPrefix}${randomBytes(TASK_ID_BYTES).toString('base64url')}`,
      status: 'working',
      createdAt: at,
      lastUpdatedAt: at,
      ttlMs,
      pollIntervalMs: support.pollIntervalMs ?? this.#pollMs,
      expiresAt: ttlMs === null ? null : now + ttlMs,
      ...(ctx.principal === undefined ? {} : { owner: ctx.principal }),
    };
    await this.store.create(record);
    const input = new TaskInput((outstanding) => this.#park(entry, outstanding));
    const entry: Running = {
      record,
      ctx: ctx.forTask(record.taskId, input, (progress, total, message) => {
        if (!entry.ended) {
          const text = message ?? (total === undefined ? `${progress}` : `${progress} of ${total}`);
          this.#write(entry, { statusMessage: text });
        }
      }),
      input,
      chain: Promise.resolve(),
      pending: undefined,
      ended: false,
      timer: undefined,
    };
    this.#running.set(record.taskId, entry);
    if (ttlMs !== null) {
      entry.timer = setTimeout(() => this.#expire(entry), ttlMs);
      entry.timer.unref();
    }
    // The work starts after the answer is on its way: the client learns the task id first.
    queueMicrotask(() => void this.#run(entry, run));
    const created: CreateTaskResult = {
      resultType: 'task',
      taskId: record.taskId,
      status: record.status,
      createdAt: record.createdAt,
      lastUpdatedAt: record.lastUpdatedAt,
      ttlMs: record.ttlMs,
    };
    if (record.pollIntervalMs !== undefined) created.pollIntervalMs = record.pollIntervalMs;
    return created;
  }

  // ---- the tasks/* methods ------------------------------------------------------------

  /** `tasks/get`: the task as it is now. */
  async get(params: Record<string, unknown>, ctx: ServerContext): Promise<DetailedTask> {
    return detailedTask(await this.#visible(params, ctx, 'tasks/get'));
  }

  /** `tasks/update`: delivers input responses to the task (an empty ack; eventually consistent). */
  async update(params: Record<string, unknown>, ctx: ServerContext): Promise<Record<string, never>> {
    const task = await this.#visible(params, ctx, 'tasks/update');
    const responses = params.inputResponses;
    if (typeof responses !== 'object' || responses === null || Array.isArray(responses)) {
      throw new McpError(
        ErrorCode.INVALID_PARAMS,
        'Invalid params: inputResponses must be an object of answers by key',
      );
    }
    if (!TERMINAL.has(task.status)) {
      await this.store.signal({ kind: 'input', taskId: task.taskId, responses: responses as Record<string, unknown> });
    }
    return {};
  }

  /**
   * `tasks/cancel`: the task is `cancelled` in the store at once (so a cancel holds even when
   * the process running it never hears of it), then that process is told to stop it. An empty
   * ack; a terminal task is acked too.
   */
  async cancel(params: Record<string, unknown>, ctx: ServerContext): Promise<Record<string, never>> {
    const task = await this.#visible(params, ctx, 'tasks/cancel');
    if (TERMINAL.has(task.status)) return {};
    const after = await this.store.update(task.taskId, {
      status: 'cancelled',
      statusMessage: CANCELLED,
      lastUpdatedAt: new Date().toISOString(),
    });
    if (after?.status === 'cancelled') await this.store.signal({ kind: 'cancel', taskId: task.taskId });
    return {};
  }

  /**
   * Stops: waits up to `deadlineMs` for running tasks, then fails the rest (their clients
   * learn why from tasks/get instead of polling forever).
   */
  async shutdown(deadlineMs: number): Promise<void> {
    const until = performance.now() + deadlineMs;
    while (this.#running.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    for (const entry of [...this.#running.values()]) {
      this.#end(entry, {
        status: 'failed',
        statusMessage: 'the server stopped before the task finished',
        error: { code: ErrorCode.INTERNAL_ERROR, message: 'the server stopped before the task finished' },
      });
    }
    // The last writes get what is left of the deadline (at least a second), then stop retrying.
    const chains = Promise.allSettled([...this.#ending].map((e) => e.chain));
    const grace = Math.max(until - performance.now(), 1_000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([chains, new Promise((r) => (timer = setTimeout(r, grace)))]);
    clearTimeout(timer);
    this.#closing = true;
    await chains;
    this.#offSignal();
    this.#offChange();
    await this.store.close();
  }

  // ---- internals ------------------------------------------------------------------------

  async #visible(params: Record<string, unknown>, ctx: ServerContext, method: string): Promise<TaskRecord> {
    if (!this.allowed(ctx)) throw missingExtension(method);
    const taskId = taskIdOf(params);
    const task = await this.store.get(taskId);
    // Another caller's task does not exist for this one (no oracle for guessing ids).
    if (task === undefined || (task.owner !== undefined && task.owner !== ctx.principal)) throw unknownTask(taskId);
    return task;
  }

  async #run(entry: Running, run: TaskRun): Promise<void> {
    let patch: TaskPatch;
    try {
      const result = (await run(entry.ctx)) as CallToolResult;
      patch = { status: 'completed', result: this.#host.shape(result) };
    } catch (err) {
      const wire = toWireError(err);
      const error: { code: number; message: string; data?: unknown } = { code: wire.code, message: wire.message };
      if (wire.data !== undefined) error.data = wire.data;
      patch = { status: 'failed', statusMessage: wire.message, error };
    }
    this.#end(entry, patch);
  }

  /** The task's last update (ignored by the store when it is terminal already). */
  #end(entry: Running, patch: TaskPatch): void {
    if (entry.ended) return;
    entry.ended = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.#running.delete(entry.record.taskId);
    this.#write(entry, patch);
    entry.input.close(new McpError(ErrorCode.REQUEST_TIMEOUT, patch.statusMessage ?? 'the task ended'));
  }

  #park(entry: Running, outstanding: InputRequests | undefined): void {
    if (entry.ended) return;
    this.#write(
      entry,
      outstanding === undefined
        ? { status: 'working', statusMessage: undefined }
        : { status: 'input_required', inputRequests: outstanding, statusMessage: 'waiting for input from the client' },
    );
  }

  /**
   * Queues a store update of the task. Writes go one at a time, in order; those arriving while
   * one is in progress merge into the next. A write the store refuses (a shared store whose
   * server is away) is retried until it is taken, the task expires or the server stops, so a
   * task does not stay `working` because the store blinked.
   */
  #write(entry: Running, patch: TaskPatch): void {
    const stamped = { ...patch, lastUpdatedAt: new Date().toISOString() };
    if (entry.ended) this.#ending.add(entry);
    if (entry.pending !== undefined) {
      Object.assign(entry.pending, stamped);
      return;
    }
    entry.pending = stamped;
    entry.chain = entry.chain
      .then(() => {
        const next = entry.pending as TaskPatch;
        entry.pending = undefined;
        return this.#store(entry, next);
      })
      .catch(() => {})
      .finally(() => {
        if (entry.pending === undefined) this.#ending.delete(entry);
      });
  }

  async #store(entry: Running, patch: TaskPatch): Promise<void> {
    const id = entry.record.taskId;
    const expiresAt = entry.record.expiresAt;
    for (let attempt = 0; ; attempt++) {
      let after: TaskRecord | undefined;
      try {
        after = await this.store.update(id, patch);
      } catch {
        if (this.#closing || (expiresAt !== null && Date.now() >= expiresAt)) return;
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1_000)));
        continue;
      }
      // Ended elsewhere (cancelled from another process whose signal did not arrive, failed by
      // a cluster's lease sweep) or gone: stop running it.
      if (!entry.ended && (after === undefined || TERMINAL.has(after.status))) this.#stop(entry);
      return;
    }
  }

  /** Stops a task the store holds as ended already: no write, the handler is aborted. */
  #stop(entry: Running): void {
    entry.ended = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.#running.delete(entry.record.taskId);
    entry.input.close(new McpError(ErrorCode.REQUEST_TIMEOUT, 'the task ended'));
    entry.ctx.abort(new McpError(ErrorCode.REQUEST_TIMEOUT, 'the task ended'));
  }

  #onSignal(s: TaskSignal): void {
    const entry = this.#running.get(s.taskId);
    if (entry === undefined) return;
    if (s.kind === 'input') {
      const ignored = entry.input.deliver(s.responses);
      if (ignored.length > 0 && !entry.ended) this.#write(entry, { statusMessage: `ignored: ${ignored.join('; ')}` });
      return;
    }
    this.#end(entry, { status: 'cancelled', statusMessage: CANCELLED });
    entry.ctx.abort(new McpError(ErrorCode.REQUEST_TIMEOUT, 'the task was cancelled'));
  }

  #expire(entry: Running): void {
    this.#end(entry, {
      status: 'failed',
      statusMessage: `the task ran past its ttlMs (${entry.record.ttlMs} ms)`,
      error: { code: ErrorCode.REQUEST_TIMEOUT, message: `the task ran past its ttlMs (${entry.record.ttlMs} ms)` },
    });
    entry.ctx.abort(new McpError(ErrorCode.REQUEST_TIMEOUT, 'the task ran past its ttlMs'));
  }
}
