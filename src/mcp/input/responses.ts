/**
 * Shape checks of the client's answers to input requests: an MRTR `inputResponses` value or a
 * 2025 client's response to a real request. A value that is not the result type its request
 * asked for is -32602 naming the key, rather than a handler reading fields that are not there.
 */

import { ErrorCode, McpError } from '../jsonrpc.js';
import type { InputRequest } from '../types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ACTIONS = new Set(['accept', 'decline', 'cancel']);

/** Why `answer` is not a valid result for `request`, or undefined when it is. */
export function answerProblem(request: InputRequest, answer: unknown): string | undefined {
  if (!isObject(answer)) return 'must be an object';
  switch (request.method) {
    case 'elicitation/create':
      if (typeof answer.action !== 'string' || !ACTIONS.has(answer.action))
        return 'action must be accept, decline or cancel';
      if (answer.content !== undefined && !isObject(answer.content)) return 'content must be an object';
      return undefined;
    case 'sampling/createMessage':
      if (answer.role !== 'user' && answer.role !== 'assistant') return 'role must be user or assistant';
      if (!isObject(answer.content) && !Array.isArray(answer.content)) return 'content must be a content block';
      if (typeof answer.model !== 'string') return 'model must be a string';
      return undefined;
    case 'roots/list':
      if (!Array.isArray(answer.roots)) return 'roots must be an array';
      for (const r of answer.roots)
        if (!isObject(r) || typeof r.uri !== 'string') return 'every root needs a uri string';
      return undefined;
    default:
      return `unknown input request method ${JSON.stringify(request.method)}`;
  }
}

/** The answer, checked; -32602 naming the key when it has the wrong shape. */
export function checkedAnswer(key: string, request: InputRequest, answer: unknown): unknown {
  const problem = answerProblem(request, answer);
  if (problem !== undefined) {
    throw new McpError(
      ErrorCode.INVALID_PARAMS,
      `Invalid params: inputResponses.${key} (answer to ${request.method}) ${problem}`,
    );
  }
  return answer;
}

/** `params.inputResponses` of a retry: absent, or an object of answers by key; -32602 otherwise. */
export function inputResponsesOf(params: Record<string, unknown>): Record<string, unknown> | undefined {
  const r = params.inputResponses;
  if (r === undefined) return undefined;
  if (!isObject(r))
    throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: inputResponses must be an object of answers by key');
  return r;
}
