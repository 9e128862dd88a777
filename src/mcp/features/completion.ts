import { ErrorCode, McpError } from '../jsonrpc.js';
import type { CompleteResult } from '../types.js';
import type { PromptSet } from './prompts.js';
import type { Completer, ResourceSet } from './resources.js';

/** The spec caps a completion answer at 100 values. */
const MAX_VALUES = 100;

/** `completion/complete` for prompt arguments (ref/prompt) and template variables (ref/resource). */
export async function complete(
  params: Record<string, unknown>,
  prompts: PromptSet,
  resources: ResourceSet,
): Promise<CompleteResult> {
  const ref = params.ref as Record<string, unknown> | undefined;
  const argument = params.argument as Record<string, unknown> | undefined;
  if (typeof argument?.name !== 'string' || typeof argument.value !== 'string') {
    throw new McpError(ErrorCode.INVALID_PARAMS, 'Invalid params: "argument" needs string "name" and "value"');
  }
  let completer: Completer | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
    completer = prompts.completer(ref.name, argument.name);
  } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
    completer = resources.completer(ref.uri, argument.name);
  } else {
    throw new McpError(
      ErrorCode.INVALID_PARAMS,
      'Invalid params: "ref" must be {type:"ref/prompt",name} or {type:"ref/resource",uri}',
    );
  }
  if (!completer) return { completion: { values: [], total: 0, hasMore: false } };
  const context = params.context as { arguments?: Record<string, string> } | undefined;
  const all = await completer(argument.value, { arguments: context?.arguments ?? {} });
  const values = all.slice(0, MAX_VALUES);
  return { completion: { values, total: all.length, hasMore: all.length > values.length } };
}
