import { invalidArg } from '../../core/errors.js';
import type { CacheHints, CacheScope } from '../types.js';

/** What a server says about caching its results when nothing more specific is set (the SDK's default too). */
export const DEFAULT_CACHE_HINTS: CacheHints = Object.freeze({ ttlMs: 0, cacheScope: 'private' as CacheScope });

/** Caching hints of 2026 results (SEP-2549); each part defaults to `{ ttlMs: 0, cacheScope: 'private' }`. */
export interface CacheHintOptions {
  /** `server/discover`. */
  discover?: Partial<CacheHints>;
  /** `tools/list`, `prompts/list`, `resources/list`, `resources/templates/list` (every page). */
  lists?: Partial<CacheHints>;
  /** `resources/read` of a resource or template that sets no `cache` of its own. */
  read?: Partial<CacheHints>;
}

/** Complete hints from partial ones; ERR_INVALID_ARG for a negative or fractional ttlMs or an unknown scope. */
export function cacheHints(
  what: string,
  partial: Partial<CacheHints> | undefined,
  base: CacheHints = DEFAULT_CACHE_HINTS,
): CacheHints {
  if (partial === undefined) return base;
  const ttlMs = partial.ttlMs ?? base.ttlMs;
  const cacheScope = partial.cacheScope ?? base.cacheScope;
  if (!Number.isInteger(ttlMs) || ttlMs < 0)
    throw invalidArg(`${what}.ttlMs must be an integer >= 0, got ${String(ttlMs)}`);
  if (cacheScope !== 'public' && cacheScope !== 'private') {
    throw invalidArg(`${what}.cacheScope must be "public" or "private", got ${JSON.stringify(cacheScope)}`);
  }
  return Object.freeze({ ttlMs, cacheScope });
}
