import { checkScopes, declaredScopes, FULL_VIEW, type ScopeView } from '../../auth/scope-check.js';
import { invalidArg } from '../../core/errors.js';
import { cacheHints } from '../era/cache-hints.js';
import type { InputRequired } from '../input/input-required.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import { paginate } from '../pagination.js';
import type { ServerContext } from '../server-context.js';
import type { CacheHints, ReadResourceResult, Resource, ResourceTemplate } from '../types.js';
import { UriTemplate } from '../uri-template.js';
import { cursorOf } from './tools.js';

/** Metadata of a resource or template (everything but its uri/name). */
export interface ResourceConfig {
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Resource['annotations'];
  _meta?: Record<string, unknown>;
  /**
   * Caching hints of this resource's `resources/read` results in the 2026 era (SEP-2549), e.g.
   * `{ ttlMs: 60_000, cacheScope: 'public' }`. Default: the server's `cacheHints.read`.
   */
  cache?: Partial<CacheHints>;
  /** OAuth scopes a caller's token must hold for `resources/read` (see ToolConfig.scopes). Default: none. */
  scopes?: readonly string[];
}

/** Reads a resource; it may return `ctx.inputRequired(...)` to ask the client for input first. */
export type ReadResourceHandler = (
  uri: string,
  ctx: ServerContext,
) => ReadResourceResult | InputRequired | Promise<ReadResourceResult | InputRequired>;

/** Template variables as matched from the URI (exploded variables give arrays). */
export type TemplateVariables = Record<string, string | string[]>;

export type ReadTemplateHandler = (
  uri: string,
  variables: TemplateVariables,
  ctx: ServerContext,
) => ReadResourceResult | InputRequired | Promise<ReadResourceResult | InputRequired>;

/** Completes one template variable or prompt argument from what the user typed so far. */
export type Completer = (value: string, context: { arguments: Record<string, string> }) => string[] | Promise<string[]>;

export interface ResourceTemplateConfig extends ResourceConfig {
  /** Lists the concrete resources this template currently serves (merged into resources/list). */
  list?: (ctx: ServerContext) => Resource[] | Promise<Resource[]>;
  /** Completers by variable name, for `completion/complete`. */
  complete?: Record<string, Completer>;
}

interface Static {
  resource: Resource;
  read: ReadResourceHandler;
  cache: Partial<CacheHints> | undefined;
  scopes: readonly string[] | undefined;
}

interface Templated {
  descriptor: ResourceTemplate;
  template: UriTemplate;
  read: ReadTemplateHandler;
  list: ResourceTemplateConfig['list'];
  complete: Record<string, Completer> | undefined;
  cache: Partial<CacheHints> | undefined;
  scopes: readonly string[] | undefined;
}

/** A resolved `resources/read`: the read to run and the resource's own caching hints (what it sets of them). */
export interface ResolvedRead {
  read: () => ReadResourceResult | InputRequired | Promise<ReadResourceResult | InputRequired>;
  cache: Partial<CacheHints> | undefined;
}

/** A handle to remove a registered resource or template. */
export interface RegisteredResource {
  remove(): void;
}

/** A resource's own hints, checked now (ERR_INVALID_ARG) and kept partial: the server fills the rest at read time. */
function checkedHints(what: string, partial: Partial<CacheHints> | undefined): Partial<CacheHints> | undefined {
  if (partial === undefined) return undefined;
  cacheHints(what, partial);
  return Object.freeze({ ...partial });
}

function describe<T extends object>(base: T, config: ResourceConfig): T {
  const out = base as T & ResourceConfig;
  // `cache` is ours, not a wire field of Resource.
  for (const k of ['title', 'description', 'mimeType', 'size', 'annotations', '_meta'] as const) {
    if (config[k] !== undefined) (out as Record<string, unknown>)[k] = config[k];
  }
  return out;
}

/** The resources and resource templates of one server and the `resources/*` methods. */
export class ResourceSet {
  readonly #static = new Map<string, Static>();
  readonly #templates = new Map<string, Templated>();
  readonly #changed: () => void;

  constructor(onChange: () => void) {
    this.#changed = onChange;
  }

  get size(): number {
    return this.#static.size + this.#templates.size;
  }

  addResource(name: string, uri: string, config: ResourceConfig, read: ReadResourceHandler): RegisteredResource {
    if (typeof uri !== 'string' || uri.length === 0) throw invalidArg('resource uri must be a non-empty string');
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('resource name must be a non-empty string');
    if (this.#static.has(uri)) throw invalidArg(`resource ${JSON.stringify(uri)} is already registered`);
    if (typeof read !== 'function') throw invalidArg(`resource ${JSON.stringify(uri)} needs a read function`);
    const cache = checkedHints(`resource ${uri} cache`, config.cache);
    const scopes = declaredScopes(`resource ${JSON.stringify(uri)}`, config.scopes);
    this.#static.set(uri, { resource: describe({ uri, name }, config), read, cache, scopes });
    this.#changed();
    return { remove: () => this.#static.delete(uri) && this.#changed() };
  }

  addTemplate(
    name: string,
    uriTemplate: string,
    config: ResourceTemplateConfig,
    read: ReadTemplateHandler,
  ): RegisteredResource {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('template name must be a non-empty string');
    if (this.#templates.has(uriTemplate))
      throw invalidArg(`template ${JSON.stringify(uriTemplate)} is already registered`);
    if (typeof read !== 'function') throw invalidArg(`template ${JSON.stringify(uriTemplate)} needs a read function`);
    const template = new UriTemplate(uriTemplate);
    const { list, complete, cache, scopes, ...meta } = config;
    this.#templates.set(uriTemplate, {
      descriptor: describe({ uriTemplate, name }, meta),
      template,
      read,
      list,
      complete,
      cache: checkedHints(`template ${uriTemplate} cache`, cache),
      scopes: declaredScopes(`template ${JSON.stringify(uriTemplate)}`, scopes),
    });
    this.#changed();
    return { remove: () => this.#templates.delete(uriTemplate) && this.#changed() };
  }

  /** True when `uri` is served by a resource or a template. */
  has(uri: string): boolean {
    if (this.#static.has(uri)) return true;
    for (const t of this.#templates.values()) if (t.template.match(uri)) return true;
    return false;
  }

  /** True when some template lists its resources with a callback (resources/list cannot be cached). */
  get dynamicList(): boolean {
    for (const t of this.#templates.values()) if (t.list) return true;
    return false;
  }

  /** `resources/list`: static resources, then what each template's `list` returns. */
  async list(params: Record<string, unknown>, ctx: ServerContext, pageSize: number, view: ScopeView = FULL_VIEW) {
    const all: Resource[] = [...this.#static.values()].filter((s) => view.visible(s.scopes)).map((s) => s.resource);
    for (const t of this.#templates.values()) if (t.list && view.visible(t.scopes)) all.push(...(await t.list(ctx)));
    const { page, nextCursor } = paginate(all, cursorOf(params), pageSize);
    return nextCursor === undefined ? { resources: page } : { resources: page, nextCursor };
  }

  /** `resources/list` when no template lists resources (see {@link dynamicList}): the static resources. */
  listStatic(params: Record<string, unknown>, pageSize: number, view: ScopeView = FULL_VIEW) {
    const all: Resource[] = [...this.#static.values()].filter((s) => view.visible(s.scopes)).map((s) => s.resource);
    const { page, nextCursor } = paginate(all, cursorOf(params), pageSize);
    return nextCursor === undefined ? { resources: page } : { resources: page, nextCursor };
  }

  /** `resources/templates/list`. */
  listTemplates(params: Record<string, unknown>, pageSize: number, view: ScopeView = FULL_VIEW) {
    const all = [...this.#templates.values()].filter((t) => view.visible(t.scopes)).map((t) => t.descriptor);
    const { page, nextCursor } = paginate(all, cursorOf(params), pageSize);
    return nextCursor === undefined ? { resourceTemplates: page } : { resourceTemplates: page, nextCursor };
  }

  /**
   * `resources/read` resolved: an exact resource first, then templates in registration order.
   * @throws McpError RESOURCE_NOT_FOUND (-32002; the 2026 era answers it as -32602) with `data.uri`.
   */
  resolve(params: Record<string, unknown>, ctx: ServerContext): ResolvedRead {
    const uri = uriOf(params);
    const s = this.#static.get(uri);
    if (s) {
      if (s.scopes !== undefined) checkScopes(`resource ${uri}`, s.scopes, ctx.auth);
      return { read: () => s.read(uri, ctx), cache: s.cache };
    }
    for (const t of this.#templates.values()) {
      const vars = t.template.match(uri);
      if (vars) {
        if (t.scopes !== undefined) checkScopes(`resource ${uri}`, t.scopes, ctx.auth);
        return { read: () => t.read(uri, vars, ctx), cache: t.cache };
      }
    }
    throw new McpError(ErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  }

  /** `resources/read`. */
  read(
    params: Record<string, unknown>,
    ctx: ServerContext,
  ): ReadResourceResult | InputRequired | Promise<ReadResourceResult | InputRequired> {
    return this.resolve(params, ctx).read();
  }

  /** The completer of a template variable, if the template declared one. */
  completer(uriTemplate: string, variable: string): Completer | undefined {
    const t = this.#templates.get(uriTemplate);
    if (!t) throw new McpError(ErrorCode.INVALID_PARAMS, `Invalid params: no resource template ${uriTemplate}`);
    return t.complete?.[variable];
  }
}

/** The `uri` param of resources/read, subscribe and unsubscribe. */
export function uriOf(params: Record<string, unknown>): string {
  const uri = params.uri;
  if (typeof uri !== 'string' || uri.length === 0) {
    throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "uri" must be a non-empty string');
  }
  return uri;
}
