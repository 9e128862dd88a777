/**
 * Answering a server's input requests with the handlers the client already has. In the 2025
 * era they arrive as server -> client requests; in 2026 they come inside results (MRTR,
 * `input_required`) and inside `input_required` tasks, and this file answers those.
 */
import { ErlmcpError } from '../../core/errors.js';
import { RequestContext } from '../context.js';
import type {
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  InputRequests,
  InputResponses,
  Root,
} from '../types.js';

export type SamplingHandler = (
  params: CreateMessageParams,
  ctx: RequestContext,
) => CreateMessageResult | Promise<CreateMessageResult>;
export type ElicitationHandler = (params: ElicitParams, ctx: RequestContext) => ElicitResult | Promise<ElicitResult>;

/** The client's answers to input, as set with onSampling, onElicitation and setRoots. */
export interface InputHandlers {
  sampling: SamplingHandler | undefined;
  elicitation: ElicitationHandler | undefined;
  roots: Root[] | undefined;
}

const NO_NOTIFY = (): Promise<void> => Promise.resolve();

/**
 * Answers every input request, concurrently (they are independent), keyed as the server
 * keyed them. A request the client has no handler for fails the whole set with
 * ERR_INPUT_UNSUPPORTED: the server may only ask for what the client declared, so this is
 * the server's fault or a handler removed mid-flight, and guessing an answer would be worse.
 * The first failure aborts the other handlers' `ctx.signal`; so does `signal` (the originating
 * call was cancelled), which also rejects at once with its reason.
 */
export async function fulfilInputs(
  requests: InputRequests,
  handlers: InputHandlers,
  signal: AbortSignal | undefined,
): Promise<InputResponses> {
  if (signal?.aborted) throw signal.reason;
  const contexts: RequestContext[] = [];
  const abortAll = (reason: unknown): void => {
    for (const ctx of contexts) ctx.abort(reason);
  };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      abortAll(signal?.reason);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const answers = Object.entries(requests).map(async ([key, req]) => {
    const params = (req.params ?? {}) as Record<string, unknown>;
    const ctx = new RequestContext(key, req.method, params, undefined, NO_NOTIFY);
    contexts.push(ctx);
    return [key, await answer(key, req.method, params, ctx, handlers)] as const;
  });
  try {
    return Object.fromEntries(await Promise.race([Promise.all(answers), aborted]));
  } catch (err) {
    abortAll(err);
    throw err;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function answer(
  key: string,
  method: string,
  params: Record<string, unknown>,
  ctx: RequestContext,
  handlers: InputHandlers,
): unknown {
  switch (method) {
    case 'sampling/createMessage':
      if (handlers.sampling) return handlers.sampling(params as unknown as CreateMessageParams, ctx);
      throw missing(key, method, 'onSampling');
    case 'elicitation/create':
      if (handlers.elicitation) return handlers.elicitation(params as unknown as ElicitParams, ctx);
      throw missing(key, method, 'onElicitation');
    case 'roots/list':
      if (handlers.roots) return { roots: handlers.roots };
      throw missing(key, method, 'setRoots');
    default:
      throw new ErlmcpError(
        'ERR_INPUT_UNSUPPORTED',
        `the server asked for input "${key}" with unknown method ${method}`,
      );
  }
}

function missing(key: string, method: string, setter: string): ErlmcpError {
  return new ErlmcpError(
    'ERR_INPUT_UNSUPPORTED',
    `the server asked for input "${key}" (${method}) but the client has no handler for it: call ${setter}() before connecting`,
  );
}
