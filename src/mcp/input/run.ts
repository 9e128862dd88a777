/**
 * Runs a handler that may need input from the client (tools/call, prompts/get and
 * resources/read, the three methods MRTR allows), in the form its era needs:
 *
 * - 2026 request: one {@link InputRound} per request. Answers come from the sealed
 *   `requestState` and the retry's `inputResponses`; if the handler asked for anything still
 *   unanswered, or returned `ctx.inputRequired(...)`, the request is answered
 *   `input_required` with everything asked and fresh sealed state.
 * - 2025 session: `await ctx.elicit(...)` is already a real request; a handler returning
 *   `ctx.inputRequired(...)` gets its requests sent to the client for real, and runs again
 *   with the answers, for at most `maxRounds` rounds.
 *
 * Both stay synchronous when the handler is: most calls ask for nothing, and an extra
 * promise per request is measurable on the hot path.
 */

import { ErrorCode, McpError } from '../jsonrpc.js';
import type { ServerContext } from '../server-context.js';
import type { InputRequest, InputRequests, InputRequiredResult } from '../types.js';
import { InputRequired } from './input-required.js';
import { bindingOf, type RequestStateCodec } from './request-state.js';
import { checkedAnswer, inputResponsesOf } from './responses.js';
import { InputRound } from './round.js';

/** What the loop needs from the server. */
export interface InputHost {
  readonly codec: RequestStateCodec;
  /** Rounds of explicit input a 2025-session handler may take. */
  readonly maxRounds: number;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function isPromise(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * Keys answered in earlier rounds are carried; of a retry's answers only the keys that were
 * asked are kept, each checked against the result shape of what was asked (-32602 naming the
 * key), so a handler reading `ctx.inputResponses` directly gets checked answers too.
 */
function mergeAnswers(
  carried: Record<string, unknown>,
  asked: Readonly<Record<string, string>> | undefined,
  given: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (given === undefined) return carried;
  const out: Record<string, unknown> = { ...carried };
  if (asked === undefined) {
    for (const [k, v] of Object.entries(given)) out[k] = v;
    return out;
  }
  for (const [k, method] of Object.entries(asked)) {
    if (!Object.hasOwn(given, k)) continue;
    out[k] = checkedAnswer(k, { method: method as InputRequest['method'], params: {} }, given[k]);
  }
  return out;
}

/** One 2026 run: the round, and how it ends. */
class StatelessRun {
  readonly round: InputRound;
  readonly #host: InputHost;
  readonly #ctx: ServerContext;
  readonly #params: Record<string, unknown>;
  /** True when the retry carried sealed state: then every answer in the round was asked for. */
  readonly #sealed: boolean;
  #binding: string | undefined;

  constructor(host: InputHost, ctx: ServerContext, params: Record<string, unknown>) {
    this.#host = host;
    this.#ctx = ctx;
    this.#params = params;
    const given = inputResponsesOf(params);
    let answers: Record<string, unknown> = given ?? (EMPTY as Record<string, unknown>);
    let state: unknown;
    this.#sealed = params.requestState !== undefined;
    if (this.#sealed) {
      const opened = host.codec.open(params.requestState, this.#bindingOf());
      answers = mergeAnswers(opened.answers, opened.asked, given);
      state = opened.state;
    }
    this.round = new InputRound(answers, state);
    ctx.input = this.round;
    if (answers !== EMPTY) ctx.beginRun(answers, state);
  }

  done(out: unknown): unknown {
    if (out instanceof InputRequired) return this.#inputRequired(out);
    return this.round.pending ? this.#inputRequired(undefined) : out;
  }

  failed(err: unknown): unknown {
    if (this.round.pending) return this.#inputRequired(undefined);
    throw err;
  }

  /**
   * Seals what the next round needs. Answers carried: all of them when this round opened sealed
   * state (each answers something the server asked), else only those the handler took, so
   * answers to questions nobody asked are not carried from round to round. State too large
   * because of the client's answers is the client's error (-32602, not a fault that counts
   * against the breaker); because of the handler's own state, the server's (-32603).
   */
  #seal(state: unknown, inputRequests: InputRequests): string {
    const round = this.round;
    let answers = round.answers as Record<string, unknown>;
    if (!this.#sealed) {
      answers = {};
      for (const key of round.used) answers[key] = round.answers[key];
    }
    const asked = Object.fromEntries(Object.entries(inputRequests).map(([k, r]) => [k, r.method]));
    try {
      return this.#host.codec.seal({ answers, state, asked }, this.#bindingOf());
    } catch (err) {
      if (!(err instanceof McpError) || Object.keys(answers).length === 0) throw err;
      const own = JSON.stringify(state ?? null).length;
      if (own * 2 > this.#host.codec.maxBytes) throw err;
      throw new McpError(
        ErrorCode.INVALID_PARAMS,
        `Invalid params: the answers given (inputResponses) are too large to carry to the next round (requestState limit ${this.#host.codec.maxBytes} bytes)`,
      );
    }
  }

  /** Computed only when state is opened or sealed: most requests ask for nothing. */
  #bindingOf(): string {
    this.#binding ??= bindingOf(this.#ctx.method, this.#params, this.#ctx.principal);
    return this.#binding;
  }

  #inputRequired(explicit: InputRequired | undefined): InputRequiredResult {
    const round = this.round;
    const inputRequests: InputRequests = explicit ? { ...round.asked, ...explicit.inputRequests } : round.asked;
    const state = explicit ? explicit.state : round.state;
    const requestState = this.#seal(state, inputRequests);
    const result: InputRequiredResult = { resultType: 'input_required', requestState };
    if (Object.keys(inputRequests).length > 0) result.inputRequests = inputRequests;
    return result;
  }
}

function runStateless(
  host: InputHost,
  ctx: ServerContext,
  params: Record<string, unknown>,
  run: () => unknown,
): unknown {
  const r = new StatelessRun(host, ctx, params);
  let out: unknown;
  try {
    out = run();
  } catch (err) {
    return r.failed(err);
  }
  if (isPromise(out)) {
    return out.then(
      (v) => r.done(v),
      (err) => r.failed(err),
    );
  }
  return r.done(out);
}

/** 2025 session: explicit input requests are sent to the client for real, then the handler runs again. */
async function fulfil(host: InputHost, ctx: ServerContext, run: () => unknown, first: InputRequired): Promise<unknown> {
  let out: unknown = first;
  let answers: Record<string, unknown> = {};
  for (let rounds = 0; out instanceof InputRequired; rounds++) {
    if (rounds >= host.maxRounds) {
      throw new McpError(ErrorCode.INTERNAL_ERROR, `the handler still needs input after ${host.maxRounds} rounds`);
    }
    const entries = Object.entries(out.inputRequests);
    const got = await Promise.all(
      entries.map(async ([key, r]) => checkedAnswer(key, r, await ctx.input.ask(key, r, ctx))),
    );
    answers = { ...answers };
    entries.forEach(([key], i) => {
      answers[key] = got[i];
    });
    ctx.beginRun(answers, out.state);
    out = await run();
  }
  return out;
}

/**
 * Runs `run` where input is answered while the handler waits (a 2025 session, a task):
 * explicit `inputRequired` results are fulfilled through ctx.input and the handler runs again.
 */
export function runDirect(host: InputHost, ctx: ServerContext, run: () => unknown): unknown {
  const out = run();
  if (out instanceof InputRequired) return fulfil(host, ctx, run, out);
  if (isPromise(out)) return out.then((v) => (v instanceof InputRequired ? fulfil(host, ctx, run, v) : v));
  return out;
}

/**
 * Runs a handler of tools/call, prompts/get or resources/read with the client's input, in
 * its era's form. Returns the result, or a promise of it.
 */
export function runWithInput(
  host: InputHost,
  ctx: ServerContext,
  params: Record<string, unknown>,
  run: () => unknown,
): unknown {
  return ctx.mrtr ? runStateless(host, ctx, params, run) : runDirect(host, ctx, run);
}
