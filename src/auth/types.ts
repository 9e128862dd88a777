/**
 * The contract between the authorization layer (src/auth/) and the transports, the Gate and the
 * handlers. A request's credential is verified once into a {@link Principal}; everything after
 * that (limits, isolation, `ctx.auth`, scope checks) sees only the principal.
 */

/** How a principal's credential was verified. */
export type AuthMethod = 'jwt' | 'introspection' | 'api-key' | 'custom';

/** Who is calling, as the verified credential says. Immutable; shared by every request it covers. */
export interface Principal {
  /**
   * The identity limits and isolation key on: `auth.principalKey` of the credential (its
   * client id or its subject), prefixed with the issuer or the method so that two issuers'
   * subjects never collide. Equal keys are the same principal.
   */
  readonly key: string;
  /** `sub` (JWT / introspection), the API key's configured subject, or the custom verifier's. */
  readonly subject: string | undefined;
  /** `client_id` / `azp` (JWT), `client_id` (introspection), or the API key's id. */
  readonly clientId: string | undefined;
  /** Granted scopes (the `scope` claim split on spaces, or `scp`), without duplicates. */
  readonly scopes: readonly string[];
  /** Every claim of the token (JWT payload, introspection response); `{}` for API keys. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly method: AuthMethod;
  /** When the credential stops being valid (ms since the epoch); undefined when it never expires. */
  readonly expiresAt: number | undefined;
}

/**
 * Why a request was not let in, with what the answer says on the wire (RFC 6750 section 3):
 * - 400 `invalid_request`: a malformed `Authorization` header (two of them, not `Bearer`, empty, oversized);
 * - 401 without `error`: no credential at all;
 * - 401 `invalid_token`: expired, not yet valid, wrong issuer or audience, bad signature, revoked, unknown;
 * - 403 `insufficient_scope`: valid, but lacks `scope` (space-separated) for what was asked;
 * - 503 `temporarily_unavailable` (not an RFC 6750 code; no `error` attribute is sent): the
 *   verifier could not decide (JWKS or introspection endpoint unreachable and nothing cached).
 */
export interface AuthFailure {
  readonly status: 400 | 401 | 403 | 503;
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  /** Human-readable reason (`error_description`); never contains the token. */
  readonly description: string;
  /** The scopes needed (403 only). */
  readonly scope?: string;
  /** Seconds to wait (503 only). */
  readonly retryAfterSec?: number;
}

/** Outcome of authenticating one request. */
export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly failure: AuthFailure };

/** An answer to a refused request, ready to write (status, `WWW-Authenticate` and friends, JSON body). */
export interface AuthChallenge {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * What the transports need from the auth layer: authenticate one HTTP request (synchronously
 * when its token is cached, which is the hot path) and render a refusal.
 */
export interface RequestAuthenticator {
  authenticate(req: import('node:http').IncomingMessage): AuthOutcome | Promise<AuthOutcome>;
  challenge(failure: AuthFailure): AuthChallenge;
  /**
   * Answers a request for the protected resource metadata (RFC 9728, open to everyone) and
   * returns true; false for any other request.
   */
  serveMetadata?(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): boolean;
}
