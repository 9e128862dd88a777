import { EventEmitter } from 'node:events';
import { invalidArg } from '../core/errors.js';
import type { RequestTracer } from '../ops/tracing.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { Transport } from '../transports/transport.js';
import { type CacheHintOptions, cacheHints } from './era/cache-hints.js';
import { ResultShaper } from './era/results.js';
import { isServerEvent, type ServerEventBus } from './events/bus.js';
import { type PromptConfig, type PromptHandler, PromptSet, type RegisteredPrompt } from './features/prompts.js';
import {
  type ReadResourceHandler,
  type ReadTemplateHandler,
  type RegisteredResource,
  type ResourceConfig,
  ResourceSet,
  type ResourceTemplateConfig,
} from './features/resources.js';
import { type RegisteredTool, type ToolConfig, type ToolHandler, ToolSet } from './features/tools.js';
import { Gate, type GateOptions } from './gate.js';
import type { SessionHandover } from './handover.js';
import { RequestStateCodec, type RequestStateOptions } from './input/request-state.js';
import type { InputHost } from './input/run.js';
import { DressedResult, type JsonRpcNotification, RawResult } from './jsonrpc.js';
import { META_SERVER_INFO, TASKS_EXTENSION } from './meta-keys.js';
import { ListPages, methodTables } from './methods.js';
import type { MethodHandler } from './peer.js';
import type { ServerContext } from './server-context.js';
import { ServerSession, type SessionHost } from './session.js';
import { Subscriptions, type SubscriptionsOptions } from './subscriptions/subscriptions.js';
import { TaskManager, type TasksOptions } from './tasks/manager.js';
import type { CacheHints, Implementation, InitializeResult, LoggingLevel, ServerCapabilities } from './types.js';
import { MODERN_PROTOCOL_VERSIONS } from './versions.js';

export interface McpServerOptions {
  /** Capabilities to declare beyond those implied by what is registered (`extensions` included). */
  capabilities?: ServerCapabilities;
  /** `instructions` sent in the initialize and server/discover results. */
  instructions?: string;
  /** The native backpressure gate, or options for a new one (default: the seeds' limits). */
  gate?: Gate | GateOptions;
  /**
   * Shard managers to run requests through (built over this server's gate: same registry and
   * router). Each admitted request then waits in its session's shard queue and that shard's
   * manager runs it, so a crashing manager is restarted alone and loses no request. Default:
   * none — requests run as they arrive.
   */
  shards?: ShardSet;
  /** Items per page of the list methods (default 100). */
  pageSize?: number;
  /**
   * With auth on, the list methods leave out tools, prompts, resources and templates whose
   * `scopes` the caller's token does not hold, so clients see only what they may use (the
   * calls are refused with -32016 either way). Pages are cached per distinct scope set.
   * Default false: everyone sees everything.
   */
  hideUnauthorized?: boolean;
  /**
   * Deadline of one inbound request in ms (default 60,000): past it the request is answered
   * with REQUEST_TIMEOUT and its handler's signal aborts. `Infinity` disables it. Open
   * `subscriptions/listen` streams are exempt.
   */
  requestTimeoutMs?: number;
  /**
   * Traces every admitted request (see `openTelemetryTracer` in erlmcp's ops). Default: none,
   * and then tracing costs one undefined check per request.
   */
  tracer?: RequestTracer;
  /**
   * How 2026 multi round-trip requests seal `requestState` (AES-256-GCM). Give every process of
   * a deployment the same `key` (at least 32 bytes) so that any of them can open state another
   * sealed. Default: a random key per process, state valid for 10 minutes.
   */
  requestState?: RequestStateOptions;
  /**
   * Rounds of `ctx.inputRequired(...)` a handler may take in a 2025 session, where each round's
   * requests are sent to the client for real (default 8).
   */
  maxInputRounds?: number;
  /** Caching hints (`ttlMs`, `cacheScope`) of 2026 results; default `{ ttlMs: 0, cacheScope: 'private' }`. */
  cacheHints?: CacheHintOptions;
  /** Limits of `subscriptions/listen` (default 10,000 open streams, 1,000 URIs or task ids each). */
  subscriptions?: SubscriptionsOptions;
  /**
   * The Tasks extension (`io.modelcontextprotocol/tasks`): its store and defaults. It is served
   * (and advertised in server/discover) as soon as these options are given or a tool declares
   * `task` support; the default store keeps tasks in this process's memory.
   */
  tasks?: TasksOptions;
  /**
   * The bus to the other copies of this server (other workers, other nodes): resource updates
   * notified here reach their clients, and theirs reach ours (see src/mcp/events/bus.ts).
   * `erlmcp serve` sets it with `--workers N` and in a cluster.
   */
  events?: ServerEventBus;
  /**
   * Where snapshots of resumable sessions (2025 Streamable HTTP) are kept, so that another
   * process can continue a session after this one is gone (see src/mcp/handover.ts).
   * `erlmcp serve` sets it in a cluster.
   */
  handover?: SessionHandover;
}

/** Events: `session` (ServerSession), `sessionclose` (ServerSession), `sessionerror` (Error, ServerSession). */
export interface McpServerEvents {
  session: [ServerSession];
  sessionclose: [ServerSession];
  sessionerror: [Error, ServerSession];
  rootschanged: [ServerSession];
}

/** The capability each method belongs to. */
const NEEDS = new Map<string, keyof ServerCapabilities>([
  ['tools/list', 'tools'],
  ['tools/call', 'tools'],
  ['resources/list', 'resources'],
  ['resources/templates/list', 'resources'],
  ['resources/read', 'resources'],
  ['resources/subscribe', 'resources'],
  ['resources/unsubscribe', 'resources'],
  ['prompts/list', 'prompts'],
  ['prompts/get', 'prompts'],
  ['completion/complete', 'completions'],
  ['logging/setLevel', 'logging'],
]);

/**
 * An MCP server definition: tools, resources, resource templates and prompts, served to any
 * number of clients on any mix of transports and both protocol eras — 2025 sessions (opened
 * with `initialize`) and 2026-07-28 stateless requests (a `_meta` envelope on each). Each
 * session has its own state and answers go only to the transport the request came in on (no
 * shared "current transport" — the official SDK's CVE-2026-25536 came from exactly that).
 */
export class McpServer extends EventEmitter<McpServerEvents> {
  readonly info: Implementation;
  readonly gate: Gate;
  readonly #options: McpServerOptions;
  readonly #timeoutMs: number;
  readonly #tools: ToolSet;
  readonly #resources: ResourceSet;
  readonly #prompts: PromptSet;
  readonly #subscriptions: Subscriptions;
  readonly #sessions = new Set<ServerSession>();
  /** Stateless channels: the 2026 requests of one HTTP client each (no session behind them). */
  readonly #channels = new Set<ServerSession>();
  readonly #session: Map<string, MethodHandler<ServerContext>>;
  readonly #stateless: Map<string, MethodHandler<ServerContext>>;
  readonly #pages = new ListPages();
  readonly #shaper: ResultShaper;
  readonly #discoverHints: CacheHints;
  readonly #host: SessionHost;
  readonly #pendingChanges = new Set<'tools' | 'resources' | 'prompts'>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #caps: ServerCapabilities | undefined;
  #discover: RawResult | undefined;
  #tasks: TaskManager | undefined;
  #unsubscribeEvents: (() => void) | undefined;
  #draining = false;

  constructor(info: Implementation, options: McpServerOptions = {}) {
    super();
    if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
      throw invalidArg('McpServer needs { name, version } strings');
    }
    this.info = info;
    this.#options = options;
    const pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw invalidArg('pageSize must be a positive integer');
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    if (!(this.#timeoutMs > 0)) throw invalidArg('requestTimeoutMs must be positive (Infinity disables it)');
    const maxRounds = options.maxInputRounds ?? 8;
    if (!Number.isInteger(maxRounds) || maxRounds < 1) throw invalidArg('maxInputRounds must be a positive integer');
    this.gate = options.gate instanceof Gate ? options.gate : new Gate(options.gate);
    if (options.shards && options.shards.registry !== this.gate.registry) {
      throw invalidArg("shards must be built over the server's gate (its registry and router)");
    }
    this.#discoverHints = cacheHints('cacheHints.discover', options.cacheHints?.discover);
    const hints = {
      lists: cacheHints('cacheHints.lists', options.cacheHints?.lists),
      read: cacheHints('cacheHints.read', options.cacheHints?.read),
    };
    this.#shaper = new ResultShaper(info);
    this.#tools = new ToolSet(() => this.#listChanged('tools'));
    this.#resources = new ResourceSet(() => this.#listChanged('resources'));
    this.#prompts = new PromptSet(() => this.#listChanged('prompts'));
    this.#subscriptions = new Subscriptions(
      { capabilities: () => this.#capabilities(), tasksEnabled: () => this.#tasks !== undefined },
      options.subscriptions,
    );
    if (options.tasks !== undefined) this.#tasks = this.#taskManager();
    this.#unsubscribeEvents = options.events?.subscribe((event) => {
      if (isServerEvent(event)) this.#resourceUpdated(event.uri);
    });
    const input: InputHost = { codec: new RequestStateCodec(options.requestState), maxRounds };
    const tables = methodTables(
      {
        tools: this.#tools,
        resources: this.#resources,
        prompts: this.#prompts,
        subscriptions: this.#subscriptions,
        input,
        shaper: this.#shaper,
        pageSize,
        hints,
        hideUnauthorized: options.hideUnauthorized === true,
        discover: () => this.#discoverResult(),
        tasks: () => this.#tasks,
      },
      this.#pages,
    );
    this.#session = tables.session;
    this.#stateless = tables.stateless;
    this.#host = {
      handlerFor: (method, stateless) => this.#handlerFor(method, stateless),
      shapeStateless: (_ctx, result) => this.#shaper.stateless(result),
      shapeSession: (_ctx, result) => this.#shaper.session(result),
      headerParams: (name) => this.#tools.headerParams(name),
      shards: options.shards,
      tracer: options.tracer,
      initializeResult: (version) => this.#initializeResult(version),
      onNotification: (session, n) => this.#onNotification(session, n),
      sessionClosed: (session) => this.#closed(session),
      ...(options.handover === undefined ? {} : { sessionChanged: (session) => this.#changed(session) }),
    };
  }

  // ---- registration -------------------------------------------------------------------

  /** Registers a tool. Arguments are validated against `inputSchema` (compiled once). */
  registerTool(name: string, config: ToolConfig, handler: ToolHandler): RegisteredTool {
    const tool = this.#tools.add(name, config, handler);
    if (config.task !== undefined && this.#tasks === undefined) {
      this.#tasks = this.#taskManager();
      this.#caps = undefined;
      this.#discover = undefined;
    }
    return tool;
  }

  /** Registers a resource at a fixed URI. */
  registerResource(name: string, uri: string, config: ResourceConfig, read: ReadResourceHandler): RegisteredResource {
    return this.#resources.addResource(name, uri, config, read);
  }

  /** Registers an RFC 6570 URI template; `resources/read` of a matching URI calls `read` with its variables. */
  registerResourceTemplate(
    name: string,
    uriTemplate: string,
    config: ResourceTemplateConfig,
    read: ReadTemplateHandler,
  ): RegisteredResource {
    return this.#resources.addTemplate(name, uriTemplate, config, read);
  }

  /** Registers a prompt. */
  registerPrompt(name: string, config: PromptConfig, handler: PromptHandler): RegisteredPrompt {
    return this.#prompts.add(name, config, handler);
  }

  // ---- sessions -----------------------------------------------------------------------

  /**
   * Serves one client over `transport`. The session is registered in the native gate at
   * once (ERR_ALREADY_REGISTERED if its session id is taken) and removed when it closes.
   */
  async connect(transport: Transport): Promise<ServerSession> {
    const session = this.accept(transport);
    await session.start();
    return session;
  }

  /**
   * Like {@link connect} but synchronous up to the transport's start: the session handles
   * messages delivered right after this returns (what listeners creating a session from an
   * inbound message need). Call `session.start()` is not needed for transports whose start
   * is a no-op; listeners of this package start their transports themselves. A stateless
   * transport (one HTTP client's 2026 requests) becomes a channel: served alike, but not a
   * session (no `session` event, not in {@link sessions}).
   */
  accept(transport: Transport): ServerSession {
    const session = new ServerSession(this.#host, this.gate, transport);
    if (this.#draining) session.drain();
    session.onerror = (err) => {
      if (this.listenerCount('sessionerror') > 0) this.emit('sessionerror', err, session);
    };
    if (session.stateless) {
      this.#channels.add(session);
    } else {
      this.#sessions.add(session);
    }
    this.#startSweep();
    if (!session.stateless) this.emit('session', session);
    return session;
  }

  /** Sessions currently open (2025 sessions and stdio/WebSocket connections). */
  get sessions(): ReadonlySet<ServerSession> {
    return this.#sessions;
  }

  /** Stateless channels currently open: one per HTTP client address serving 2026 requests. */
  get statelessClients(): ReadonlySet<ServerSession> {
    return this.#channels;
  }

  /** Open `subscriptions/listen` streams. */
  get subscriptions(): number {
    return this.#subscriptions.size;
  }

  /** What the server holds now, for health and metrics. */
  counts(): { sessions: number; statelessClients: number; subscriptions: number; tasksRunning: number | undefined } {
    return {
      sessions: this.#sessions.size,
      statelessClients: this.#channels.size,
      subscriptions: this.#subscriptions.size,
      tasksRunning: this.#tasks?.running,
    };
  }

  /** The Tasks extension's runtime (its store, running tasks), when the server serves it. */
  get tasks(): TaskManager | undefined {
    return this.#tasks;
  }

  /** Inbound requests being handled across all sessions and channels. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.inFlight;
    for (const s of this.#channels) n += s.inFlight;
    return n;
  }

  /**
   * Tells every client subscribed to `uri` that it changed: 2025 sessions that sent
   * `resources/subscribe`, and 2026 `subscriptions/listen` streams naming it, on this copy of
   * the server and, through the `events` bus, on every other (other workers, other nodes).
   * `scope: 'local'` tells this copy's clients only: for a change every copy makes at the same
   * moment by itself (one derived from the time, say), which would otherwise be heard once per copy.
   */
  notifyResourceUpdated(uri: string, options: { scope?: 'all' | 'local' } = {}): void {
    this.#resourceUpdated(uri);
    if (options.scope !== 'local') this.#options.events?.publish({ type: 'resource_updated', uri });
  }

  /** A resource update, told to this copy's own clients only. */
  #resourceUpdated(uri: string): void {
    for (const s of this.#sessions) {
      if (s.subscriptions.has(uri)) s.notify('notifications/resources/updated', { uri }).catch(() => {});
    }
    this.#subscriptions.resourceUpdated(uri);
  }

  /**
   * Sends a log message to every 2025 session whose level admits it. (2026 requests log only
   * through their own `ctx.log`, and only when they set a `logLevel`.)
   */
  sendLog(level: LoggingLevel, data: unknown, logger?: string): void {
    for (const s of this.#sessions) if (s.state === 'ready') s.sendLog(level, data, logger).catch(() => {});
  }

  /**
   * Graceful stop: refuse new requests (SESSION_CLOSING), end open `subscriptions/listen`
   * streams with a completion result, let in-flight requests finish for up to `deadlineMs`
   * (default 5,000), then close every session.
   */
  async shutdown(deadlineMs = 5_000): Promise<void> {
    this.#draining = true;
    for (const s of this.#sessions) s.drain();
    for (const s of this.#channels) s.drain();
    this.#subscriptions.close();
    const until = performance.now() + deadlineMs;
    const drained = (async () => {
      while (this.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    })();
    // Running tasks get the same deadline; those still running then are failed with a reason.
    await Promise.all([drained, this.#tasks?.shutdown(deadlineMs)]);
    await this.close();
  }

  /** Closes every session now (in-flight requests are aborted, unanswered). Running tasks go on. */
  async close(): Promise<void> {
    this.#unsubscribeEvents?.();
    this.#unsubscribeEvents = undefined;
    await Promise.allSettled([...this.#sessions, ...this.#channels].map((s) => s.close()));
    this.#stopSweep();
  }

  // ---- protocol ---------------------------------------------------------------------

  /** A method of a capability the server does not have is "not found", as for the SDK. */
  #handlerFor(method: string, stateless: boolean): MethodHandler<ServerContext> | undefined {
    const needs = NEEDS.get(method);
    if (needs !== undefined && !this.#capabilities()[needs]) return undefined;
    if (this.#tasks === undefined && method.startsWith('tasks/')) return undefined;
    return (stateless ? this.#stateless : this.#session).get(method);
  }

  #capabilities(): ServerCapabilities {
    if (this.#caps) return this.#caps;
    const caps: ServerCapabilities = { logging: {}, ...this.#options.capabilities };
    if (this.#tools.size > 0 || caps.tools) caps.tools = { listChanged: true, ...caps.tools };
    if (this.#resources.size > 0 || caps.resources)
      caps.resources = { subscribe: true, listChanged: true, ...caps.resources };
    if (this.#prompts.size > 0 || caps.prompts) caps.prompts = { listChanged: true, ...caps.prompts };
    if (this.#prompts.size > 0 || this.#resources.size > 0 || caps.completions)
      caps.completions = caps.completions ?? {};
    if (this.#tasks !== undefined) caps.extensions = { ...caps.extensions, [TASKS_EXTENSION]: {} };
    this.#caps = caps;
    return caps;
  }

  /** The 2025 capabilities: the Tasks extension is not defined in that era (SEP-2663). */
  #sessionCapabilities(): ServerCapabilities {
    const caps = this.#capabilities();
    const ext = caps.extensions;
    if (ext === undefined || !(TASKS_EXTENSION in ext)) return caps;
    const { [TASKS_EXTENSION]: _tasks, ...rest } = ext;
    const out: ServerCapabilities = { ...caps, extensions: rest };
    if (Object.keys(rest).length === 0) delete out.extensions;
    return out;
  }

  #initializeResult(protocolVersion: string): InitializeResult {
    const r: InitializeResult = { protocolVersion, capabilities: this.#sessionCapabilities(), serverInfo: this.info };
    if (this.#options.instructions !== undefined) r.instructions = this.#options.instructions;
    return r;
  }

  /** `server/discover`, serialized once per change of the capabilities. */
  #discoverResult(): RawResult {
    if (this.#discover) return this.#discover;
    const r: Record<string, unknown> = {
      resultType: 'complete',
      supportedVersions: [...MODERN_PROTOCOL_VERSIONS],
      capabilities: this.#capabilities(),
    };
    if (this.#options.instructions !== undefined) r.instructions = this.#options.instructions;
    r.ttlMs = this.#discoverHints.ttlMs;
    r.cacheScope = this.#discoverHints.cacheScope;
    r._meta = { [META_SERVER_INFO]: this.info };
    this.#discover = new RawResult(r);
    return this.#discover;
  }

  #taskManager(): TaskManager {
    return new TaskManager(this.#options.tasks ?? {}, {
      shape: (result) => {
        // Stored, so a plain object (not the serialize-time DressedResult).
        const shaped = this.#shaper.stateless(result);
        return (shaped instanceof DressedResult ? shaped.toJSON() : shaped) as Record<string, unknown>;
      },
      changed: (taskId, task) => {
        const wire = task as unknown as Record<string, unknown>;
        this.#subscriptions.taskUpdated(taskId, wire);
        this.#options.tasks?.publish?.(taskId, wire);
      },
    });
  }

  /**
   * @internal A task of another worker of this process changed (its TasksOptions.publish):
   * tells this server's `subscriptions/listen` streams that asked for it.
   */
  deliverTaskUpdate(taskId: string, task: Record<string, unknown>): void {
    this.#subscriptions.taskUpdated(taskId, task);
  }

  #onNotification(session: ServerSession, n: JsonRpcNotification): void {
    if (n.method === 'notifications/roots/list_changed') this.emit('rootschanged', session);
  }

  /** Coalesces registrations made in one tick into one list_changed per kind. */
  #listChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    this.#caps = undefined;
    this.#discover = undefined;
    this.#pages.clear(kind);
    if (kind === 'resources') this.#pages.clear('resourceTemplates');
    if (this.#sessions.size === 0 && this.#subscriptions.size === 0) return;
    if (this.#pendingChanges.size === 0) {
      queueMicrotask(() => {
        const kinds = [...this.#pendingChanges];
        this.#pendingChanges.clear();
        for (const s of this.#sessions) {
          if (!s.initialized) continue;
          for (const k of kinds) s.notify(`notifications/${k}/list_changed`).catch(() => {});
        }
        for (const k of kinds) this.#subscriptions.listChanged(k);
      });
    }
    this.#pendingChanges.add(kind);
  }

  /** A resumable session's state changed: keep its snapshot where another process finds it. */
  #changed(session: ServerSession): void {
    if (!session.resumable) return;
    const snapshot = session.snapshot();
    if (snapshot !== undefined) this.#options.handover?.save(snapshot);
  }

  #closed(session: ServerSession): void {
    if (session.stateless) {
      this.#channels.delete(session);
    } else {
      this.#sessions.delete(session);
      // A session closed while the server drains continues elsewhere: its snapshot stays.
      if (!this.#draining && session.resumable) this.#options.handover?.remove(session.id);
      this.emit('sessionclose', session);
    }
    if (this.#sessions.size === 0 && this.#channels.size === 0) this.#stopSweep();
  }

  /** One timer for all sessions' request deadlines (not one timer per request). */
  #startSweep(): void {
    if (this.#sweep || !Number.isFinite(this.#timeoutMs)) return;
    const period = Math.max(10, Math.min(1_000, Math.floor(this.#timeoutMs / 4)));
    this.#sweep = setInterval(() => {
      const now = performance.now();
      for (const s of this.#sessions) if (s.inFlight > 0) s.expireOverdue(now, this.#timeoutMs);
      for (const s of this.#channels) if (s.inFlight > 0) s.expireOverdue(now, this.#timeoutMs);
    }, period);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
