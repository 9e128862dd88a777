import type { IncomingMessage } from 'node:http';
import type { AuthOutcome, RequestAuthenticator } from './types.js';

/**
 * Runs `then` with the outcome of authenticating `req`: at once when the authenticator
 * answered synchronously (a cached token, the hot path: no promise, no microtask), else when
 * its verification settles; `failed` if that verification threw (an authenticator bug).
 */
export function whenAuthenticated(
  auth: RequestAuthenticator,
  req: IncomingMessage,
  then: (outcome: AuthOutcome) => void,
  failed: (err: unknown) => void,
): void {
  const outcome = auth.authenticate(req);
  if (outcome instanceof Promise) outcome.then(then, failed);
  else then(outcome);
}
