import { invalidArg } from '../../core/errors.js';
import { type TaskPatch, type TaskRecord, type TaskSignal, type TaskStore, TERMINAL } from './store.js';

/** Options of {@link InMemoryTaskStore}. */
export interface InMemoryTaskStoreOptions {
  /** Tasks kept at once; creating one more fails (default 100,000). */
  maxTasks?: number;
  /** How often expired tasks are dropped, in ms (default 10,000). */
  sweepMs?: number;
}

/**
 * A TaskStore in this process's memory: durable as soon as `create` returns (within the
 * process), gone with it. Expired tasks are dropped by one sweep timer (and never returned
 * by `get` once expired).
 */
export class InMemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #signals = new Set<(s: TaskSignal) => void>();
  readonly #changes = new Set<(t: TaskRecord) => void>();
  readonly #max: number;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: InMemoryTaskStoreOptions = {}) {
    this.#max = options.maxTasks ?? 100_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw invalidArg('maxTasks must be a positive integer');
    const sweepMs = options.sweepMs ?? 10_000;
    if (!(sweepMs > 0)) throw invalidArg('sweepMs must be positive');
    this.#sweep = setInterval(() => this.#drop(Date.now()), sweepMs);
    this.#sweep.unref();
  }

  /** Tasks stored (expired ones not yet swept included). */
  get size(): number {
    return this.#tasks.size;
  }

  async create(task: TaskRecord): Promise<void> {
    if (this.#tasks.has(task.taskId)) throw invalidArg(`task ${task.taskId} exists`);
    if (this.#tasks.size >= this.#max) this.#drop(Date.now());
    if (this.#tasks.size >= this.#max) throw invalidArg(`the task store holds its maximum of ${this.#max} tasks`);
    const copy = { ...task };
    this.#tasks.set(task.taskId, copy);
    this.#emit(copy);
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const t = this.#tasks.get(taskId);
    if (t === undefined) return undefined;
    if (t.expiresAt !== null && Date.now() >= t.expiresAt) {
      this.#tasks.delete(taskId);
      return undefined;
    }
    return { ...t };
  }

  async update(taskId: string, patch: TaskPatch): Promise<TaskRecord | undefined> {
    const t = this.#tasks.get(taskId);
    if (t === undefined) return undefined;
    if (!TERMINAL.has(t.status)) {
      Object.assign(t, patch);
      // Fields a status does not carry go with it (an answered task has no inputRequests left).
      if (t.status !== 'input_required') delete t.inputRequests;
      this.#emit(t);
    }
    return { ...t };
  }

  async signal(signal: TaskSignal): Promise<void> {
    for (const l of this.#signals) l(signal);
  }

  onSignal(listener: (signal: TaskSignal) => void): () => void {
    this.#signals.add(listener);
    return () => this.#signals.delete(listener);
  }

  onChange(listener: (task: TaskRecord) => void): () => void {
    this.#changes.add(listener);
    return () => this.#changes.delete(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#signals.clear();
    this.#changes.clear();
  }

  #emit(t: TaskRecord): void {
    if (this.#changes.size === 0) return;
    const copy = { ...t };
    for (const l of this.#changes) l(copy);
  }

  #drop(now: number): void {
    for (const [id, t] of this.#tasks) if (t.expiresAt !== null && now >= t.expiresAt) this.#tasks.delete(id);
  }
}
