import type { AuthFailure } from './types.js';

/*
 * The AuthFailure values the verifiers answer with. Built in one place so every verifier says
 * the same thing for the same situation, and frozen because a failure may be cached and shared.
 */

/** No `Authorization` header at all: 401 with no `error` attribute (RFC 6750 section 3.1). */
export const MISSING_TOKEN: AuthFailure = Object.freeze({
  status: 401,
  error: undefined,
  description: 'no bearer token',
});

/** @internal A malformed `Authorization` header (400 invalid_request). */
export function invalidRequest(description: string): AuthFailure {
  return Object.freeze({ status: 400, error: 'invalid_request', description });
}

/** @internal A credential that was checked and refused (401 invalid_token). */
export function invalidToken(description: string): AuthFailure {
  return Object.freeze({ status: 401, error: 'invalid_token', description });
}

/**
 * @internal The verifier could not decide (503). `retryAfterSec` is rounded up to a whole second
 * and is at least 1, because `Retry-After: 0` invites a retry storm.
 */
export function unavailable(description: string, retryAfterSec: number): AuthFailure {
  return Object.freeze({
    status: 503,
    error: undefined,
    description,
    retryAfterSec: Math.max(1, Math.ceil(retryAfterSec)),
  });
}
