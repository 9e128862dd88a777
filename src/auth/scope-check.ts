import { invalidArg } from '../core/errors.js';
import { ErrorCode, McpError } from '../mcp/jsonrpc.js';
import type { Principal } from './types.js';

/** RFC 6749 section 3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Checks the `scopes` a tool, prompt or resource declares at registration (so a typo fails
 * there, not on a request): undefined or an empty list means "no scope needed".
 */
export function declaredScopes(what: string, scopes: readonly string[] | undefined): readonly string[] | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes)) throw invalidArg(`${what}: scopes must be an array of strings`);
  for (const s of scopes) {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) {
      throw invalidArg(`${what}: scope ${JSON.stringify(s)} is not an OAuth scope token (RFC 6749 section 3.3)`);
    }
  }
  return scopes.length === 0 ? undefined : Object.freeze([...new Set(scopes)]);
}

/**
 * Refuses a call whose caller lacks one of `required` with -32016 (HTTP: 403
 * `insufficient_scope`, so the client can step up). Anonymous callers pass: with auth off
 * (stdio, a server without `auth`) there are no scopes to check, as in the SDK's
 * `requireScopes`; with auth on, every HTTP and WebSocket caller has a principal.
 */
export function checkScopes(what: string, required: readonly string[] | undefined, auth: Principal | undefined): void {
  if (required === undefined || auth === undefined) return;
  const granted = auth.scopes;
  for (const s of required) {
    if (!granted.includes(s)) {
      const scope = required.join(' ');
      throw new McpError(ErrorCode.INSUFFICIENT_SCOPE, `Insufficient scope: ${what} requires scope ${scope}`, {
        reason: 'insufficient_scope',
        scope,
      });
    }
  }
}

/**
 * What a caller may see of a list when lists hide what it may not use: `visible(scopes)` is
 * true for an entry the caller holds every scope of, and `key` names that view for the list
 * page cache (callers with the same scopes share pages).
 */
export interface ScopeView {
  readonly key: string;
  visible(required: readonly string[] | undefined): boolean;
}

/** Everything is visible: auth off, hiding off, or an anonymous caller. */
export const FULL_VIEW: ScopeView = Object.freeze({ key: '', visible: () => true });

/** The view of a caller holding `granted`. */
export function scopeView(granted: readonly string[]): ScopeView {
  const set = new Set(granted);
  return {
    key: `|${[...set].sort().join(' ')}`,
    visible: (required) => required === undefined || required.every((s) => set.has(s)),
  };
}
