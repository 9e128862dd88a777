import type { InputRequests } from '../types.js';

/**
 * What a handler returns (from `ctx.inputRequired(...)`) when it needs input from the client
 * before it can answer: input requests by key and, optionally, state of its own for the next
 * round. erlmcp turns it into the era's form: an `input_required` result with sealed
 * `requestState` for a 2026 request, real server -> client requests followed by another run of
 * the handler in a 2025 session, a parked task inside a task.
 */
export class InputRequired {
  readonly inputRequests: InputRequests;
  readonly state: unknown;

  constructor(inputRequests: InputRequests, state?: unknown) {
    this.inputRequests = inputRequests;
    this.state = state;
  }
}
