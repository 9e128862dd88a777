import { invalidArg } from '../../core/errors.js';
import type { ServerContext } from '../server-context.js';
import type { CallToolResult } from '../types.js';

/**
 * How a tool runs as a task (Tasks extension, SEP-2663). Creation is server-directed: for a
 * client that declared `io.modelcontextprotocol/tasks` on the request, the call answers with a
 * task the client polls; for one that did not, an `optional` tool answers synchronously and a
 * `required` one refuses with -32021 naming the extension.
 */
export interface TaskSupport {
  support: 'optional' | 'required';
  /**
   * `call` (default): the task starts before the handler runs, and the handler runs inside it
   * (input requests park the task as `input_required`). `handler`: the handler runs as a
   * normal request (it may gather input first, with MRTR) and hands off by returning
   * `ctx.runAsTask(work)`.
   */
  start?: 'call' | 'handler';
  /** The task's lifetime from creation in ms, or null for unlimited (default: the server's, 1 hour). */
  ttlMs?: number | null;
  /** Suggested polling interval in ms (default: the server's, 1,000). */
  pollIntervalMs?: number;
}

/** Checks a tool's `task` option (ERR_INVALID_ARG naming the tool). */
export function checkTaskSupport(tool: string, t: TaskSupport | undefined): TaskSupport | undefined {
  if (t === undefined) return undefined;
  const where = `tool ${JSON.stringify(tool)} task`;
  if (typeof t !== 'object' || t === null) throw invalidArg(`${where} must be an object`);
  if (t.support !== 'optional' && t.support !== 'required')
    throw invalidArg(`${where}.support must be "optional" or "required"`);
  if (t.start !== undefined && t.start !== 'call' && t.start !== 'handler')
    throw invalidArg(`${where}.start must be "call" or "handler"`);
  if (t.ttlMs !== undefined && t.ttlMs !== null && !(Number.isInteger(t.ttlMs) && t.ttlMs > 0)) {
    throw invalidArg(`${where}.ttlMs must be a positive integer or null`);
  }
  if (t.pollIntervalMs !== undefined && !(Number.isInteger(t.pollIntervalMs) && t.pollIntervalMs > 0)) {
    throw invalidArg(`${where}.pollIntervalMs must be a positive integer`);
  }
  return Object.freeze({ ...t });
}

/** The work of a task, given the task's own context (its signal is the task's cancellation). */
export type TaskWork = (ctx: ServerContext) => CallToolResult | Promise<CallToolResult>;

/** What `ctx.runAsTask(work)` returns when the call becomes a task: the tools/call answers CreateTaskResult. */
export class TaskHandoff {
  readonly work: TaskWork;
  constructor(work: TaskWork) {
    this.work = work;
  }
}
