import { dateClaimMs, scopesOf, stringClaim } from './claims.js';
import { assertNonEmpty, assertPositive, authConfigError } from './config-error.js';
import { invalidToken, unavailable } from './failures.js';
import type { VerifyResult } from './identity.js';
import { parseSecureUrl } from './urls.js';

/** Options of an {@link IntrospectionVerifier}. */
export interface IntrospectionOptions {
  /** The authorization server's RFC 7662 introspection endpoint; https, or http on loopback. */
  readonly introspectionUri: string;
  /** This resource server's client id at the authorization server (`client_secret_basic`). */
  readonly clientId: string;
  /** Its client secret. */
  readonly clientSecret: string;
  /** Abandon a call after this long (connect, headers, body); the request gets a 503. Default 5,000 ms. */
  readonly timeoutMs?: number;
  /** When set, the response's `iss` must be present and equal it. */
  readonly issuer?: string;
  /** When set, the response's `aud` must be present and contain one of these. */
  readonly audience?: string | readonly string[];
  /** Slack for `exp` and `nbf`, in seconds. Default 30. */
  readonly clockToleranceSec?: number;
  /** `Retry-After` of the 503 answered when the endpoint fails. Default 5 s. */
  readonly retryAfterSec?: number;
}

/**
 * Asks the authorization server about opaque tokens (RFC 7662). An inactive, expired or
 * mismatched token is 401 `invalid_token`; an endpoint that errs, times out or answers
 * something that is not an introspection response is a 503: the token was not found wrong.
 */
export class IntrospectionVerifier {
  readonly #uri: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #issuer: string | undefined;
  readonly #audience: readonly string[] | undefined;
  readonly #toleranceMs: number;
  readonly #retryAfterSec: number;

  /** @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option. */
  constructor(options: IntrospectionOptions) {
    const url = parseSecureUrl('introspectionUri', options.introspectionUri);
    assertNonEmpty('introspection.clientId', options.clientId);
    assertNonEmpty('introspection.clientSecret', options.clientSecret);
    this.#uri = url.href;
    // RFC 6749 section 2.3.1: id and secret are form-encoded before being joined and base64'd.
    const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
    this.#authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    assertPositive('introspection.timeoutMs', this.#timeoutMs);
    this.#retryAfterSec = options.retryAfterSec ?? 5;
    assertPositive('introspection.retryAfterSec', this.#retryAfterSec);
    const tolerance = options.clockToleranceSec ?? 30;
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
      throw authConfigError(`introspection.clockToleranceSec must be a number >= 0, got ${String(tolerance)}`);
    }
    this.#toleranceMs = tolerance * 1000;
    if (options.issuer !== undefined) assertNonEmpty('introspection.issuer', options.issuer);
    this.#issuer = options.issuer;
    this.#audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  }

  /** Introspects one token. The identity's `issuer` is the response's `iss`, else the configured one. */
  async verify(token: string): Promise<VerifyResult> {
    let claims: Record<string, unknown>;
    try {
      const res = await fetch(this.#uri, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: `token=${formEncode(token)}&token_type_hint=access_token`,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        return this.#unavailable();
      }
      const json: unknown = await res.json();
      if (json === null || typeof json !== 'object' || Array.isArray(json)) return this.#unavailable();
      claims = json as Record<string, unknown>;
    } catch {
      return this.#unavailable();
    }
    if (claims.active !== true) return { ok: false, failure: invalidToken('token is not active') };
    const problem = this.#check(claims);
    if (problem !== undefined) return { ok: false, failure: invalidToken(problem) };
    return {
      ok: true,
      identity: {
        subject: stringClaim(claims, 'sub'),
        clientId: stringClaim(claims, 'client_id'),
        scopes: scopesOf(claims),
        claims: Object.freeze({ ...claims }),
        expiresAt: dateClaimMs(claims, 'exp'),
        issuer: stringClaim(claims, 'iss') ?? this.#issuer,
      },
    };
  }

  /** What is wrong with an active token's claims, if anything. */
  #check(claims: Record<string, unknown>): string | undefined {
    const now = Date.now();
    const exp = dateClaimMs(claims, 'exp');
    if (exp !== undefined && exp + this.#toleranceMs <= now) return 'token expired';
    const nbf = dateClaimMs(claims, 'nbf');
    if (nbf !== undefined && nbf - this.#toleranceMs > now) return 'token not yet valid';
    if (this.#issuer !== undefined && claims.iss !== this.#issuer) return 'wrong issuer';
    if (this.#audience !== undefined) {
      const aud = claims.aud;
      const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!this.#audience.some((a) => auds.includes(a))) return 'wrong audience';
    }
    return undefined;
  }

  #unavailable(): VerifyResult {
    return { ok: false, failure: unavailable('token introspection unavailable', this.#retryAfterSec) };
  }
}

/** application/x-www-form-urlencoded encoding of one value. */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}
