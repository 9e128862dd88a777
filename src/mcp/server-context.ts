import type { Principal } from '../auth/types.js';
import { ErlmcpError } from '../core/errors.js';
import type { RequestSpan } from '../ops/tracing.js';
import type { MessageExtra } from '../transports/transport.js';
import { RequestContext } from './context.js';
import type { InputChannel } from './input/channel.js';
import { InputRequired } from './input/input-required.js';
import { checkedAnswer } from './input/responses.js';
import { ErrorCode, McpError, type RequestId } from './jsonrpc.js';
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROTOCOL_VERSION } from './meta-keys.js';
import type { RequestOptions } from './peer.js';
import type { ServerSession } from './session.js';
import { TaskHandoff, type TaskWork } from './tasks/support.js';
import type {
  CallToolResult,
  ClientCapabilities,
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  Implementation,
  InputRequest,
  InputRequests,
  LoggingLevel,
  Root,
} from './types.js';
import { LOGGING_LEVELS } from './types.js';

/** Options of one input request (`ctx.sample`, `ctx.elicit`, `ctx.listRoots`). */
export interface InputOptions extends RequestOptions {
  /**
   * The key naming this request in a 2026 `input_required` result and in the client's
   * `inputResponses` (default: `elicitation-1`, `sampling-1`, `roots-1`, ... counting this
   * handler's requests of each kind). Give stable keys when the order of requests can vary.
   */
  key?: string;
}

const EMPTY_CAPS: ClientCapabilities = Object.freeze({}) as ClientCapabilities;
const NO_NOTIFY = (): Promise<void> => Promise.resolve();
const NO_ANSWERS: Readonly<Record<string, unknown>> = Object.freeze({});

type Capability = 'sampling' | 'elicitation' | 'roots';
const KIND: Record<Capability, string> = { sampling: 'sampling', elicitation: 'elicitation', roots: 'roots' };

/**
 * The context of a request handled by an McpServer, the same for both protocol eras: who the
 * client is (protocol version, capabilities, identity), request-scoped progress and logging,
 * and the client's input (sampling, elicitation, roots). In a 2025 session these come from
 * the session and input requests are real server -> client requests; in the 2026 era they come
 * from the request's `_meta` envelope and input travels as multi round-trip results. Handlers
 * never need to ask which era it is.
 *
 * Everything sent through it is tagged with this request, so over Streamable HTTP it travels
 * on the request's own stream — and can only ever reach this request's client.
 */
export class ServerContext extends RequestContext {
  /** The connection (or, for stateless HTTP, the per-client channel) the request came in on. */
  readonly session: ServerSession;
  /** @internal The request's trace span, when the server has a tracer. */
  span: RequestSpan | undefined = undefined;
  /** @internal Where input requests go; set per era (and per round) by the server. */
  input: InputChannel;
  /**
   * @internal True when input requests are answered in a later round (a 2026 request: MRTR);
   * false when they are answered while the handler waits (a 2025 session, a task).
   */
  mrtr: boolean;
  /** @internal Set by tools/call for a tool with task support: may the call become a task? */
  taskScope: { readonly allowed: boolean } | undefined = undefined;
  /** @internal Exempt from the request deadline (subscriptions/listen). */
  longLived = false;
  /** @internal The admission slot was given back before the request settled (long-lived requests). */
  admissionReleased = false;
  /** A 2026 request: who the client is comes from `meta` (checked by the session's admit). */
  readonly #stateless: boolean;
  #taskProgress: ((progress: number, total: number | undefined, message: string | undefined) => void) | undefined;
  #answers: Readonly<Record<string, unknown>> = NO_ANSWERS;
  #state: unknown;
  /** Input requests asked per kind in this run (default keys); allocated by the first ask. */
  #asks: Record<Capability, number> | undefined;

  constructor(
    session: ServerSession,
    requestId: RequestId,
    method: string,
    params: Record<string, unknown> | undefined,
    extra: MessageExtra | undefined,
    notify: (method: string, params: Record<string, unknown>, related: RequestId) => Promise<void>,
    stateless: boolean,
    input: InputChannel,
  ) {
    super(requestId, method, params, extra, notify);
    this.session = session;
    this.#stateless = stateless;
    this.input = input;
    this.mrtr = stateless;
  }

  /**
   * @internal The context a task's handler runs with: same client and capabilities, no
   * request stream (progress and log messages are not sent for tasks), input through the task.
   */
  forTask(
    taskId: string,
    input: InputChannel,
    onProgress: (progress: number, total: number | undefined, message: string | undefined) => void,
  ): ServerContext {
    const ctx = new ServerContext(
      this.session,
      `task:${taskId}`,
      this.method,
      this.meta === undefined ? undefined : { _meta: this.meta },
      this.extra,
      NO_NOTIFY,
      this.#stateless,
      input,
    );
    ctx.mrtr = false;
    ctx.#taskProgress = onProgress;
    return ctx;
  }

  /**
   * Reports progress (`notifications/progress`) when the client asked for it. Inside a task,
   * where notifications are not sent, progress becomes the task's `statusMessage` instead
   * (`message`, or "`progress` of `total`").
   */
  override progress(progress: number, total?: number, message?: string): Promise<void> {
    const task = this.#taskProgress;
    if (task === undefined) return super.progress(progress, total, message);
    if (!this.aborted) task(progress, total, message);
    return Promise.resolve();
  }

  /**
   * The authenticated caller's key ({@link Principal.key}), when the transport verified one;
   * undefined for anonymous clients. Tasks and requestState are bound to it.
   */
  get principal(): string | undefined {
    return this.extra?.principal;
  }

  /**
   * Who is calling, when `auth` is on: subject, client id, scopes and every claim of the
   * verified token. Undefined for anonymous clients (no auth configured, stdio).
   */
  get auth(): Principal | undefined {
    return this.extra?.authInfo;
  }

  /** True for a 2026-era (stateless) request; false in a 2025 session. */
  get stateless(): boolean {
    return this.#stateless;
  }

  /** The protocol version of this request: the envelope's (2026) or the session's (2025). */
  get protocolVersion(): string | undefined {
    return this.#stateless ? (this.meta?.[META_PROTOCOL_VERSION] as string) : this.session.protocolVersion;
  }

  /** The capabilities the client declared for this request (2026) or at initialize (2025). */
  get clientCapabilities(): ClientCapabilities {
    return this.#stateless
      ? (this.meta?.[META_CLIENT_CAPABILITIES] as ClientCapabilities)
      : (this.session.clientCapabilities ?? EMPTY_CAPS);
  }

  /** The client's name and version, when it told. */
  get clientInfo(): Implementation | undefined {
    return this.#stateless ? (this.meta?.[META_CLIENT_INFO] as Implementation | undefined) : this.session.clientInfo;
  }

  /** The JSON-RPC id the client gave this request (the subscription id of a `subscriptions/listen`). */
  get clientRequestId(): RequestId {
    return this.extra?.wireId ?? this.requestId;
  }

  /**
   * Answers the client has given to this handler's input requests so far (an MRTR retry's
   * `inputResponses` plus earlier rounds', or the responses to an explicit
   * {@link inputRequired} in a 2025 session). Empty on a first run.
   */
  get inputResponses(): Readonly<Record<string, unknown>> {
    return this.#answers;
  }

  /** The state the handler passed to {@link inputRequired} in the previous round, if any. */
  get requestState(): unknown {
    return this.#state;
  }

  /** @internal Set by the input loop before each run of the handler. */
  beginRun(answers: Readonly<Record<string, unknown>>, state: unknown): void {
    this.#answers = answers;
    this.#state = state;
    this.#asks = undefined;
  }

  /**
   * Sends a log message (`notifications/message`) tied to this request. In a 2025 session it is
   * sent if its level is at or above the one the client set with `logging/setLevel` (all levels
   * until it does); a 2026 request gets messages only at or above the `logLevel` its envelope
   * names, and none when it names none.
   */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    if (!this.#stateless) return this.session.sendLog(level, data, logger, this.requestId);
    const threshold = this.meta?.[META_LOG_LEVEL] as LoggingLevel | undefined;
    if (threshold === undefined || this.settled) return Promise.resolve();
    if (LOGGING_LEVELS.indexOf(level) < LOGGING_LEVELS.indexOf(threshold)) return Promise.resolve();
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params.logger = logger;
    return this.sendNotification('notifications/message', params);
  }

  /**
   * Asks the client's LLM for a completion (`sampling/createMessage`). Needs the client's
   * `sampling` capability: without it a 2026 request fails with -32021 (naming the capability)
   * and a 2025 session with ERR_CAPABILITY.
   */
  async sample(params: CreateMessageParams, options: InputOptions = {}): Promise<CreateMessageResult> {
    return (await this.#ask('sampling', 'sampling/createMessage', params, options)) as CreateMessageResult;
  }

  /** Asks the user for input through the client (`elicitation/create`); needs `elicitation` (see {@link sample}). */
  async elicit(params: ElicitParams, options: InputOptions = {}): Promise<ElicitResult> {
    const p = params.mode === undefined ? { mode: 'form', ...params } : params;
    return (await this.#ask('elicitation', 'elicitation/create', p, options)) as ElicitResult;
  }

  /** The client's roots (`roots/list`); needs `roots` (see {@link sample}). */
  async listRoots(options: InputOptions = {}): Promise<Root[]> {
    const r = (await this.#ask('roots', 'roots/list', {}, options)) as { roots: Root[] };
    return r.roots;
  }

  /**
   * The value to return when the handler needs input before it can answer: input requests by
   * key and, optionally, state of its own. The handler runs again with the answers in
   * {@link inputResponses} and the state in {@link requestState} (in a 2026 request after the
   * client's retry; in a 2025 session once the server's requests to the client are answered).
   */
  inputRequired(spec: { inputRequests?: InputRequests; state?: unknown }): InputRequired {
    const requests = spec.inputRequests ?? {};
    for (const [key, r] of Object.entries(requests)) this.#requireFor(r, key);
    return new InputRequired(requests, spec.state);
  }

  /**
   * Hands the rest of a `tools/call` to a task (Tasks extension), for tools declaring
   * `task: { support, start: 'handler' }`: when the client declared the extension, the call is
   * answered with a task and `work` runs in it (with a context whose signal is the task's
   * cancellation); otherwise `work` runs now and its result is the answer. Gather input with
   * `ctx.elicit(...)` before calling it and that input is asked synchronously (MRTR) first.
   */
  runAsTask(work: TaskWork): TaskHandoff | CallToolResult | Promise<CallToolResult> {
    const scope = this.taskScope;
    if (scope === undefined) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        'ctx.runAsTask is for tools/call handlers of tools declaring task support ({ task: { support, start: "handler" } })',
      );
    }
    return scope.allowed ? new TaskHandoff(work) : work(this);
  }

  /** Builds one input request (for {@link inputRequired}). */
  static inputRequest(method: InputRequest['method'], params: Record<string, unknown> = {}): InputRequest {
    return { method, params };
  }

  async #ask(cap: Capability, method: InputRequest['method'], params: object, options: InputOptions): Promise<unknown> {
    this.#require(cap);
    this.#asks ??= { sampling: 0, elicitation: 0, roots: 0 };
    const asks = this.#asks;
    const key = options.key ?? `${KIND[cap]}-${++asks[cap]}`;
    const request: InputRequest = { method, params: params as Record<string, unknown> };
    const answer = await this.input.ask(key, request, this, options);
    return checkedAnswer(key, request, answer);
  }

  #requireFor(r: InputRequest, key: string): void {
    const cap: Capability | undefined =
      r?.method === 'sampling/createMessage'
        ? 'sampling'
        : r?.method === 'elicitation/create'
          ? 'elicitation'
          : r?.method === 'roots/list'
            ? 'roots'
            : undefined;
    if (cap === undefined) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `input request ${JSON.stringify(key)} must be elicitation/create, sampling/createMessage or roots/list`,
      );
    }
    this.#require(cap);
  }

  #require(capability: Capability): void {
    if (this.clientCapabilities[capability]) return;
    if (this.#stateless) {
      throw new McpError(
        ErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
        `Missing required client capability: ${capability}`,
        { requiredCapabilities: { [capability]: {} } },
      );
    }
    throw new ErlmcpError('ERR_CAPABILITY', `the client did not declare the "${capability}" capability`);
  }
}
