import { ErlmcpError } from '../../core/errors.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import type { RequestOptions } from '../peer.js';
import type { ServerContext } from '../server-context.js';
import type { InputRequest } from '../types.js';

/**
 * Where a handler's input requests (sampling, elicitation, roots) go. One interface, one
 * implementation per way of asking: real server -> client requests in a 2025 session, an MRTR
 * round in the 2026 era, a parked task inside a task. Handlers never see which.
 */
export interface InputChannel {
  /** The client's answer to `request` (validated by the caller), or a rejection. */
  ask(key: string, request: InputRequest, ctx: ServerContext, options?: RequestOptions): Promise<unknown>;
}

/**
 * 2025 sessions: a real server -> client request, tied to the request being handled (it
 * travels on that request's stream and is abandoned when that request is cancelled).
 */
export const SESSION_INPUT: InputChannel = {
  ask(_key, request, ctx, options = {}): Promise<unknown> {
    const { key: _unused, ...rest } = options as RequestOptions & { key?: string };
    return ctx.session.request(request.method, request.params, {
      signal: ctx.signal,
      ...rest,
      relatedRequestId: ctx.requestId,
    });
  },
};

/**
 * Thrown into a handler whose input request will be answered in a later round (2026 MRTR):
 * the request is answered `input_required` and the handler runs again with the answer. Let it
 * propagate; a handler that catches it anyway still gets the input_required answer.
 */
export class InputPending extends ErlmcpError {
  constructor(key: string) {
    super('ERR_INPUT_PENDING', `input request ${JSON.stringify(key)} is answered in the next round (MRTR)`);
    this.name = 'InputPending';
  }
}

/** For methods that may not ask for input (only tools/call, prompts/get and resources/read may). */
export const NO_INPUT: InputChannel = {
  ask(): Promise<unknown> {
    return Promise.reject(
      new McpError(
        ErrorCode.INTERNAL_ERROR,
        'input requests (sampling, elicitation, roots) are allowed only in tools/call, prompts/get and resources/read',
      ),
    );
  },
};
