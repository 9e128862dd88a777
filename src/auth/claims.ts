/*
 * Reading the claims that JWT access tokens (RFC 9068) and introspection responses (RFC 7662)
 * share. Claims come from outside: every reader checks the type and ignores what is not the
 * documented shape instead of throwing.
 */

/** @internal `claims[name]` when it is a non-empty string, else undefined. */
export function stringClaim(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = claims[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** @internal `claims[name]` in ms since the epoch when it is a finite NumericDate (seconds), else undefined. */
export function dateClaimMs(claims: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const v = claims[name];
  return typeof v === 'number' && Number.isFinite(v) ? v * 1000 : undefined;
}

/**
 * @internal The granted scopes: `scope` (a space-separated string, RFC 8693 / RFC 9068 / RFC
 * 7662) or else `scp` (an array, or a string, as some issuers send it), without duplicates or
 * empty items.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  const scope = claims.scope;
  if (typeof scope === 'string') return splitScopes(scope);
  const scp = claims.scp;
  if (typeof scp === 'string') return splitScopes(scp);
  if (Array.isArray(scp)) return uniqueScopes(scp.filter((s): s is string => typeof s === 'string'));
  return [];
}

/** @internal Splits a space-separated scope string (any run of spaces) into unique scopes. */
export function splitScopes(scope: string): readonly string[] {
  return uniqueScopes(scope.split(' '));
}

/** @internal Unique, non-empty scopes in their first-seen order, frozen. */
export function uniqueScopes(scopes: readonly string[]): readonly string[] {
  return Object.freeze([...new Set(scopes)].filter((s) => s.length > 0));
}
