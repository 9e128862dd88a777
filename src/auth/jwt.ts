import type { JWTPayload, JWTVerifyOptions } from 'jose';
import { dateClaimMs, scopesOf, stringClaim } from './claims.js';
import { assertNonEmpty, authConfigError } from './config-error.js';
import { invalidToken, unavailable } from './failures.js';
import type { VerifyResult } from './identity.js';
import { joseCode, loadJose } from './jose.js';
import { JwksCache, type JwksCacheOptions, JwksUnavailableError } from './jwks.js';

/** Signature algorithms accepted by default: the asymmetric ones RFC 9068 issuers use. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

const ASYMMETRIC = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const HMAC = new Set(['HS256', 'HS384', 'HS512']);

/** Options of a {@link JwtVerifier}. Exactly one key source: `jwksUri` or `secret`. */
export interface JwtVerifierOptions {
  /** The `iss` every token must carry, exactly (the authorization server's issuer identifier). */
  readonly issuer: string;
  /** Accepted audiences: `aud` must contain one of them (RFC 8707: the resource identifier). */
  readonly audience: string | readonly string[];
  /** The authorization server's JWKS URL. */
  readonly jwksUri?: string;
  /** How the key set is fetched and cached ({@link JwksCacheOptions}, without `jwksUri`). */
  readonly jwks?: Omit<JwksCacheOptions, 'jwksUri'>;
  /**
   * A shared HMAC secret, for issuers that sign with HS256/384/512. Only with this set do HMAC
   * algorithms become possible, and then only they: a key set's public keys must never be
   * usable as HMAC secrets (the RS256/HS256 confusion attack).
   */
  readonly secret?: string | Uint8Array;
  /**
   * Accepted `alg` values. Default {@link DEFAULT_JWT_ALGORITHMS}, or `['HS256']` with a
   * `secret`. `none` is never accepted.
   */
  readonly algorithms?: readonly string[];
  /** Slack for `exp` and `nbf`, in seconds, for clocks that disagree. Default 30. */
  readonly clockToleranceSec?: number;
  /** Require the RFC 9068 header `typ: at+jwt` (or `application/at+jwt`). Default false: many issuers send `JWT`. */
  readonly requireAccessTokenType?: boolean;
}

type KeySource = JwksCache['getKey'] | Uint8Array;

/**
 * Verifies JWT access tokens (RFC 9068) with jose: signature against the issuer's keys, `iss`,
 * `aud`, `exp` (required), `nbf`, the algorithm allow-list and optionally `typ`. Never throws
 * per token: every problem is a verdict.
 */
export class JwtVerifier {
  readonly #key: KeySource;
  readonly #options: JWTVerifyOptions;
  /** The key set, when verifying against one (exposed for warm-up and readiness). */
  readonly jwks: JwksCache | undefined;

  /** @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option. */
  constructor(options: JwtVerifierOptions) {
    assertNonEmpty('jwt.issuer', options.issuer);
    const audience = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
    if (audience.length === 0) throw authConfigError('jwt.audience must name at least one audience');
    for (const a of audience) assertNonEmpty('jwt.audience[]', a);
    const hasSecret = options.secret !== undefined;
    if (hasSecret === (options.jwksUri !== undefined)) {
      throw authConfigError('jwt needs exactly one key source: jwksUri or secret');
    }
    const algorithms = [...(options.algorithms ?? (hasSecret ? ['HS256'] : DEFAULT_JWT_ALGORITHMS))];
    if (algorithms.length === 0) throw authConfigError('jwt.algorithms must not be empty');
    for (const alg of algorithms) {
      const ok = hasSecret ? HMAC.has(alg) : ASYMMETRIC.has(alg);
      if (!ok) {
        throw authConfigError(
          hasSecret
            ? `jwt.algorithms: with a secret only HS256, HS384, HS512 are possible, got ${JSON.stringify(alg)}`
            : `jwt.algorithms: ${JSON.stringify(alg)} is not an asymmetric JWS algorithm (HMAC needs jwt.secret; none is never allowed)`,
        );
      }
    }
    const tolerance = options.clockToleranceSec ?? 30;
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
      throw authConfigError(`jwt.clockToleranceSec must be a number >= 0, got ${String(tolerance)}`);
    }
    if (hasSecret) {
      const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
      if (!(secret instanceof Uint8Array) || secret.length === 0) throw authConfigError('jwt.secret must not be empty');
      this.#key = secret;
      this.jwks = undefined;
    } else {
      this.jwks = new JwksCache({ ...options.jwks, jwksUri: options.jwksUri as string });
      this.#key = this.jwks.getKey;
    }
    this.#options = {
      issuer: options.issuer,
      audience,
      algorithms,
      clockTolerance: tolerance,
      requiredClaims: ['exp'],
      ...(options.requireAccessTokenType ? { typ: 'at+jwt' } : {}),
    };
  }

  /** Verifies one compact JWS. The identity's `issuer` is the token's `iss`. */
  async verify(token: string): Promise<VerifyResult> {
    try {
      const jose = await loadJose();
      const payload = await this.#verifyWith(jose, token);
      return {
        ok: true,
        identity: {
          subject: stringClaim(payload, 'sub'),
          clientId: stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp'),
          scopes: scopesOf(payload),
          claims: Object.freeze({ ...payload }),
          expiresAt: dateClaimMs(payload, 'exp'),
          issuer: payload.iss,
        },
      };
    } catch (err) {
      if (err instanceof JwksUnavailableError) {
        return { ok: false, failure: unavailable(err.message, err.retryAfterSec) };
      }
      return { ok: false, failure: invalidToken(describe(err)) };
    }
  }

  async #verifyWith(jose: typeof import('jose'), token: string): Promise<JWTPayload> {
    if (this.#key instanceof Uint8Array) return (await jose.jwtVerify(token, this.#key, this.#options)).payload;
    try {
      return (await jose.jwtVerify(token, this.#key, this.#options)).payload;
    } catch (err) {
      // Several keys fit (no `kid`, or a reused one): jose hands them over to be tried in turn.
      if (joseCode(err) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
      for await (const key of err as AsyncIterable<CryptoKey>) {
        try {
          return (await jose.jwtVerify(token, key, this.#options)).payload;
        } catch (e) {
          if (joseCode(e) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw e;
        }
      }
      throw Object.assign(new Error('no key verified the signature'), {
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    }
  }
}

/** The `error_description` for a jose failure: specific, and never containing claim values. */
function describe(err: unknown): string {
  switch (joseCode(err)) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      switch ((err as { claim?: unknown }).claim) {
        case 'nbf':
          return 'token not yet valid';
        case 'iss':
          return 'wrong issuer';
        case 'aud':
          return 'wrong audience';
        case 'exp':
          return 'token has no valid exp claim';
        case 'typ':
          return 'token type is not at+jwt';
        default:
          return 'invalid token claims';
      }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'signing algorithm not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown signing key';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'invalid signature';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'invalid token';
  }
}
