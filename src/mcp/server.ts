import { EventEmitter } from 'node:events';
import { invalidArg } from '../core/errors.js';
import type { RequestTracer } from '../ops/tracing.js';
import type { ShardSet } from '../shards/shard-set.js';
import type { Transport } from '../transports/transport.js';
import { complete } from './features/completion.js';
import { type PromptConfig, type PromptHandler, PromptSet, type RegisteredPrompt } from './features/prompts.js';
import {
  type ReadResourceHandler,
  type ReadTemplateHandler,
  type RegisteredResource,
  type ResourceConfig,
  ResourceSet,
  type ResourceTemplateConfig,
  uriOf,
} from './features/resources.js';
import { type RegisteredTool, type ToolConfig, type ToolHandler, ToolSet } from './features/tools.js';
import { Gate, type GateOptions } from './gate.js';
import type { JsonRpcNotification } from './jsonrpc.js';
import type { MethodHandler } from './peer.js';
import type { ServerContext } from './server-context.js';
import { ServerSession, type SessionHost } from './session.js';
import type { Implementation, InitializeResult, LoggingLevel, ServerCapabilities } from './types.js';

export interface McpServerOptions {
  /** Capabilities to declare beyond those implied by what is registered. */
  capabilities?: ServerCapabilities;
  /** `instructions` sent in the initialize result. */
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
   * Deadline of one inbound request in ms (default 60,000): past it the request is answered
   * with REQUEST_TIMEOUT and its handler's signal aborts. `Infinity` disables it.
   */
  requestTimeoutMs?: number;
  /**
   * Traces every admitted request (see `openTelemetryTracer` in erlmcp's ops). Default: none,
   * and then tracing costs one undefined check per request.
   */
  tracer?: RequestTracer;
}

/** Events: `session` (ServerSession), `sessionclose` (ServerSession), `sessionerror` (Error, ServerSession). */
export interface McpServerEvents {
  session: [ServerSession];
  sessionclose: [ServerSession];
  sessionerror: [Error, ServerSession];
  rootschanged: [ServerSession];
}

const PING_RESULT = Object.freeze({});

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
 * number of sessions on any mix of transports. Each session has its own state and answers go
 * only to the transport the request came in on (no shared "current transport" — the
 * official SDK's CVE-2026-25536 came from exactly that).
 */
export class McpServer extends EventEmitter<McpServerEvents> {
  readonly info: Implementation;
  readonly gate: Gate;
  readonly #options: McpServerOptions;
  readonly #pageSize: number;
  readonly #timeoutMs: number;
  readonly #tools: ToolSet;
  readonly #resources: ResourceSet;
  readonly #prompts: PromptSet;
  readonly #sessions = new Set<ServerSession>();
  readonly #handlers: Map<string, MethodHandler<ServerContext>>;
  readonly #host: SessionHost;
  readonly #pendingChanges = new Set<string>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #caps: ServerCapabilities | undefined;
  #draining = false;

  constructor(info: Implementation, options: McpServerOptions = {}) {
    super();
    if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
      throw invalidArg('McpServer needs { name, version } strings');
    }
    this.info = info;
    this.#options = options;
    this.#pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1)
      throw invalidArg('pageSize must be a positive integer');
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    if (!(this.#timeoutMs > 0)) throw invalidArg('requestTimeoutMs must be positive (Infinity disables it)');
    this.gate = options.gate instanceof Gate ? options.gate : new Gate(options.gate);
    if (options.shards && options.shards.registry !== this.gate.registry) {
      throw invalidArg("shards must be built over the server's gate (its registry and router)");
    }
    this.#tools = new ToolSet(() => this.#listChanged('tools'));
    this.#resources = new ResourceSet(() => this.#listChanged('resources'));
    this.#prompts = new PromptSet(() => this.#listChanged('prompts'));
    this.#handlers = this.#methods();
    this.#host = {
      handlerFor: (method) => this.#handlerFor(method),
      shards: options.shards,
      tracer: options.tracer,
      initializeResult: (version) => this.#initializeResult(version),
      onNotification: (session, n) => this.#onNotification(session, n),
      sessionClosed: (session) => this.#closed(session),
    };
  }

  // ---- registration -------------------------------------------------------------------

  /** Registers a tool. Arguments are validated against `inputSchema` (compiled once). */
  registerTool(name: string, config: ToolConfig, handler: ToolHandler): RegisteredTool {
    return this.#tools.add(name, config, handler);
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
   * is a no-op; listeners of this package start their transports themselves.
   */
  accept(transport: Transport): ServerSession {
    const session = new ServerSession(this.#host, this.gate, transport);
    if (this.#draining) session.drain();
    session.onerror = (err) => {
      if (this.listenerCount('sessionerror') > 0) this.emit('sessionerror', err, session);
    };
    this.#sessions.add(session);
    this.#startSweep();
    this.emit('session', session);
    return session;
  }

  /** Sessions currently open. */
  get sessions(): ReadonlySet<ServerSession> {
    return this.#sessions;
  }

  /** Inbound requests being handled across all sessions. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.inFlight;
    return n;
  }

  /** Tells every client subscribed to `uri` that it changed (`notifications/resources/updated`). */
  notifyResourceUpdated(uri: string): void {
    for (const s of this.#sessions) {
      if (s.subscriptions.has(uri)) s.notify('notifications/resources/updated', { uri }).catch(() => {});
    }
  }

  /** Sends a log message to every session whose level admits it. */
  sendLog(level: LoggingLevel, data: unknown, logger?: string): void {
    for (const s of this.#sessions) if (s.state === 'ready') s.sendLog(level, data, logger).catch(() => {});
  }

  /**
   * Graceful stop: refuse new requests (SESSION_CLOSING), let in-flight ones finish for up to
   * `deadlineMs` (default 5,000), then close every session.
   */
  async shutdown(deadlineMs = 5_000): Promise<void> {
    this.#draining = true;
    for (const s of this.#sessions) s.drain();
    const until = performance.now() + deadlineMs;
    while (this.inFlight > 0 && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.close();
  }

  /** Closes every session now (in-flight requests are aborted, unanswered). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#sessions].map((s) => s.close()));
    this.#stopSweep();
  }

  // ---- protocol ---------------------------------------------------------------------

  /** A method of a capability the server does not have is "not found", as for the SDK. */
  #handlerFor(method: string): MethodHandler<ServerContext> | undefined {
    const needs = NEEDS.get(method);
    if (needs !== undefined && !this.#capabilities()[needs]) return undefined;
    return this.#handlers.get(method);
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
    this.#caps = caps;
    return caps;
  }

  #initializeResult(protocolVersion: string): InitializeResult {
    const r: InitializeResult = { protocolVersion, capabilities: this.#capabilities(), serverInfo: this.info };
    if (this.#options.instructions !== undefined) r.instructions = this.#options.instructions;
    return r;
  }

  #methods(): Map<string, MethodHandler<ServerContext>> {
    const size = () => this.#pageSize;
    const t = this.#tools;
    const r = this.#resources;
    const p = this.#prompts;
    return new Map<string, MethodHandler<ServerContext>>([
      ['initialize', (params, ctx) => ctx.session.initialize(params)],
      ['ping', () => PING_RESULT],
      ['tools/list', (params) => t.list(params, size())],
      ['tools/call', (params, ctx) => t.call(params, ctx)],
      ['resources/list', (params, ctx) => r.list(params, ctx, size())],
      ['resources/templates/list', (params) => r.listTemplates(params, size())],
      ['resources/read', (params, ctx) => r.read(params, ctx)],
      [
        'resources/subscribe',
        (params, ctx) => {
          ctx.session.subscriptions.add(uriOf(params));
          return PING_RESULT;
        },
      ],
      [
        'resources/unsubscribe',
        (params, ctx) => {
          ctx.session.subscriptions.delete(uriOf(params));
          return PING_RESULT;
        },
      ],
      ['prompts/list', (params) => p.list(params, size())],
      ['prompts/get', (params, ctx) => p.get(params, ctx)],
      ['completion/complete', (params) => complete(params, p, r)],
      [
        'logging/setLevel',
        (params, ctx) => {
          ctx.session.setLogLevel(params.level);
          return PING_RESULT;
        },
      ],
    ]);
  }

  #onNotification(session: ServerSession, n: JsonRpcNotification): void {
    if (n.method === 'notifications/roots/list_changed') this.emit('rootschanged', session);
  }

  /** Coalesces registrations made in one tick into one list_changed per kind. */
  #listChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    this.#caps = undefined;
    if (this.#sessions.size === 0) return;
    if (this.#pendingChanges.size === 0) {
      queueMicrotask(() => {
        const kinds = [...this.#pendingChanges];
        this.#pendingChanges.clear();
        for (const s of this.#sessions) {
          if (!s.initialized) continue;
          for (const k of kinds) s.notify(`notifications/${k}/list_changed`).catch(() => {});
        }
      });
    }
    this.#pendingChanges.add(kind);
  }

  #closed(session: ServerSession): void {
    this.#sessions.delete(session);
    if (this.#sessions.size === 0) this.#stopSweep();
    this.emit('sessionclose', session);
  }

  /** One timer for all sessions' request deadlines (not one timer per request). */
  #startSweep(): void {
    if (this.#sweep || !Number.isFinite(this.#timeoutMs)) return;
    const period = Math.max(10, Math.min(1_000, Math.floor(this.#timeoutMs / 4)));
    this.#sweep = setInterval(() => {
      const now = performance.now();
      for (const s of this.#sessions) if (s.inFlight > 0) s.expireOverdue(now, this.#timeoutMs);
    }, period);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
