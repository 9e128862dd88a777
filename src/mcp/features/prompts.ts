import { checkScopes, declaredScopes, FULL_VIEW, type ScopeView } from '../../auth/scope-check.js';
import { invalidArg } from '../../core/errors.js';
import type { InputRequired } from '../input/input-required.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import { paginate } from '../pagination.js';
import type { ServerContext } from '../server-context.js';
import type { GetPromptResult, Prompt, PromptArgument } from '../types.js';
import type { Completer } from './resources.js';
import { cursorOf } from './tools.js';

export interface PromptConfig {
  title?: string;
  description?: string;
  /** The prompt's arguments; `required` ones must be present in `prompts/get`. */
  arguments?: PromptArgument[];
  /** Completers by argument name, for `completion/complete`. */
  complete?: Record<string, Completer>;
  _meta?: Record<string, unknown>;
  /** OAuth scopes a caller's token must hold for `prompts/get` (see ToolConfig.scopes). Default: none. */
  scopes?: readonly string[];
}

/** A prompt's implementation; it may return `ctx.inputRequired(...)` to ask the client for input first. */
export type PromptHandler = (
  args: Record<string, string>,
  ctx: ServerContext,
) => GetPromptResult | InputRequired | Promise<GetPromptResult | InputRequired>;

interface Entry {
  prompt: Prompt;
  handler: PromptHandler;
  complete: Record<string, Completer> | undefined;
  scopes: readonly string[] | undefined;
}

export interface RegisteredPrompt {
  remove(): void;
}

/** The prompts of one server and the `prompts/*` methods over them. */
export class PromptSet {
  readonly #entries = new Map<string, Entry>();
  readonly #changed: () => void;

  constructor(onChange: () => void) {
    this.#changed = onChange;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(name: string, config: PromptConfig, handler: PromptHandler): RegisteredPrompt {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('prompt name must be a non-empty string');
    if (this.#entries.has(name)) throw invalidArg(`prompt ${JSON.stringify(name)} is already registered`);
    if (typeof handler !== 'function') throw invalidArg(`prompt ${JSON.stringify(name)} needs a handler function`);
    const prompt: Prompt = { name };
    if (config.title !== undefined) prompt.title = config.title;
    if (config.description !== undefined) prompt.description = config.description;
    if (config.arguments !== undefined) prompt.arguments = config.arguments;
    if (config._meta !== undefined) prompt._meta = config._meta;
    const scopes = declaredScopes(`prompt ${JSON.stringify(name)}`, config.scopes);
    this.#entries.set(name, { prompt, handler, complete: config.complete, scopes });
    this.#changed();
    return { remove: () => this.#entries.delete(name) && this.#changed() };
  }

  list(params: Record<string, unknown>, pageSize: number, view: ScopeView = FULL_VIEW) {
    const all = [...this.#entries.values()].filter((e) => view.visible(e.scopes)).map((e) => e.prompt);
    const { page, nextCursor } = paginate(all, cursorOf(params), pageSize);
    return nextCursor === undefined ? { prompts: page } : { prompts: page, nextCursor };
  }

  /** `prompts/get`: checks required arguments and that every value is a string. */
  get(
    params: Record<string, unknown>,
    ctx: ServerContext,
  ): GetPromptResult | InputRequired | Promise<GetPromptResult | InputRequired> {
    const name = params.name;
    if (typeof name !== 'string')
      throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "name" must be a string');
    const entry = this.#entries.get(name);
    if (!entry) throw new McpError(ErrorCode.INVALID_PARAMS, `Unknown prompt: ${name}`, { name });
    if (entry.scopes !== undefined) checkScopes(`prompt ${name}`, entry.scopes, ctx.auth);
    const raw = params.arguments ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "arguments" must be an object of strings');
    }
    const args = raw as Record<string, unknown>;
    for (const [k, v] of Object.entries(args)) {
      if (typeof v !== 'string') {
        throw new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: argument ${JSON.stringify(k)} must be a string`);
      }
    }
    for (const a of entry.prompt.arguments ?? []) {
      if (a.required && args[a.name] === undefined) {
        throw new McpError(
          ErrorCode.INVALID_PARAMS,
          `Invalid params: prompt ${name} requires argument ${JSON.stringify(a.name)}`,
        );
      }
    }
    return entry.handler(args as Record<string, string>, ctx);
  }

  completer(name: string, argument: string): Completer | undefined {
    const entry = this.#entries.get(name);
    if (!entry) throw new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: unknown prompt ${name}`);
    return entry.complete?.[argument];
  }
}
