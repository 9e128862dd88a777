import type { AuthFailure } from './types.js';

/**
 * What a verifier (built-in or user-supplied) found out about a credential, before the
 * authenticator turns it into a {@link Principal} (which adds the method and the key).
 */
export interface VerifiedIdentity {
  /** The subject (`sub`). */
  readonly subject?: string | undefined;
  /** The client (`client_id`, `azp`, an API key's id). */
  readonly clientId?: string | undefined;
  /** Granted scopes; duplicates are removed. Default: none. */
  readonly scopes?: readonly string[] | undefined;
  /** Every claim; default `{}`. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /** When the credential stops being valid (ms since the epoch); undefined = never. */
  readonly expiresAt?: number | undefined;
  /**
   * Who vouches for the identity: prefixes {@link Principal.key} so that two issuers' subjects
   * never collide. Default: the verification method (`custom`, `api-key`, ...).
   */
  readonly issuer?: string | undefined;
}

/** @internal A verifier's verdict on one token. */
export type VerifyResult =
  | { readonly ok: true; readonly identity: VerifiedIdentity }
  | { readonly ok: false; readonly failure: AuthFailure };
