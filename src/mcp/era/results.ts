/**
 * The wire form of results in each era. A 2026 result carries `resultType` (SEP-2322) and
 * identifies the server in `_meta` (SEP-2575); a 2025 result is what the handler returned.
 * Neither era may carry an unresolved `ctx.inputRequired(...)`: only tools/call, prompts/get
 * and resources/read run through the input loop that resolves it.
 */

import { InputRequired } from '../input/input-required.js';
import { ErrorCode, McpError, RawResult } from '../jsonrpc.js';
import { META_SERVER_INFO } from '../meta-keys.js';
import type { CacheHints, Implementation } from '../types.js';

function notAllowed(): McpError {
  return new McpError(
    ErrorCode.INTERNAL_ERROR,
    'input requests (ctx.inputRequired) are allowed only in tools/call, prompts/get and resources/read',
  );
}

/** Shapes results for one server. */
export class ResultShaper {
  /** `_meta` of a result that has none of its own. */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly #info: Implementation;

  constructor(info: Implementation) {
    this.#info = info;
    this.meta = Object.freeze({ [META_SERVER_INFO]: info });
  }

  /** A 2026 result: `resultType` (`complete` unless the result says otherwise) and serverInfo. */
  stateless(result: unknown): unknown {
    if (result instanceof RawResult) return result;
    if (result instanceof InputRequired) throw notAllowed();
    const r = result as Record<string, unknown>;
    const meta = r._meta as Record<string, unknown> | undefined;
    return {
      ...r,
      resultType: r.resultType ?? 'complete',
      _meta: meta === undefined ? this.meta : { ...meta, [META_SERVER_INFO]: this.#info },
    };
  }

  /** A 2025 result, as the handler returned it. */
  session(result: unknown): unknown {
    if (result instanceof InputRequired) throw notAllowed();
    return result;
  }

  /** A complete, cacheable 2026 result with its hints, ready to serialize once. */
  cacheable(result: Record<string, unknown>, hints: CacheHints): Record<string, unknown> {
    const meta = result._meta as Record<string, unknown> | undefined;
    return {
      ...result,
      resultType: 'complete',
      ttlMs: hints.ttlMs,
      cacheScope: hints.cacheScope,
      _meta: meta === undefined ? this.meta : { ...meta, [META_SERVER_INFO]: this.#info },
    };
  }
}
