import type { IncomingMessage } from 'node:http';
import { uniqueScopes } from './claims.js';
import { invalidToken, unavailable } from './failures.js';
import type { VerifiedIdentity, VerifyResult } from './identity.js';

/**
 * A user-supplied verifier, for credentials no built-in verifier understands. Resolves to
 * the identity, or to null when the token is not valid (401 invalid_token). Throwing (or
 * rejecting) means it could not decide: the request gets a 503, and the process keeps running.
 */
export type VerifyFunction = (
  token: string,
  req: IncomingMessage,
) => Promise<VerifiedIdentity | null> | VerifiedIdentity | null;

/** @internal Runs a custom verifier, turning every outcome (even a throw) into a verdict. */
export async function runCustomVerifier(
  fn: VerifyFunction,
  token: string,
  req: IncomingMessage,
): Promise<VerifyResult> {
  let identity: VerifiedIdentity | null;
  try {
    identity = await fn(token, req);
  } catch {
    return { ok: false, failure: unavailable('token verifier failed', 1) };
  }
  if (identity === null || identity === undefined) return { ok: false, failure: invalidToken('token not recognized') };
  const expiresAt = typeof identity.expiresAt === 'number' ? identity.expiresAt : undefined;
  // The built-in verifiers check expiry themselves (with clock tolerance); a custom one may not.
  if (expiresAt !== undefined && expiresAt <= Date.now()) return { ok: false, failure: invalidToken('token expired') };
  return {
    ok: true,
    identity: {
      subject: typeof identity.subject === 'string' ? identity.subject : undefined,
      clientId: typeof identity.clientId === 'string' ? identity.clientId : undefined,
      scopes: uniqueScopes(Array.isArray(identity.scopes) ? identity.scopes.filter((s) => typeof s === 'string') : []),
      claims: Object.freeze({ ...(identity.claims ?? {}) }),
      expiresAt,
      issuer: typeof identity.issuer === 'string' ? identity.issuer : undefined,
    },
  };
}
