import { ErlmcpError, invalidArg } from '../core/errors.js';
import type { MessageExtra, Transport } from '../transports/transport.js';
import { RequestContext } from './context.js';
import type { JsonRpcNotification, JsonRpcRequest, RequestId } from './jsonrpc.js';
import { type MethodHandler, Peer, type RequestOptions } from './peer.js';
import type {
  CallToolResult,
  ClientCapabilities,
  CompleteResult,
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  GetPromptResult,
  Implementation,
  InitializeResult,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Root,
  ServerCapabilities,
  Tool,
} from './types.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './versions.js';

export interface McpClientOptions {
  /** Capabilities to declare; `sampling`, `elicitation` and `roots` are added when handlers are set. */
  capabilities?: ClientCapabilities;
  /** Default timeout of requests in ms (default 60,000). */
  requestTimeoutMs?: number;
  /** The protocol version to ask for (default 2025-11-25). */
  protocolVersion?: string;
}

export type SamplingHandler = (
  params: CreateMessageParams,
  ctx: RequestContext,
) => CreateMessageResult | Promise<CreateMessageResult>;
export type ElicitationHandler = (params: ElicitParams, ctx: RequestContext) => ElicitResult | Promise<ElicitResult>;
export type NotificationHandler = (params: Record<string, unknown>) => void;

/**
 * An MCP client over any transport (ours or the official SDK's). `connect` runs the
 * initialize handshake; the methods below are the client side of the spec.
 */
export class McpClient extends Peer {
  readonly info: Implementation;
  readonly #options: McpClientOptions;
  #server: InitializeResult | undefined;
  #sampling: SamplingHandler | undefined;
  #elicitation: ElicitationHandler | undefined;
  #roots: Root[] | undefined;
  readonly #notificationHandlers = new Map<string, Set<NotificationHandler>>();

  constructor(info: Implementation, options: McpClientOptions = {}) {
    super();
    if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
      throw invalidArg('McpClient needs { name, version } strings');
    }
    this.info = info;
    this.#options = options;
    if (options.requestTimeoutMs !== undefined) this.requestTimeoutMs = options.requestTimeoutMs;
  }

  /** Answers the server's `sampling/createMessage` (declares the `sampling` capability). Set before connect. */
  onSampling(handler: SamplingHandler): this {
    this.#sampling = handler;
    return this;
  }

  /** Answers the server's `elicitation/create` (declares `elicitation`). Set before connect. */
  onElicitation(handler: ElicitationHandler): this {
    this.#elicitation = handler;
    return this;
  }

  /** Sets the roots offered to the server (declares `roots`); after connect, tells the server they changed. */
  setRoots(roots: Root[]): void {
    const had = this.#roots !== undefined;
    this.#roots = roots;
    if (had && this.#server && !this.closed) {
      this.notify('notifications/roots/list_changed').catch((err) => this.reportError(err));
    }
  }

  /** Subscribes to a server notification by method (e.g. `notifications/message`). Returns an unsubscribe function. */
  onNotification(method: string, handler: NotificationHandler): () => void {
    let set = this.#notificationHandlers.get(method);
    if (!set) {
      set = new Set();
      this.#notificationHandlers.set(method, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Connects and initializes. Rejects when the server answers a protocol version we do not speak. */
  async connect(transport: Transport, options: RequestOptions = {}): Promise<InitializeResult> {
    this.attach(transport);
    await transport.start();
    const capabilities: ClientCapabilities = { ...this.#options.capabilities };
    if (this.#sampling) capabilities.sampling ??= {};
    if (this.#elicitation) capabilities.elicitation ??= {};
    if (this.#roots) capabilities.roots ??= { listChanged: true };
    let result: InitializeResult;
    try {
      result = await this.request<InitializeResult>(
        'initialize',
        {
          protocolVersion: this.#options.protocolVersion ?? LATEST_PROTOCOL_VERSION,
          capabilities,
          clientInfo: this.info,
        },
        options,
      );
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(result.protocolVersion)) {
      await this.close().catch(() => {});
      throw new ErlmcpError(
        'ERR_TRANSPORT',
        `server answered unsupported protocol version ${String(result.protocolVersion)}`,
      );
    }
    this.#server = result;
    transport.setProtocolVersion?.(result.protocolVersion);
    await this.notify('notifications/initialized');
    return result;
  }

  get serverInfo(): Implementation | undefined {
    return this.#server?.serverInfo;
  }

  get serverCapabilities(): ServerCapabilities | undefined {
    return this.#server?.capabilities;
  }

  get protocolVersion(): string | undefined {
    return this.#server?.protocolVersion;
  }

  get instructions(): string | undefined {
    return this.#server?.instructions;
  }

  ping(options?: RequestOptions): Promise<Record<string, never>> {
    return this.request('ping', undefined, options);
  }

  listTools(
    params: { cursor?: string } = {},
    options?: RequestOptions,
  ): Promise<{ tools: Tool[]; nextCursor?: string }> {
    return this.request('tools/list', params, options);
  }

  /** Every tool, following `nextCursor` until the last page. */
  async listAllTools(options?: RequestOptions): Promise<Tool[]> {
    return this.#all(
      (cursor) => this.listTools(cursor === undefined ? {} : { cursor }, options),
      (r) => r.tools,
    );
  }

  callTool(
    params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> },
    options?: RequestOptions,
  ): Promise<CallToolResult> {
    return this.request('tools/call', params, options);
  }

  listResources(
    params: { cursor?: string } = {},
    options?: RequestOptions,
  ): Promise<{ resources: Resource[]; nextCursor?: string }> {
    return this.request('resources/list', params, options);
  }

  listResourceTemplates(
    params: { cursor?: string } = {},
    options?: RequestOptions,
  ): Promise<{ resourceTemplates: ResourceTemplate[]; nextCursor?: string }> {
    return this.request('resources/templates/list', params, options);
  }

  readResource(params: { uri: string }, options?: RequestOptions): Promise<ReadResourceResult> {
    return this.request('resources/read', params, options);
  }

  subscribeResource(params: { uri: string }, options?: RequestOptions): Promise<Record<string, never>> {
    return this.request('resources/subscribe', params, options);
  }

  unsubscribeResource(params: { uri: string }, options?: RequestOptions): Promise<Record<string, never>> {
    return this.request('resources/unsubscribe', params, options);
  }

  listPrompts(
    params: { cursor?: string } = {},
    options?: RequestOptions,
  ): Promise<{ prompts: Prompt[]; nextCursor?: string }> {
    return this.request('prompts/list', params, options);
  }

  getPrompt(
    params: { name: string; arguments?: Record<string, string> },
    options?: RequestOptions,
  ): Promise<GetPromptResult> {
    return this.request('prompts/get', params, options);
  }

  complete(
    params: {
      ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
      argument: { name: string; value: string };
      context?: { arguments?: Record<string, string> };
    },
    options?: RequestOptions,
  ): Promise<CompleteResult> {
    return this.request('completion/complete', params, options);
  }

  setLoggingLevel(level: LoggingLevel, options?: RequestOptions): Promise<Record<string, never>> {
    return this.request('logging/setLevel', { level }, options);
  }

  async #all<R extends { nextCursor?: string }, T>(
    page: (cursor?: string) => Promise<R>,
    items: (r: R) => T[],
  ): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const r = await page(cursor);
      out.push(...items(r));
      cursor = r.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  // ---- inbound (server -> client) ------------------------------------------------------

  protected override handlerFor(method: string): MethodHandler | undefined {
    switch (method) {
      case 'ping':
        return () => ({});
      case 'sampling/createMessage': {
        const h = this.#sampling;
        return h && ((params, ctx) => h(params as unknown as CreateMessageParams, ctx));
      }
      case 'elicitation/create': {
        const h = this.#elicitation;
        return h && ((params, ctx) => h(params as unknown as ElicitParams, ctx));
      }
      case 'roots/list': {
        const roots = this.#roots;
        return roots && (() => ({ roots: this.#roots ?? [] }));
      }
      default:
        return undefined;
    }
  }

  protected override createContext(request: JsonRpcRequest, extra: MessageExtra | undefined): RequestContext {
    return new RequestContext(request.id, request.method, request.params, extra, (m, p, related: RequestId) =>
      this.notify(m, p, related),
    );
  }

  protected override handleNotification(n: JsonRpcNotification): void {
    const set = this.#notificationHandlers.get(n.method);
    if (!set) return;
    for (const h of set) {
      try {
        h(n.params ?? {});
      } catch (err) {
        this.reportError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
}
