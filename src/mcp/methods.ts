/**
 * The method tables of an McpServer, one per protocol era. The features (tools, resources,
 * prompts, completion) are the same functions in both; what differs is only which methods
 * exist (2026 removed initialize, ping, logging/setLevel and resources/(un)subscribe, and adds
 * server/discover and subscriptions/listen), how results are dressed (cache hints, resultType)
 * and how resource-not-found is spelled (-32002 in 2025, -32602 in 2026).
 */

import { FULL_VIEW, type ScopeView, scopeView } from '../auth/scope-check.js';
import { PageCache } from './era/page-cache.js';
import type { ResultShaper } from './era/results.js';
import { complete } from './features/completion.js';
import type { PromptSet } from './features/prompts.js';
import { type ResourceSet, uriOf } from './features/resources.js';
import { isToolCall, type ToolSet } from './features/tools.js';
import { type InputHost, runDirect, runWithInput } from './input/run.js';
import { ErrorCode, McpError, type RawResult } from './jsonrpc.js';
import type { MethodHandler } from './peer.js';
import type { ServerContext } from './server-context.js';
import type { Subscriptions } from './subscriptions/subscriptions.js';
import type { TaskManager } from './tasks/manager.js';
import { TaskHandoff } from './tasks/support.js';
import type { CacheHints } from './types.js';

/** The parts of a server the method tables are built over. */
export interface MethodParts {
  readonly tools: ToolSet;
  readonly resources: ResourceSet;
  readonly prompts: PromptSet;
  readonly subscriptions: Subscriptions;
  readonly input: InputHost;
  readonly shaper: ResultShaper;
  readonly pageSize: number;
  readonly hints: { readonly lists: CacheHints; readonly read: CacheHints };
  /** Lists leave out what the caller's scopes do not allow it to use (McpServerOptions.hideUnauthorized). */
  readonly hideUnauthorized: boolean;
  /** The cached `server/discover` result. */
  discover(): RawResult;
  /** The Tasks extension, when the server serves it. */
  tasks(): TaskManager | undefined;
}

type Table = Map<string, MethodHandler<ServerContext>>;
export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

const EMPTY_RESULT = Object.freeze({});

/** Serialized list pages of both eras; {@link clear} on every change of the list. */
export class ListPages {
  readonly #pages: Record<ListKind, { session: PageCache; stateless: PageCache }> = {
    tools: { session: new PageCache(), stateless: new PageCache() },
    prompts: { session: new PageCache(), stateless: new PageCache() },
    resources: { session: new PageCache(), stateless: new PageCache() },
    resourceTemplates: { session: new PageCache(), stateless: new PageCache() },
  };

  get(kind: ListKind, stateless: boolean): PageCache {
    const p = this.#pages[kind];
    return stateless ? p.stateless : p.session;
  }

  clear(kind: ListKind): void {
    this.#pages[kind].session.clear();
    this.#pages[kind].stateless.clear();
  }
}

/** The page cache key: the cursor; a cursor that is not a string is -32602 before any cache. */
function cursorKey(params: Record<string, unknown>): string {
  const c = params.cursor;
  if (c === undefined || c === null) return '';
  if (typeof c !== 'string') throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "cursor" must be a string');
  return c;
}

/** The 2026 spelling of resource-not-found: -32602 with `data.uri` (2025 used -32002). */
function notFoundStateless(err: unknown): never {
  if (err instanceof McpError && err.code === ErrorCode.RESOURCE_NOT_FOUND) {
    throw new McpError(ErrorCode.INVALID_PARAMS, err.message, err.data);
  }
  throw err;
}

/** Builds both eras' tables over `parts`. */
export function methodTables(parts: MethodParts, pages: ListPages): { session: Table; stateless: Table } {
  const { tools: t, resources: r, prompts: p, input, shaper, hints } = parts;
  const size = parts.pageSize;

  // What the caller may see: everything, or (hideUnauthorized, with auth) what its scopes allow.
  const viewOf = (ctx: ServerContext): ScopeView => {
    const auth = parts.hideUnauthorized ? ctx.auth : undefined;
    return auth === undefined ? FULL_VIEW : scopeView(auth.scopes);
  };
  // A list page, serialized once per change (and per scope view); a 2026 page carries
  // resultType and cache hints.
  const list =
    (kind: ListKind, page: (params: Record<string, unknown>, view: ScopeView) => Record<string, unknown>) =>
    (params: Record<string, unknown>, ctx: ServerContext): RawResult => {
      const view = viewOf(ctx);
      return pages
        .get(kind, ctx.stateless)
        .get(cursorKey(params) + view.key, () =>
          ctx.stateless ? shaper.cacheable(page(params, view), hints.lists) : page(params, view),
        );
    };

  const toolsList = (params: Record<string, unknown>, ctx: ServerContext): RawResult => {
    const view = viewOf(ctx);
    return pages
      .get('tools', ctx.stateless)
      .get(cursorKey(params) + view.key, () =>
        ctx.stateless
          ? shaper.cacheable(t.list(params, size, false, view), hints.lists)
          : t.list(params, size, true, view),
      );
  };
  const promptsList = list('prompts', (params, view) => p.list(params, size, view));
  const templatesList = list('resourceTemplates', (params, view) => r.listTemplates(params, size, view));
  const staticResources = list('resources', (params, view) => r.listStatic(params, size, view));
  // Templates that list their resources with a callback make the list dynamic: never cached.
  const resourcesList: MethodHandler<ServerContext> = (params, ctx) =>
    r.dynamicList
      ? r
          .list(params, ctx, size, viewOf(ctx))
          .then((page) => (ctx.stateless ? shaper.cacheable(page, hints.lists) : page))
      : staticResources(params, ctx);

  const toolsCall: MethodHandler<ServerContext> = (params, ctx) => {
    const call = t.prepare(params, ctx.auth);
    if (!isToolCall(call)) return call;
    const support = call.task;
    const tasks = support === undefined ? undefined : parts.tasks();
    if (support === undefined || tasks === undefined)
      return runWithInput(input, ctx, params, () => t.invoke(call, ctx));
    // Tasks extension: server-directed. A client that can take a task gets one; a required-task
    // tool refuses one that cannot (-32021) before its handler runs.
    const allowed = tasks.allowed(ctx);
    if (!allowed && support.support === 'required') {
      // A 2025 session cannot have the extension at all (its tools/list leaves such tools out).
      if (!ctx.stateless) {
        throw new McpError(
          ErrorCode.INVALID_PARAMS,
          `Unknown tool: ${call.name} runs only as a task (the Tasks extension of MCP 2026-07-28), which 2025 sessions cannot use`,
          { name: call.name },
        );
      }
      throw tasks.refuse(call.name);
    }
    if (allowed && (support.start ?? 'call') === 'call') {
      return tasks.start(ctx, support, (taskCtx) => runDirect(input, taskCtx, () => t.invoke(call, taskCtx)));
    }
    ctx.taskScope = { allowed };
    const handoff = (out: unknown): unknown =>
      out instanceof TaskHandoff
        ? tasks.start(ctx, support, (taskCtx) => t.complete(call, Promise.resolve(out.work(taskCtx))))
        : out;
    const out = runWithInput(input, ctx, params, () => t.invoke(call, ctx));
    return out instanceof Promise ? out.then(handoff) : handoff(out);
  };
  const promptsGet: MethodHandler<ServerContext> = (params, ctx) =>
    runWithInput(input, ctx, params, () => p.get(params, ctx));
  const completion: MethodHandler<ServerContext> = (params) => complete(params, p, r);

  const session: Table = new Map<string, MethodHandler<ServerContext>>([
    ['initialize', (params, ctx) => ctx.session.initialize(params)],
    ['ping', () => EMPTY_RESULT],
    ['tools/list', toolsList],
    ['tools/call', toolsCall],
    ['resources/list', resourcesList],
    ['resources/templates/list', templatesList],
    ['resources/read', (params, ctx) => runWithInput(input, ctx, params, r.resolve(params, ctx).read)],
    [
      'resources/subscribe',
      (params, ctx) => {
        ctx.session.subscribe(uriOf(params));
        return EMPTY_RESULT;
      },
    ],
    [
      'resources/unsubscribe',
      (params, ctx) => {
        ctx.session.unsubscribe(uriOf(params));
        return EMPTY_RESULT;
      },
    ],
    ['prompts/list', promptsList],
    ['prompts/get', promptsGet],
    ['completion/complete', completion],
    [
      'logging/setLevel',
      (params, ctx) => {
        ctx.session.setLogLevel(params.level);
        return EMPTY_RESULT;
      },
    ],
  ]);

  const readStateless: MethodHandler<ServerContext> = (params, ctx) => {
    let resolved: ReturnType<ResourceSet['resolve']>;
    try {
      resolved = r.resolve(params, ctx);
    } catch (err) {
      notFoundStateless(err);
    }
    // What the resource sets of its hints, the server's read hints for the rest.
    const cache = resolved.cache === undefined ? hints.read : { ...hints.read, ...resolved.cache };
    // input_required results are not cacheable (SEP-2549): only complete ones get hints.
    const dress = (out: unknown): unknown =>
      out === null || typeof out !== 'object' || (out as { resultType?: unknown }).resultType === 'input_required'
        ? out
        : shaper.cacheable(out as Record<string, unknown>, cache);
    let out: unknown;
    try {
      out = runWithInput(input, ctx, params, resolved.read);
    } catch (err) {
      notFoundStateless(err);
    }
    if (out instanceof Promise) return out.then(dress, notFoundStateless);
    return dress(out);
  };

  const stateless: Table = new Map<string, MethodHandler<ServerContext>>([
    ['server/discover', () => parts.discover()],
    ['tools/list', toolsList],
    ['tools/call', toolsCall],
    ['resources/list', resourcesList],
    ['resources/templates/list', templatesList],
    ['resources/read', readStateless],
    ['prompts/list', promptsList],
    ['prompts/get', promptsGet],
    ['completion/complete', completion],
    ['subscriptions/listen', (params, ctx) => parts.subscriptions.listen(params, ctx)],
    // Tasks extension (SEP-2663); the server answers -32601 for them when it serves no tasks.
    ['tasks/get', (params, ctx) => (parts.tasks() as TaskManager).get(params, ctx)],
    ['tasks/update', (params, ctx) => (parts.tasks() as TaskManager).update(params, ctx)],
    ['tasks/cancel', (params, ctx) => (parts.tasks() as TaskManager).cancel(params, ctx)],
  ]);
  return { session, stateless };
}
