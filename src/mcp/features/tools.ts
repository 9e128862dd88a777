import { checkScopes, declaredScopes, FULL_VIEW, type ScopeView } from '../../auth/scope-check.js';
import type { Principal } from '../../auth/types.js';
import { invalidArg } from '../../core/errors.js';
import { type HeaderParam, headerParamsOf } from '../era/http-headers.js';
import { InputRequired } from '../input/input-required.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import { paginate } from '../pagination.js';
import { compileSchema, type Validate } from '../schema.js';
import type { ServerContext } from '../server-context.js';
import { checkTaskSupport, TaskHandoff, type TaskSupport } from '../tasks/support.js';
import type { CallToolResult, JsonSchema, Tool, ToolAnnotations } from '../types.js';

/** How a tool describes itself in `tools/list`. */
export interface ToolConfig {
  title?: string;
  description?: string;
  /** JSON Schema of the arguments (default: an object with any properties). */
  inputSchema?: JsonSchema;
  /** JSON Schema of `structuredContent`; when set, every successful result must carry it. */
  outputSchema?: JsonSchema;
  annotations?: ToolAnnotations;
  _meta?: Record<string, unknown>;
  /**
   * Lets the call run as a task for clients that declare the Tasks extension (2026-07-28,
   * `io.modelcontextprotocol/tasks`): see {@link TaskSupport}. Default: never a task.
   */
  task?: TaskSupport;
  /**
   * OAuth scopes a caller's token must hold to call the tool (all of them). Without them the
   * call is refused with -32016, over HTTP 403 `insufficient_scope` naming these scopes, so the
   * client can ask for a token that has them. Only checked when `auth` is on. Default: none.
   */
  scopes?: readonly string[];
}

/**
 * A tool's implementation. Throwing an Error makes an `isError` result; throwing an McpError
 * answers with that JSON-RPC error; returning `ctx.inputRequired(...)` asks the client for input
 * first (the handler runs again with the answers).
 */
// biome-ignore lint/suspicious/noExplicitAny: arguments are validated against the tool's schema at run time
export type ToolHandler<A = any> = (args: A, ctx: ServerContext) => ToolOutcome | Promise<ToolOutcome>;

/** What a tool handler may return: a result, a request for input, or (`ctx.runAsTask`) a hand-off to a task. */
export type ToolOutcome = CallToolResult | InputRequired | TaskHandoff;

/** A `tools/call` whose tool exists and whose arguments are valid, ready to run. */
export interface ToolCall {
  readonly name: string;
  readonly args: unknown;
  /** The tool's task support, if it declared any. */
  readonly task: TaskSupport | undefined;
  /** @internal */
  readonly entry: unknown;
}

const ANY_OBJECT: JsonSchema = { type: 'object' };

interface Entry {
  tool: Tool;
  handler: ToolHandler;
  validateInput: Validate;
  validateOutput: Validate | undefined;
  /** Arguments mirrored into `Mcp-Param-*` headers (x-mcp-header). */
  headerParams: readonly HeaderParam[];
  task: TaskSupport | undefined;
  scopes: readonly string[] | undefined;
  enabled: boolean;
}

/** A registered tool: disable, enable, update or remove it (clients get `list_changed`). */
export interface RegisteredTool {
  readonly name: string;
  readonly enabled: boolean;
  enable(): void;
  disable(): void;
  update(config: ToolConfig, handler?: ToolHandler): void;
  remove(): void;
}

/** The tools of one server and the `tools/*` methods over them. */
export class ToolSet {
  readonly #entries = new Map<string, Entry>();
  #listed: Tool[] | undefined;
  #listedForSessions: Tool[] | undefined;
  readonly #changed: () => void;

  constructor(onChange: () => void) {
    this.#changed = onChange;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(name: string, config: ToolConfig, handler: ToolHandler): RegisteredTool {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('tool name must be a non-empty string');
    if (this.#entries.has(name)) throw invalidArg(`tool ${JSON.stringify(name)} is already registered`);
    if (typeof handler !== 'function') throw invalidArg(`tool ${JSON.stringify(name)} needs a handler function`);
    this.#entries.set(name, this.#entry(name, config, handler, true));
    this.#touch();
    const set = this;
    return {
      name,
      get enabled() {
        return set.#entries.get(name)?.enabled ?? false;
      },
      enable: () => set.#setEnabled(name, true),
      disable: () => set.#setEnabled(name, false),
      update: (c, h) => {
        const old = set.#entries.get(name);
        if (!old) throw invalidArg(`tool ${JSON.stringify(name)} was removed`);
        set.#entries.set(name, set.#entry(name, c, h ?? old.handler, old.enabled));
        set.#touch();
      },
      remove: () => {
        if (set.#entries.delete(name)) set.#touch();
      },
    };
  }

  #entry(name: string, config: ToolConfig, handler: ToolHandler, enabled: boolean): Entry {
    const inputSchema = config.inputSchema ?? ANY_OBJECT;
    const tool: Tool = { name, inputSchema };
    if (config.title !== undefined) tool.title = config.title;
    if (config.description !== undefined) tool.description = config.description;
    if (config.outputSchema !== undefined) tool.outputSchema = config.outputSchema;
    if (config.annotations !== undefined) tool.annotations = config.annotations;
    if (config._meta !== undefined) tool._meta = config._meta;
    // Compiled once here, never per call.
    const validateInput = compileSchema(inputSchema);
    const validateOutput = config.outputSchema ? compileSchema(config.outputSchema) : undefined;
    let headerParams: HeaderParam[];
    try {
      headerParams = headerParamsOf(inputSchema);
    } catch (err) {
      throw invalidArg(`tool ${JSON.stringify(name)}: ${(err as Error).message}`);
    }
    const task = checkTaskSupport(name, config.task);
    const scopes = declaredScopes(`tool ${JSON.stringify(name)}`, config.scopes);
    return { tool, handler, validateInput, validateOutput, headerParams, task, scopes, enabled };
  }

  #setEnabled(name: string, enabled: boolean): void {
    const e = this.#entries.get(name);
    if (!e || e.enabled === enabled) return;
    e.enabled = enabled;
    this.#touch();
  }

  #touch(): void {
    this.#listed = undefined;
    this.#listedForSessions = undefined;
    this.#changed();
  }

  /** True when some tool declares task support (the server then offers the Tasks extension). */
  get hasTasks(): boolean {
    for (const e of this.#entries.values()) if (e.task !== undefined) return true;
    return false;
  }

  /** The `x-mcp-header` parameters of an enabled tool (undefined when there is no such tool). */
  headerParams(name: string): readonly HeaderParam[] | undefined {
    const e = this.#entries.get(name);
    return e?.enabled ? e.headerParams : undefined;
  }

  /**
   * `tools/list`: enabled tools in registration order, paginated. For a 2025 session
   * (`forSessions`) tools that run only as tasks are left out: the Tasks extension does not
   * exist in that era, so such a session could never call them.
   */
  list(
    params: Record<string, unknown>,
    pageSize: number,
    forSessions = false,
    view: ScopeView = FULL_VIEW,
  ): { tools: Tool[]; nextCursor?: string } {
    let listed: Tool[];
    if (view !== FULL_VIEW) {
      listed = [...this.#entries.values()]
        .filter((e) => e.enabled && view.visible(e.scopes) && !(forSessions && e.task?.support === 'required'))
        .map((e) => e.tool);
    } else if (forSessions) {
      this.#listedForSessions ??= [...this.#entries.values()]
        .filter((e) => e.enabled && e.task?.support !== 'required')
        .map((e) => e.tool);
      listed = this.#listedForSessions;
    } else {
      this.#listed ??= [...this.#entries.values()].filter((e) => e.enabled).map((e) => e.tool);
      listed = this.#listed;
    }
    const { page, nextCursor } = paginate(listed, cursorOf(params), pageSize);
    return nextCursor === undefined ? { tools: page } : { tools: page, nextCursor };
  }

  /**
   * The first half of `tools/call`: the tool and its checked arguments, or the `isError` result
   * for arguments that do not match its schema.
   * @throws McpError -32602 for a missing name or an unknown (or disabled) tool.
   */
  prepare(params: Record<string, unknown>, auth?: Principal): ToolCall | CallToolResult {
    const name = params.name;
    if (typeof name !== 'string')
      throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "name" must be a string');
    const entry = this.#entries.get(name);
    if (!entry?.enabled) throw new McpError(ErrorCode.INVALID_PARAMS, `Unknown tool: ${name}`, { name });
    if (entry.scopes !== undefined) checkScopes(`tool ${name}`, entry.scopes, auth);
    const args = params.arguments ?? {};
    // MCP 2025-11-25: argument validation failures are tool execution errors (isError), so
    // that the model sees them and can correct itself.
    const checked = entry.validateInput(args, 'arguments');
    if (!checked.ok) return errorResult(`Invalid arguments for tool ${name}: ${checked.message}`);
    return { name, args, task: entry.task, entry };
  }

  /** The second half: runs the handler; a thrown Error becomes an `isError` result. */
  invoke(call: ToolCall, ctx: ServerContext): ToolOutcome | Promise<ToolOutcome> {
    const entry = call.entry as Entry;
    let out: ToolOutcome | Promise<ToolOutcome>;
    try {
      out = entry.handler(call.args, ctx);
    } catch (err) {
      return failed(err);
    }
    if (out instanceof Promise) return out.then((r) => finish(entry, r), failed);
    return finish(entry, out);
  }

  /** Checks a result the way {@link invoke} does (for the work a handler handed to a task). */
  complete(call: ToolCall, result: CallToolResult | Promise<CallToolResult>): CallToolResult | Promise<CallToolResult> {
    const entry = call.entry as Entry;
    if (result instanceof Promise) return result.then((r) => finish(entry, r) as CallToolResult, failed);
    return finish(entry, result) as CallToolResult;
  }

  /** `tools/call`: {@link prepare} then {@link invoke}. */
  call(params: Record<string, unknown>, ctx: ServerContext): ToolOutcome | Promise<ToolOutcome> {
    const call = this.prepare(params);
    return isToolCall(call) ? this.invoke(call, ctx) : call;
  }
}

/** True for a prepared call (false for the isError result of invalid arguments). */
export function isToolCall(v: ToolCall | CallToolResult): v is ToolCall {
  return (v as ToolCall).entry !== undefined;
}

function cursorOf(params: Record<string, unknown>): string | undefined {
  const c = params.cursor;
  if (c === undefined || c === null) return undefined;
  if (typeof c !== 'string') throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "cursor" must be a string');
  return c;
}

export { cursorOf };

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function failed(err: unknown): CallToolResult {
  if (err instanceof McpError) throw err;
  return errorResult(err instanceof Error ? err.message : String(err));
}

function finish(entry: Entry, result: ToolOutcome): ToolOutcome {
  if (result instanceof InputRequired || result instanceof TaskHandoff) return result;
  if (typeof result !== 'object' || result === null) {
    throw new McpError(ErrorCode.INTERNAL_ERROR, `tool ${entry.tool.name} returned no result object`);
  }
  if (result.isError) return result;
  const sc = result.structuredContent;
  if (entry.validateOutput) {
    if (sc === undefined) {
      throw new McpError(
        ErrorCode.INTERNAL_ERROR,
        `tool ${entry.tool.name} has an outputSchema but returned no structuredContent`,
      );
    }
    const checked = entry.validateOutput(sc, 'structuredContent');
    if (!checked.ok) {
      throw new McpError(
        ErrorCode.INTERNAL_ERROR,
        `tool ${entry.tool.name} returned structuredContent that does not match its outputSchema: ${checked.message}`,
      );
    }
  }
  if (result.content === undefined) {
    // Older clients read only `content`: give them the structured result as text too.
    return { ...result, content: sc === undefined ? [] : [{ type: 'text', text: JSON.stringify(sc) }] };
  }
  return result;
}
