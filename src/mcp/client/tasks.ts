/**
 * Waiting for a task of the Tasks extension (io.modelcontextprotocol/tasks, SEP-2663): poll
 * `tasks/get` at the server's suggested interval (within the client's floor and cap), answer
 * `input_required` states through `tasks/update`, and end with the tool's result, or with the
 * JSON-RPC error of a failed task.
 */
import { ErlmcpError } from '../../core/errors.js';
import { McpError } from '../jsonrpc.js';
import type { DetailedTask, InputRequests, InputResponses, Task } from '../types.js';

/** Polling bounds of the Tasks extension. */
export interface TasksOptions {
  /** Shortest interval between two polls in ms, whatever the server suggests (default 100). */
  minPollIntervalMs?: number;
  /** Longest interval between two polls in ms, whatever the server suggests (default 30,000). */
  maxPollIntervalMs?: number;
  /** Interval when the task suggests none, in ms (default 1,000). */
  defaultPollIntervalMs?: number;
}

export type PollBounds = Required<TasksOptions>;

export const DEFAULT_POLL: PollBounds = {
  minPollIntervalMs: 100,
  maxPollIntervalMs: 30_000,
  defaultPollIntervalMs: 1_000,
};

/** What waiting needs from the client. */
export interface TaskHost {
  getTask(taskId: string): Promise<DetailedTask>;
  updateTask(taskId: string, inputResponses: InputResponses): Promise<void>;
  fulfil(requests: InputRequests, signal: AbortSignal | undefined): Promise<InputResponses>;
  /** Calls `wake` when a `notifications/tasks` for `taskId` arrives (a listen may carry them); returns the unsubscribe. */
  watch(taskId: string, wake: () => void): () => void;
}

export interface WaitForTaskOptions {
  /** Stops waiting (rejects with its reason); the task itself goes on. */
  signal?: AbortSignal;
  /** Sees every state the client observes, the seed included. */
  onStatus?: (task: Task) => void;
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** The interval before the next poll: the server's suggestion, within the bounds. */
export function pollDelay(task: Task | undefined, bounds: PollBounds): number {
  const suggested = task?.pollIntervalMs;
  const ms =
    typeof suggested === 'number' && Number.isFinite(suggested) && suggested >= 0
      ? suggested
      : bounds.defaultPollIntervalMs;
  return Math.min(bounds.maxPollIntervalMs, Math.max(bounds.minPollIntervalMs, ms));
}

/**
 * Waits for `taskId` to end and resolves with its result (for a tool call, the
 * CallToolResult). `seed` is the state already known (the CreateTaskResult): polling starts
 * after its interval unless it is already past `working`. Input requests are answered once
 * per key: the spec keeps keys unique over a task's life and repeats outstanding ones on every
 * poll until the server has taken the answer in.
 */
export async function waitForTask(
  host: TaskHost,
  taskId: string,
  seed: Task | undefined,
  bounds: PollBounds,
  options: WaitForTaskOptions = {},
): Promise<Record<string, unknown>> {
  const { signal, onStatus } = options;
  const answered = new Set<string>();
  let last: Task | undefined = seed;
  if (seed) onStatus?.(seed);
  // A seed still `working` says to wait; any other (or none) says to look now.
  let now = seed === undefined || seed.status !== 'working';
  for (;;) {
    if (!now) await pause(pollDelay(last, bounds), signal, (wake) => host.watch(taskId, wake));
    now = false;
    const task = await host.getTask(taskId);
    last = task;
    onStatus?.(task);
    const done = settle(task);
    if (done) return done;
    if (task.status !== 'input_required') continue;
    const fresh = Object.entries(task.inputRequests ?? {}).filter(([key]) => !answered.has(key));
    if (fresh.length === 0) continue;
    const responses = await host.fulfil(Object.fromEntries(fresh), signal);
    for (const [key] of fresh) answered.add(key);
    await host.updateTask(taskId, responses);
  }
}

/** The result of a terminal task, or undefined while it is not terminal; throws for failed/cancelled. */
function settle(task: DetailedTask): Record<string, unknown> | undefined {
  if (!TERMINAL.has(task.status)) return undefined;
  if (task.status === 'completed') {
    if (typeof task.result !== 'object' || task.result === null) {
      throw new ErlmcpError('ERR_INVALID_RESULT', `task ${task.taskId} is completed but tasks/get carries no result`);
    }
    return task.result;
  }
  if (task.status === 'failed') {
    const e = task.error;
    if (typeof e?.code !== 'number' || typeof e.message !== 'string') {
      throw new ErlmcpError('ERR_INVALID_RESULT', `task ${task.taskId} failed but tasks/get carries no JSON-RPC error`);
    }
    throw new McpError(e.code, e.message, e.data);
  }
  throw new ErlmcpError(
    'ERR_TASK_CANCELLED',
    `task ${task.taskId} was cancelled${task.statusMessage ? `: ${task.statusMessage}` : ''}`,
  );
}

/** Sleeps `ms`, ending early when woken; rejects with the signal's reason on abort. */
function pause(ms: number, signal: AbortSignal | undefined, watch: (wake: () => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let unwatch = (): void => {};
    const done = (): void => {
      clearTimeout(timer);
      unwatch();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    unwatch = watch(() => {
      done();
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
