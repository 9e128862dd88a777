import type * as Jose from 'jose';

/*
 * jose 6 is ESM-only and this package compiles to CommonJS. `require('jose')` works only where
 * node can require ES modules (20.19+, 22.12+); a dynamic import works on every supported node.
 * Loading lazily also keeps jose off the startup path of servers that configure no JWTs.
 */

let loading: Promise<typeof Jose> | undefined;

/** @internal The jose module, imported once on first use. */
export function loadJose(): Promise<typeof Jose> {
  loading ??= import('jose');
  return loading;
}

/** @internal The `code` of a jose error (`ERR_JWT_EXPIRED`, ...), or undefined for anything else. */
export function joseCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_J') ? code : undefined;
}
