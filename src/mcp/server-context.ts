import { ErlmcpError } from '../core/errors.js';
import type { RequestSpan } from '../ops/tracing.js';
import type { MessageExtra } from '../transports/transport.js';
import { RequestContext } from './context.js';
import type { RequestId } from './jsonrpc.js';
import type { RequestOptions } from './peer.js';
import type { ServerSession } from './session.js';
import type {
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  LoggingLevel,
  Root,
} from './types.js';

/**
 * The context of a request handled by an McpServer: the base {@link RequestContext} plus the
 * session it came from and the server -> client calls the MCP spec allows while handling it.
 * Everything sent through it is tagged with this request, so over Streamable HTTP it travels
 * on the request's own stream — and can only ever reach this session's client.
 */
export class ServerContext extends RequestContext {
  readonly session: ServerSession;
  /** @internal The request's trace span, when the server has a tracer. */
  span: RequestSpan | undefined = undefined;

  constructor(
    session: ServerSession,
    requestId: RequestId,
    method: string,
    params: Record<string, unknown> | undefined,
    extra: MessageExtra | undefined,
    notify: (method: string, params: Record<string, unknown>, related: RequestId) => Promise<void>,
  ) {
    super(requestId, method, params, extra, notify);
    this.session = session;
  }

  /**
   * Sends a log message (`notifications/message`) to this session's client, if its level is
   * at or above the level the client set with `logging/setLevel` (all levels until it does).
   */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    return this.session.sendLog(level, data, logger, this.requestId);
  }

  /** Asks the client's LLM for a completion (`sampling/createMessage`); ERR_CAPABILITY if the client lacks `sampling`. */
  sample(params: CreateMessageParams, options: RequestOptions = {}): Promise<CreateMessageResult> {
    this.#require('sampling');
    return this.session.request('sampling/createMessage', params, this.#related(options));
  }

  /** Asks the user for input through the client (`elicitation/create`); ERR_CAPABILITY without `elicitation`. */
  elicit(params: ElicitParams, options: RequestOptions = {}): Promise<ElicitResult> {
    this.#require('elicitation');
    return this.session.request('elicitation/create', params, this.#related(options));
  }

  /** The client's roots (`roots/list`); ERR_CAPABILITY without `roots`. */
  async listRoots(options: RequestOptions = {}): Promise<Root[]> {
    this.#require('roots');
    const r = await this.session.request<{ roots: Root[] }>('roots/list', {}, this.#related(options));
    return r.roots;
  }

  #related(options: RequestOptions): RequestOptions {
    // Tie the outgoing request to this one: it is abandoned when this request is cancelled.
    return { signal: this.signal, ...options, relatedRequestId: this.requestId };
  }

  #require(capability: 'sampling' | 'elicitation' | 'roots'): void {
    if (!this.session.clientCapabilities?.[capability]) {
      throw new ErlmcpError('ERR_CAPABILITY', `the client did not declare the "${capability}" capability`);
    }
  }
}
