import { assertInt, ErlmcpError, invalidArg } from '../core/errors.js';
import { modernVersionOf } from '../transports/http-mirror.js';
import type { MessageExtra, Transport } from '../transports/transport.js';
import { CACHEABLE_METHODS, cacheKeyOf, type ResponseCache } from './client/cache.js';
import { clientCapabilities, envelopeMeta, withEnvelope } from './client/envelope.js';
import { type ElicitationHandler, fulfilInputs, type InputHandlers, type SamplingHandler } from './client/input.js';
import { Listens, type SubscriptionOptions } from './client/listens.js';
import { checkNegotiation, connectResultOf, type Modern, negotiate, notInEra } from './client/negotiate.js';
import { cacheOf, checkFilter, checkLevel, pollBoundsOf } from './client/options.js';
import { type ProbeOutcome, probeFailure } from './client/probe.js';
import { checkInputRequests, resultTypeOf } from './client/result-type.js';
import type { ListenHandlers, Subscription } from './client/subscription.js';
import { type PollBounds, type TasksOptions, type WaitForTaskOptions, waitForTask } from './client/tasks.js';
import { ToolHeaderIndex } from './client/tool-headers.js';
import type { CallOptions, ConnectResult, ProtocolEra, ToolCallStart, VersionNegotiation } from './client/types.js';
import { RequestContext } from './context.js';
import { ErrorCode, type JsonRpcNotification, type JsonRpcRequest, McpError, type RequestId } from './jsonrpc.js';
import { TASKS_EXTENSION } from './meta-keys.js';
import { type MethodHandler, Peer, type RequestOptions } from './peer.js';
import type {
  CallToolResult,
  ClientCapabilities,
  CompleteResult,
  CreateMessageParams,
  CreateTaskResult,
  DetailedTask,
  DiscoverResult,
  ElicitParams,
  GetPromptResult,
  Implementation,
  InitializeResult,
  InputRequiredResult,
  InputResponses,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ResultType,
  Root,
  ServerCapabilities,
  SubscriptionFilter,
  Task,
  Tool,
} from './types.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './versions.js';

export type { ElicitationHandler, SamplingHandler } from './client/input.js';

export interface McpClientOptions {
  /** Capabilities to declare; `sampling`, `elicitation` and `roots` are added when handlers are set. */
  capabilities?: ClientCapabilities;
  /** Default timeout of requests in ms (default 60,000). */
  requestTimeoutMs?: number;
  /** The 2025-era protocol version `initialize` asks for (default 2025-11-25). */
  protocolVersion?: string;
  /**
   * How `connect()` settles the protocol era (default `'legacy'`: the 2025 handshake; see
   * docs/client.md for why). `'auto'` probes with `server/discover` and falls back;
   * `{ pin: '2026-07-28' }` speaks only that version.
   */
  versionNegotiation?: VersionNegotiation;
  /** How long the `server/discover` probe may take, in ms (default: the request's timeout). */
  probeTimeoutMs?: number;
  /** The log level to ask for from the start (see {@link McpClient.setLoggingLevel}; default none). */
  logLevel?: LoggingLevel;
  /** Most `input_required` rounds one call may take before it fails with ERR_INPUT_ROUNDS_EXCEEDED (default 10). */
  maxInputRounds?: number;
  /** The response cache of the list methods and `resources/read`: `false` turns it off (default on, 1,000 entries). */
  cache?: boolean | { maxEntries?: number };
  /** The Tasks extension (io.modelcontextprotocol/tasks): `true` or polling bounds declare it (default off). */
  tasks?: boolean | TasksOptions;
  /** More extensions to declare on modern requests, by id (default none). */
  extensions?: Record<string, object>;
  /** Non-fatal protocol problems, e.g. a tool dropped for invalid `x-mcp-header`s (default: process.emitWarning). */
  onwarning?: (message: string) => void;
}

export type NotificationHandler = (params: Record<string, unknown>) => void;

/**
 * An MCP client over any transport (ours or the official SDK's), in both protocol eras. In the
 * 2025 era `connect` runs the initialize handshake and the server may call back with
 * requests; in the 2026 era (MCP 2026-07-28) every request carries the client's envelope, the
 * server asks for input inside results (answered here through the same handlers, then the
 * call is retried), and change notifications come on `listen()` streams.
 */
export class McpClient extends Peer {
  readonly info: Implementation;
  readonly #options: McpClientOptions;
  readonly #negotiation: VersionNegotiation;
  readonly #maxRounds: number;
  readonly #cache: ResponseCache | undefined;
  readonly #tasks: PollBounds | undefined;
  readonly #toolHeaders = new ToolHeaderIndex();
  readonly #listens = new Listens();
  readonly #warned = new Set<string>();
  #server: ConnectResult | undefined;
  #era: ProtocolEra | undefined;
  #sampling: SamplingHandler | undefined;
  #elicitation: ElicitationHandler | undefined;
  #roots: Root[] | undefined;
  #logLevel: LoggingLevel | undefined;
  /** Set while the probe is the one request in flight: the HTTP status of its answer. */
  #probe: { status: number | undefined } | undefined;
  readonly #notificationHandlers = new Map<string, Set<NotificationHandler>>();

  constructor(info: Implementation, options: McpClientOptions = {}) {
    super();
    if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
      throw invalidArg('McpClient needs { name, version } strings');
    }
    this.info = info;
    this.#options = options;
    this.#negotiation = checkNegotiation(options.versionNegotiation);
    if (options.requestTimeoutMs !== undefined) this.requestTimeoutMs = options.requestTimeoutMs;
    if (options.probeTimeoutMs !== undefined) assertInt('probeTimeoutMs', options.probeTimeoutMs, 1, 2 ** 31 - 1);
    if (options.logLevel !== undefined) this.#logLevel = checkLevel(options.logLevel);
    this.#maxRounds = options.maxInputRounds ?? 10;
    assertInt('maxInputRounds', this.#maxRounds, 1, 1_000);
    this.#cache = cacheOf(options.cache);
    this.#tasks = pollBoundsOf(options.tasks);
  }

  /**
   * Answers the server's sampling requests and declares `sampling`: 2025 era, set it before
   * connect (the handshake declares it); 2026, any time (each request declares it).
   */
  onSampling(handler: SamplingHandler): this {
    this.#sampling = handler;
    return this;
  }

  /** Answers the server's elicitation requests and declares `elicitation` (when to set it: see {@link onSampling}). */
  onElicitation(handler: ElicitationHandler): this {
    this.#elicitation = handler;
    return this;
  }

  /**
   * Sets the roots offered to the server (declares `roots`). In the 2025 era, after connect,
   * the server is told they changed; in 2026 the next request that needs them carries them.
   */
  setRoots(roots: Root[]): void {
    const had = this.#roots !== undefined;
    this.#roots = roots;
    if (had && this.#era === 'legacy' && !this.closed) {
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

  /**
   * Connects and settles the era (see {@link McpClientOptions.versionNegotiation}). Rejects
   * when the server answers a protocol version we do not speak, or with ERR_ERA_NEGOTIATION
   * when no era can be agreed; the transport is closed then.
   */
  async connect(transport: Transport, options: RequestOptions = {}): Promise<ConnectResult> {
    this.attach(transport);
    await transport.start();
    try {
      const mode = this.#negotiation;
      const modern =
        mode === 'legacy' ? undefined : await negotiate(mode, this.#http, (v) => this.#probeOnce(v, options));
      this.#server = modern ? this.#adopt(modern) : await this.#initialize(options);
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
    return this.#server;
  }

  /** The era `connect` settled on (undefined before). */
  get era(): ProtocolEra | undefined {
    return this.#era;
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

  /** Modern era: the versions the server's `server/discover` listed. */
  get supportedVersions(): string[] | undefined {
    return this.#server?.supportedVersions;
  }

  /** The log level asked for (see {@link setLoggingLevel}). */
  get logLevel(): LoggingLevel | undefined {
    return this.#logLevel;
  }

  /**
   * Sends one request and resolves with its raw result: in the 2026 era with the envelope
   * added, and without any `input_required` or task handling (the lower-level call under
   * callTool, getPrompt and readResource; see docs/client.md).
   */
  override request<T = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<T> {
    const p =
      this.#era === 'modern' ? withEnvelope(params, this.#meta(this.#server?.protocolVersion as string)) : params;
    return super.request<T>(method, p, options);
  }

  /** 2025 era only: the 2026 era removed `ping` (use {@link discover}). */
  ping(options?: RequestOptions): Promise<Record<string, never>> {
    if (this.#era === 'modern') return Promise.reject(notInEra('ping', '2026', 'call discover() instead'));
    return this.request('ping', undefined, options);
  }

  /** 2026 era: `server/discover` (cached for its ttlMs); refreshes what the client knows of the server. */
  async discover(options?: CallOptions): Promise<DiscoverResult> {
    this.#requireModern('server/discover', 'the 2025 handshake already said it (serverCapabilities, serverInfo)');
    const r = (await this.#cached('server/discover', undefined, options)) as unknown as DiscoverResult;
    this.#server = connectResultOf(this.#server?.protocolVersion as string, r);
    return r;
  }

  listTools(params: { cursor?: string } = {}, options?: CallOptions): Promise<{ tools: Tool[]; nextCursor?: string }> {
    return this.#cached('tools/list', params, options).then((r) => this.#learnTools(r));
  }

  /** Every tool, following `nextCursor` until the last page. */
  async listAllTools(options?: CallOptions): Promise<Tool[]> {
    return this.#all(
      (cursor) => this.listTools(cursor === undefined ? {} : { cursor }, options),
      (r) => r.tools,
    );
  }

  /**
   * Calls a tool. Input the server asks for (2026 `input_required`) is answered through the
   * handlers and the call retried; a task (Tasks extension) is waited for. Aborting the signal
   * while waiting for a task also cancels the task.
   */
  async callTool(
    params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> },
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    const start = await this.startToolCall(params, options);
    if (start.result) return start.result;
    const { task } = start;
    try {
      return (await this.waitForTask(task.taskId, { signal: options.signal, seed: task })) as unknown as CallToolResult;
    } catch (err) {
      if (options.signal?.aborted) this.cancelTask(task.taskId).catch(() => {});
      throw err;
    }
  }

  /**
   * Calls a tool like {@link callTool}, but when the server makes the call a task, resolves
   * with the task instead of waiting (then use waitForTask, getTask, updateTask, cancelTask).
   */
  async startToolCall(
    params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> },
    options: CallOptions = {},
  ): Promise<ToolCallStart> {
    const call = async (): Promise<ToolCallStart> => {
      const headers = this.#paramHeaders(params.name, params.arguments);
      const opts = headers ? { ...options, headers: { ...options.headers, ...headers } } : options;
      const { result, kind } = await this.#call('tools/call', params, opts);
      return kind === 'task'
        ? { task: result as unknown as CreateTaskResult }
        : { result: result as unknown as CallToolResult };
    };
    try {
      return await call();
    } catch (err) {
      // The spec: on HeaderMismatch, re-read the tools' schemas, then retry with the right headers.
      if (!(err instanceof McpError && err.code === ErrorCode.HEADER_MISMATCH && this.#sendsParamHeaders)) throw err;
      this.#cache?.invalidate('tools/list');
      await this.listAllTools({ signal: options.signal, timeoutMs: options.timeoutMs, cache: 'refresh' });
      return call();
    }
  }

  listResources(
    params: { cursor?: string } = {},
    options?: CallOptions,
  ): Promise<{ resources: Resource[]; nextCursor?: string }> {
    return this.#cached('resources/list', params, options) as never;
  }

  listResourceTemplates(
    params: { cursor?: string } = {},
    options?: CallOptions,
  ): Promise<{ resourceTemplates: ResourceTemplate[]; nextCursor?: string }> {
    return this.#cached('resources/templates/list', params, options) as never;
  }

  readResource(params: { uri: string }, options?: CallOptions): Promise<ReadResourceResult> {
    return this.#cached('resources/read', params, options) as never;
  }

  /** 2025 era only: in 2026, `listen({ resourceSubscriptions: [uri] })`. */
  subscribeResource(params: { uri: string }, options?: RequestOptions): Promise<Record<string, never>> {
    if (this.#era === 'modern') {
      return Promise.reject(notInEra('resources/subscribe', '2026', 'use listen({ resourceSubscriptions: [uri] })'));
    }
    return this.request('resources/subscribe', params, options);
  }

  /** 2025 era only: in 2026, close the listen subscription. */
  unsubscribeResource(params: { uri: string }, options?: RequestOptions): Promise<Record<string, never>> {
    if (this.#era === 'modern') {
      return Promise.reject(notInEra('resources/unsubscribe', '2026', 'close() the listen() subscription'));
    }
    return this.request('resources/unsubscribe', params, options);
  }

  listPrompts(
    params: { cursor?: string } = {},
    options?: CallOptions,
  ): Promise<{ prompts: Prompt[]; nextCursor?: string }> {
    return this.#cached('prompts/list', params, options) as never;
  }

  async getPrompt(
    params: { name: string; arguments?: Record<string, string> },
    options?: RequestOptions,
  ): Promise<GetPromptResult> {
    return (await this.#call('prompts/get', params, options)).result as never;
  }

  async complete(
    params: {
      ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
      argument: { name: string; value: string };
      context?: { arguments?: Record<string, string> };
    },
    options?: RequestOptions,
  ): Promise<CompleteResult> {
    return (await this.#call('completion/complete', params, options)).result as never;
  }

  /**
   * The lowest level of log messages the server should send. 2025 era: `logging/setLevel`.
   * 2026 era: a client-side setting carried in every later request's envelope (the server
   * sends no log messages for requests without it); resolves at once.
   */
  async setLoggingLevel(level: LoggingLevel, options?: RequestOptions): Promise<Record<string, never>> {
    checkLevel(level);
    if (this.#era !== 'modern') await this.request('logging/setLevel', { level }, options);
    this.#logLevel = level;
    return {};
  }

  /**
   * 2026 era: opens a `subscriptions/listen` stream and resolves once the server acknowledged
   * it, with the filter it honours in `subscription.filter`. Its notifications go to
   * `handlers` and to the client's onNotification handlers, and invalidate the cache.
   */
  listen(
    filter: SubscriptionFilter,
    handlers: ListenHandlers = {},
    options: SubscriptionOptions = {},
  ): Promise<Subscription> {
    try {
      this.#requireModern(
        'subscriptions/listen',
        'the server sends notifications on the session (onNotification, subscribeResource)',
      );
      checkFilter(filter);
    } catch (err) {
      return Promise.reject(err);
    }
    const transport = this.transport as Transport;
    return this.#listens.open(filter, handlers, options.timeoutMs ?? this.requestTimeoutMs, options, {
      transport,
      envelope: (params) => withEnvelope(params, this.#meta(this.#server?.protocolVersion as string)),
      notifyCancelled: (id, reason) =>
        this.notify('notifications/cancelled', { requestId: id, reason }).catch((err) => this.reportError(err)),
      report: (err) => this.reportError(err),
    });
  }

  // ---- Tasks extension ------------------------------------------------------------------

  /** `tasks/get`: the task's current state (an unknown taskId rejects with the server's -32602). */
  async getTask(taskId: string, options?: RequestOptions): Promise<DetailedTask> {
    this.#requireTasks(taskId);
    const r = await this.request('tasks/get', { taskId }, options);
    if (resultTypeOf('tasks/get', r, false) !== 'complete' || r.taskId !== taskId || typeof r.status !== 'string') {
      throw new ErlmcpError('ERR_INVALID_RESULT', `invalid answer to tasks/get: not the state of task ${taskId}`);
    }
    if (r.status === 'input_required') checkInputRequests('tasks/get', r.inputRequests ?? {});
    return r as unknown as DetailedTask;
  }

  /** `tasks/update`: answers some of an `input_required` task's input requests. */
  async updateTask(taskId: string, inputResponses: InputResponses, options?: RequestOptions): Promise<void> {
    this.#requireTasks(taskId);
    await this.request('tasks/update', { taskId, inputResponses }, options);
  }

  /** `tasks/cancel`: asks the server to cancel (cooperative: the task may still complete). */
  async cancelTask(taskId: string, options?: RequestOptions): Promise<void> {
    this.#requireTasks(taskId);
    await this.request('tasks/cancel', { taskId }, options);
  }

  /**
   * Polls a task until it ends and resolves with its result; answers its input requests
   * through the handlers. A failed task rejects with its JSON-RPC error (McpError), a
   * cancelled one with ERR_TASK_CANCELLED. Aborting `signal` stops waiting, not the task.
   */
  waitForTask(taskId: string, options: WaitForTaskOptions & { seed?: Task } = {}): Promise<Record<string, unknown>> {
    try {
      this.#requireTasks(taskId);
    } catch (err) {
      return Promise.reject(err);
    }
    const { signal } = options;
    return waitForTask(
      {
        getTask: (id) => this.getTask(id, { signal }),
        updateTask: (id, responses) => this.updateTask(id, responses, { signal }),
        fulfil: (requests, s) => fulfilInputs(requests, this.#handlers, s),
        watch: (id, wake) => this.onNotification('notifications/tasks', (p) => p.taskId === id && wake()),
      },
      taskId,
      options.seed,
      this.#tasks as PollBounds,
      options,
    );
  }

  // ---- internals --------------------------------------------------------------------------

  get #http(): boolean {
    return this.transport?.hasPerRequestStream === true;
  }

  get #sendsParamHeaders(): boolean {
    return this.#era === 'modern' && this.#http;
  }

  get #handlers(): InputHandlers {
    return { sampling: this.#sampling, elicitation: this.#elicitation, roots: this.#roots };
  }

  #capabilities(modern: boolean): ClientCapabilities {
    const extensions = modern
      ? { ...this.#options.extensions, ...(this.#tasks ? { [TASKS_EXTENSION]: {} } : {}) }
      : undefined;
    return clientCapabilities({
      declared: this.#options.capabilities,
      sampling: this.#sampling !== undefined,
      elicitation: this.#elicitation !== undefined,
      roots: this.#roots !== undefined,
      extensions,
    });
  }

  #meta(protocolVersion: string): Record<string, unknown> {
    return envelopeMeta({
      protocolVersion,
      clientCapabilities: this.#capabilities(true),
      clientInfo: this.info,
      logLevel: this.#logLevel,
    });
  }

  /** One `server/discover` probe, and what came of it. */
  async #probeOnce(version: string, options: RequestOptions): Promise<ProbeOutcome> {
    const timeoutMs = this.#options.probeTimeoutMs ?? options.timeoutMs ?? this.requestTimeoutMs;
    // Our own timer, so that our timeout cannot be mistaken for a server's -32001.
    const expired = new Error('probe timeout');
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(expired), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timer.signal]) : timer.signal;
    this.#probe = { status: undefined };
    try {
      const params = withEnvelope(undefined, this.#meta(version));
      const result = await super.request('server/discover', params, { signal, timeoutMs: Number.POSITIVE_INFINITY });
      return { kind: 'result', result };
    } catch (err) {
      if (err === expired) return { kind: 'timeout', timeoutMs };
      if (options.signal?.aborted) throw err;
      if (this.closed) return { kind: 'closed' };
      if (err instanceof McpError) return { kind: 'error', error: err, httpStatus: this.#probe.status };
      return probeFailure(err);
    } finally {
      clearTimeout(t);
      this.#probe = undefined;
    }
  }

  #adopt({ version, discover }: Modern): ConnectResult {
    this.#era = 'modern';
    this.transport?.setProtocolVersion?.(version);
    this.#cache?.set('server/discover', '', discover as unknown as Record<string, unknown>, 0);
    return connectResultOf(version, discover);
  }

  async #initialize(options: RequestOptions): Promise<ConnectResult> {
    const result = await this.request<InitializeResult>(
      'initialize',
      {
        protocolVersion: this.#options.protocolVersion ?? LATEST_PROTOCOL_VERSION,
        capabilities: this.#capabilities(false),
        clientInfo: this.info,
      },
      options,
    );
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(result.protocolVersion)) {
      throw new ErlmcpError(
        'ERR_TRANSPORT',
        `server answered unsupported protocol version ${String(result.protocolVersion)}`,
      );
    }
    this.#era = 'legacy';
    this.transport?.setProtocolVersion?.(result.protocolVersion);
    await this.notify('notifications/initialized');
    return { ...result, era: 'legacy' };
  }

  /**
   * One call with `input_required` rounds: each round's input requests are answered through
   * the handlers, then the same method and params go again (a new id) with `inputResponses`
   * and the exact `requestState` the server sent, if it sent one.
   */
  async #call(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: RequestOptions,
  ): Promise<{ result: Record<string, unknown>; kind: ResultType; rounds: number }> {
    const tasks = this.#era === 'modern' && this.#tasks !== undefined;
    let result = await this.request(method, params, options);
    for (let rounds = 0; ; rounds++) {
      const kind = resultTypeOf(method, result, tasks);
      if (kind !== 'input_required') return { result, kind, rounds };
      if (rounds === this.#maxRounds) {
        throw new ErlmcpError(
          'ERR_INPUT_ROUNDS_EXCEEDED',
          `${method} still required input after ${this.#maxRounds} rounds (maxInputRounds)`,
        );
      }
      const ir = result as unknown as InputRequiredResult;
      const retry: Record<string, unknown> = { ...params };
      if (ir.inputRequests !== undefined)
        retry.inputResponses = await fulfilInputs(ir.inputRequests, this.#handlers, options?.signal);
      if (ir.requestState !== undefined) retry.requestState = ir.requestState;
      result = await this.request(method, retry, options);
    }
  }

  /** A call through the response cache (see {@link CallOptions.cache}). */
  async #cached(
    method: string,
    params: Record<string, unknown> | undefined,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const cache = CACHEABLE_METHODS.has(method) ? this.#cache : undefined;
    const mode = options.cache ?? 'use';
    const key = cacheKeyOf(method, params);
    if (cache && mode === 'use') {
      const hit = cache.get(method, key);
      if (hit) return hit;
    }
    const generation = cache?.generation(method) ?? 0;
    const { result, rounds } = await this.#call(method, params, options);
    // The spec: results that took input (MRTR retries) depend on more than the key: never cached.
    if (cache && mode !== 'bypass' && rounds === 0) cache.set(method, key, result, generation);
    return result;
  }

  #learnTools(r: Record<string, unknown>): { tools: Tool[]; nextCursor?: string } {
    const page = Array.isArray(r.tools) ? (r.tools as Tool[]) : [];
    const { tools, rejected } = this.#toolHeaders.learn(page, this.#sendsParamHeaders);
    for (const { name, reason } of rejected) this.#warn(`tools/list: dropped tool "${name}": ${reason}`);
    return { ...r, tools } as { tools: Tool[]; nextCursor?: string };
  }

  #paramHeaders(name: string, args: Record<string, unknown> | undefined): Record<string, string> | undefined {
    return this.#sendsParamHeaders ? this.#toolHeaders.headersFor(name, args) : undefined;
  }

  #warn(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    if (this.#options.onwarning) this.#options.onwarning(message);
    else process.emitWarning(message, { type: 'McpClientWarning' });
  }

  #requireModern(what: string, instead: string): void {
    if (this.#era === undefined || this.closed) {
      throw new ErlmcpError('ERR_NOT_CONNECTED', 'not connected: the transport is closed or was never attached');
    }
    if (this.#era !== 'modern') throw notInEra(what, '2025', instead);
  }

  #requireTasks(taskId: unknown): void {
    if (!this.#tasks) {
      throw new ErlmcpError('ERR_CAPABILITY', 'the Tasks extension is off: new McpClient(info, { tasks: true })');
    }
    this.#requireModern('the Tasks extension', 'tasks need the 2026 era (versionNegotiation)');
    if (typeof taskId !== 'string' || taskId.length === 0) throw invalidArg('taskId must be a non-empty string');
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

  protected override cancelsByStream(request: JsonRpcRequest): boolean {
    return modernVersionOf(request) !== undefined;
  }

  protected override receive(message: unknown, extra?: MessageExtra): void {
    if (this.#probe && typeof message === 'object' && message !== null && !('method' in message)) {
      this.#probe.status = extra?.httpStatus;
    }
    if (this.#listens.route(message) === 'consumed') return;
    super.receive(message, extra);
  }

  /** Closes the connection; open subscriptions end as `closed`. */
  override async close(): Promise<void> {
    this.#listens.endAll({ reason: 'closed' });
    await super.close();
  }

  protected override handleClose(): void {
    this.#listens.endAll({ reason: 'ended', error: new McpError(ErrorCode.CONNECTION_CLOSED, 'Connection closed') });
    super.handleClose();
  }

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
    this.#cache?.onNotification(n.method, n.params);
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
