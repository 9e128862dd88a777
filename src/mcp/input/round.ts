import type { InputRequests } from '../types.js';
import { type InputChannel, InputPending } from './channel.js';

const noop = (): void => {};
const EMPTY_SET: ReadonlySet<string> = new Set();

/**
 * One round of a 2026 multi round-trip request (SEP-2322). It holds every answer the client has
 * given so far (from the sealed requestState plus this retry's inputResponses); a handler
 * asking for one of them gets it at once, a handler asking for anything else records the
 * request and is unwound with {@link InputPending}, and the request is answered
 * `input_required` listing everything asked in this run. Handlers written as `await
 * ctx.elicit(...)` thus replay from the top each round, finding earlier answers in place.
 */
export class InputRound implements InputChannel {
  /** Answers by key, earlier rounds' and this one's. */
  readonly answers: Readonly<Record<string, unknown>>;
  /** The handler's own state from the previous round (`ctx.inputRequired({ state })`). */
  readonly state: unknown;
  #asked: InputRequests | undefined;
  #used: Set<string> | undefined;
  #pending = 0;

  constructor(answers: Record<string, unknown>, state: unknown) {
    this.answers = answers;
    this.state = state;
  }

  /** Requests asked in this run that have no answer yet. */
  get asked(): InputRequests {
    this.#asked ??= {};
    return this.#asked;
  }

  /** True when the handler asked for something the client has not answered yet. */
  get pending(): boolean {
    return this.#pending > 0;
  }

  /** Keys whose answers the handler took in this run. */
  get used(): ReadonlySet<string> {
    return this.#used ?? EMPTY_SET;
  }

  ask(key: string, request: InputRequests[string], _ctx?: unknown): Promise<unknown> {
    if (Object.hasOwn(this.answers, key)) {
      this.#used ??= new Set();
      this.#used.add(key);
      return Promise.resolve(this.answers[key]);
    }
    const asked = this.asked;
    if (!Object.hasOwn(asked, key)) this.#pending++;
    asked[key] = request;
    const unwind = Promise.reject(new InputPending(key));
    // Handled here so that a handler that never awaits it cannot crash the process; one that
    // awaits it still throws.
    unwind.catch(noop);
    return unwind;
  }
}
