import { ErrorCode, McpError } from '../jsonrpc.js';
import type { ServerCapabilities, SubscriptionFilter } from '../types.js';

function invalid(detail: string): McpError {
  return new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: notifications.${detail}`);
}

function flag(f: Record<string, unknown>, key: string): boolean {
  const v = f[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalid(`${key} must be a boolean`);
  return v;
}

function strings(f: Record<string, unknown>, key: string, max: number): string[] | undefined {
  const v = f[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${key} must be an array of strings`);
  if (v.length > max) throw invalid(`${key} lists ${v.length} entries, more than the ${max} allowed`);
  return [...new Set(v as string[])];
}

/** `params.notifications` of a `subscriptions/listen`, checked (-32602 on a malformed filter). */
export function readFilter(params: Record<string, unknown>, maxEntries: number): SubscriptionFilter {
  const raw = params.notifications;
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: notifications must be an object');
  }
  const f = raw as Record<string, unknown>;
  const out: SubscriptionFilter = {};
  if (flag(f, 'toolsListChanged')) out.toolsListChanged = true;
  if (flag(f, 'promptsListChanged')) out.promptsListChanged = true;
  if (flag(f, 'resourcesListChanged')) out.resourcesListChanged = true;
  const uris = strings(f, 'resourceSubscriptions', maxEntries);
  if (uris !== undefined) out.resourceSubscriptions = uris;
  const tasks = strings(f, 'taskIds', maxEntries);
  if (tasks !== undefined) out.taskIds = tasks;
  return out;
}

/**
 * The part of `asked` the server honours: list changes of what it offers with `listChanged`,
 * resource updates when it declares `resources.subscribe`, task notifications when the Tasks
 * extension is on.
 */
export function honoured(asked: SubscriptionFilter, caps: ServerCapabilities, tasks: boolean): SubscriptionFilter {
  const out: SubscriptionFilter = {};
  if (asked.toolsListChanged && caps.tools?.listChanged) out.toolsListChanged = true;
  if (asked.promptsListChanged && caps.prompts?.listChanged) out.promptsListChanged = true;
  if (asked.resourcesListChanged && caps.resources?.listChanged) out.resourcesListChanged = true;
  if (asked.resourceSubscriptions && asked.resourceSubscriptions.length > 0 && caps.resources?.subscribe) {
    out.resourceSubscriptions = asked.resourceSubscriptions;
  }
  if (asked.taskIds && asked.taskIds.length > 0 && tasks) out.taskIds = asked.taskIds;
  return out;
}

/** True when a filter asks for nothing. */
export function isEmpty(f: SubscriptionFilter): boolean {
  return (
    !f.toolsListChanged &&
    !f.promptsListChanged &&
    !f.resourcesListChanged &&
    (f.resourceSubscriptions?.length ?? 0) === 0 &&
    (f.taskIds?.length ?? 0) === 0
  );
}
