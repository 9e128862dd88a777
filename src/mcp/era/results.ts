/**
 * The wire form of results in each era. A 2026 result carries `resultType` (SEP-2322) and
 * identifies the server in `_meta` (SEP-2575); a 2025 result is what the handler returned.
 * Neither era may carry an unresolved `ctx.inputRequired(...)`: only tools/call, prompts/get
 * and resources/read run through the input loop that resolves it.
 */

import { InputRequired } from '../input/input-required.js';
import { DressedResult, ErrorCode, McpError, RawResult } from '../jsonrpc.js';
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
  /** `"resultType":"complete","_meta":{serverInfo}`, serialized once for every plain result. */
  readonly #members: string;
  readonly #extra: Record<string, unknown>;

  constructor(info: Implementation) {
    this.#info = info;
    this.meta = Object.freeze({ [META_SERVER_INFO]: info });
    this.#extra = Object.freeze({ resultType: 'complete', _meta: this.meta });
    this.#members = JSON.stringify(this.#extra).slice(1, -1);
  }

  /** A 2026 result: `resultType` (`complete` unless the result says otherwise) and serverInfo. */
  stateless(result: unknown): unknown {
    if (result instanceof RawResult) return result;
    if (result instanceof InputRequired) throw notAllowed();
    const r = result as Record<string, unknown>;
    const meta = r._meta as Record<string, unknown> | undefined;
    // The common case (a plain object without the members): they are spliced in while
    // serializing. Anything else (a class instance, perhaps with its own toJSON) is copied.
    if (meta === undefined && r.resultType === undefined && Object.getPrototypeOf(r) === Object.prototype)
      return new DressedResult(r, this.#members, this.#extra);
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
