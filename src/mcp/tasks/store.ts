/**
 * Where tasks live (Tasks extension, SEP-2663). Small and async so that a shared store (Redis,
 * a database) can implement it for a deployment of many processes: a task created on one is
 * read, updated and cancelled from any of them.
 */

import type { InputRequests, InputResponses, TaskStatus } from '../types.js';

/** A stored task: the wire `Task` plus what the server needs to run and guard it. */
export interface TaskRecord {
  readonly taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** Lifetime from creation in ms; null: until the server is done with it. */
  readonly ttlMs: number | null;
  pollIntervalMs?: number;
  /** Epoch ms after which the store may drop the record (creation + ttlMs); null: never. */
  readonly expiresAt: number | null;
  /** The caller that created it; only that caller may see it. Undefined: anyone holding the id. */
  readonly owner?: string;
  /** Outstanding input requests (status `input_required`). */
  inputRequests?: InputRequests;
  /** The tool's result (status `completed`). */
  result?: Record<string, unknown>;
  /** The JSON-RPC error it failed with (status `failed`). */
  error?: { code: number; message: string; data?: unknown };
}

/** Fields {@link TaskStore.update} may change. */
export type TaskPatch = Partial<
  Pick<
    TaskRecord,
    'status' | 'statusMessage' | 'lastUpdatedAt' | 'pollIntervalMs' | 'inputRequests' | 'result' | 'error'
  >
>;

/** A message to whichever process runs a task. */
export type TaskSignal =
  | { readonly kind: 'cancel'; readonly taskId: string }
  | { readonly kind: 'input'; readonly taskId: string; readonly responses: InputResponses };

/** The statuses a task never leaves. */
export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface TaskStore {
  /** Stores a new task; resolves once `get` from any process finds it (the spec's durable create). */
  create(task: TaskRecord): Promise<void>;
  /** The task, or undefined when unknown or expired. */
  get(taskId: string): Promise<TaskRecord | undefined>;
  /**
   * Applies `patch` unless the task is terminal (a terminal task never changes: a late
   * completion cannot overwrite a cancellation). Resolves with the record as stored afterwards,
   * undefined when unknown.
   */
  update(taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined>;
  /** Delivers a signal to the process running the task (cancel, input responses). */
  signal(signal: TaskSignal): Promise<void>;
  /** Receives every signal (the runner ignores tasks it does not run). Returns an unsubscribe function. */
  onSignal(listener: (signal: TaskSignal) => void): () => void;
  /**
   * Receives every stored change of any task (for `notifications/tasks`; a store may leave the
   * creation out: nobody listens to an id not given out yet). Returns an unsubscribe function.
   */
  onChange(listener: (task: TaskRecord) => void): () => void;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
