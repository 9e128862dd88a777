import { ErlmcpError } from '../../core/errors.js';
import type { InputRequiredResult, ResultType } from '../types.js';

/** The methods a server may answer with `input_required` (basic/patterns/mrtr.mdx). */
export const INPUT_REQUIRED_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

const TASK_STATUSES: ReadonlySet<string> = new Set(['working', 'input_required', 'completed', 'failed', 'cancelled']);

function invalid(method: string, why: string): ErlmcpError {
  return new ErlmcpError('ERR_INVALID_RESULT', `invalid answer to ${method}: ${why}`);
}

/**
 * What kind of result `result` is, checked against what `method` may answer. A missing
 * `resultType` is `complete` (legacy servers never send one); an unknown value, an
 * `input_required` on a method that cannot take one, or a `task` the client did not opt in
 * to is invalid (the spec says so), and so is an `input_required` or `task` missing the fields
 * that make it usable. Throws ERR_INVALID_RESULT.
 */
export function resultTypeOf(method: string, result: Record<string, unknown>, tasksAllowed: boolean): ResultType {
  const rt = result.resultType;
  if (rt === undefined || rt === 'complete') return 'complete';
  if (rt === 'input_required') {
    if (!INPUT_REQUIRED_METHODS.has(method))
      throw invalid(method, 'input_required is only allowed on tools/call, prompts/get and resources/read');
    checkInputRequired(method, result);
    return 'input_required';
  }
  if (rt === 'task') {
    if (!tasksAllowed || method !== 'tools/call') {
      throw invalid(method, 'resultType "task" without the Tasks extension declared for a tools/call');
    }
    if (typeof result.taskId !== 'string' || !TASK_STATUSES.has(result.status as string)) {
      throw invalid(method, 'a task result needs a string taskId and a known status');
    }
    return 'task';
  }
  throw invalid(method, `unknown resultType ${JSON.stringify(rt)}`);
}

function checkInputRequired(
  method: string,
  result: Record<string, unknown>,
): asserts result is InputRequiredResult & Record<string, unknown> {
  const { inputRequests, requestState } = result as { inputRequests?: unknown; requestState?: unknown };
  if (requestState !== undefined && typeof requestState !== 'string')
    throw invalid(method, 'requestState must be a string');
  if (inputRequests === undefined) {
    if (requestState === undefined)
      throw invalid(method, 'input_required carries neither inputRequests nor requestState');
    return;
  }
  checkInputRequests(method, inputRequests);
}

/** Checks an `inputRequests` map (MRTR results and input_required tasks share the shape). */
export function checkInputRequests(method: string, inputRequests: unknown): void {
  if (typeof inputRequests !== 'object' || inputRequests === null || Array.isArray(inputRequests)) {
    throw invalid(method, 'inputRequests must be an object');
  }
  for (const [key, req] of Object.entries(inputRequests)) {
    const r = req as { method?: unknown; params?: unknown } | null;
    if (typeof r !== 'object' || r === null || typeof r.method !== 'string') {
      throw invalid(method, `inputRequests.${key} needs a method`);
    }
    if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) {
      throw invalid(method, `inputRequests.${key}.params must be an object`);
    }
  }
}
