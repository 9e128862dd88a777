import type { InputChannel } from '../input/channel.js';
import { answerProblem } from '../input/responses.js';
import type { InputRequest, InputRequests, InputResponses } from '../types.js';

interface Waiter {
  readonly request: InputRequest;
  readonly resolve: (answer: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Input requests of a handler running inside a task: the task parks as `input_required`
 * listing what is outstanding, `tasks/update` delivers answers (any subset, in any order), and
 * each answered request resumes the handler; once nothing is outstanding the task is
 * `working` again. Keys are unique over the task's life: a key answered once is answered
 * from memory if asked again, never asked twice.
 */
export class TaskInput implements InputChannel {
  readonly #answers = new Map<string, unknown>();
  readonly #waiting = new Map<string, Waiter[]>();
  readonly #park: (outstanding: InputRequests | undefined) => void;
  #closed: unknown;

  /** `park` is told every change of what is outstanding (undefined: nothing, back to working). */
  constructor(park: (outstanding: InputRequests | undefined) => void) {
    this.#park = park;
  }

  ask(key: string, request: InputRequest): Promise<unknown> {
    if (this.#answers.has(key)) return Promise.resolve(this.#answers.get(key));
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const list = this.#waiting.get(key);
      if (list) {
        list.push({ request, resolve, reject });
        return;
      }
      this.#waiting.set(key, [{ request, resolve, reject }]);
      this.#park(this.outstanding());
    });
  }

  /** What the task waits for, by key; undefined when nothing. */
  outstanding(): InputRequests | undefined {
    if (this.#waiting.size === 0) return undefined;
    const out: InputRequests = {};
    for (const [key, list] of this.#waiting) out[key] = (list[0] as Waiter).request;
    return out;
  }

  /**
   * Answers from `tasks/update`. Keys not outstanding are ignored (the spec says so); an
   * answer of the wrong shape is ignored too and reported in the returned list, the request
   * staying outstanding.
   */
  deliver(responses: InputResponses): string[] {
    const ignored: string[] = [];
    let changed = false;
    for (const [key, answer] of Object.entries(responses)) {
      const list = this.#waiting.get(key);
      if (list === undefined) continue;
      const problem = answerProblem((list[0] as Waiter).request, answer);
      if (problem !== undefined) {
        ignored.push(`inputResponses.${key} ${problem}`);
        continue;
      }
      this.#waiting.delete(key);
      this.#answers.set(key, answer);
      for (const w of list) w.resolve(answer);
      changed = true;
    }
    if (changed) this.#park(this.outstanding());
    return ignored;
  }

  /** Fails every waiting request (the task was cancelled or ended); later asks fail at once. */
  close(reason: unknown): void {
    this.#closed = reason;
    for (const list of this.#waiting.values()) for (const w of list) w.reject(reason);
    this.#waiting.clear();
  }
}
