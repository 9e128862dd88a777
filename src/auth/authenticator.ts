import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiKeyEntry, ApiKeyStore } from './api-keys.js';
import { authorizationValue, DEFAULT_MAX_TOKEN_BYTES, parseAuthorization, readBearer } from './bearer.js';
import { failureBody, wwwAuthenticate } from './challenge.js';
import { assertPositive, authConfigError } from './config-error.js';
import { runCustomVerifier, type VerifyFunction } from './custom.js';
import { invalidToken, MISSING_TOKEN, unavailable } from './failures.js';
import type { VerifyResult } from './identity.js';
import { type IntrospectionOptions, IntrospectionVerifier } from './introspection.js';
import { JwtVerifier, type JwtVerifierOptions } from './jwt.js';
import {
  buildResourceMetadata,
  type ProtectedResourceMetadata,
  type ResourceMetadataOptions,
  resourceMetadataLocation,
} from './metadata.js';
import { type PrincipalKeyMode, toPrincipal } from './principal-key.js';
import { TokenCache, type TokenCacheOptions } from './token-cache.js';
import type { AuthChallenge, AuthFailure, AuthMethod, AuthOutcome, RequestAuthenticator } from './types.js';

/**
 * JWT options of an {@link Authenticator}: those of {@link JwtVerifierOptions}, with
 * `audience` defaulting to the resource and `issuer` to the authorization server when exactly
 * one is listed.
 */
export type AuthenticatorJwtOptions = Omit<JwtVerifierOptions, 'issuer' | 'audience'> &
  Partial<Pick<JwtVerifierOptions, 'issuer' | 'audience'>>;

/** Options of an {@link Authenticator}: the protected resource, and at least one verifier. */
export interface AuthenticatorOptions extends ResourceMetadataOptions {
  /** Verify JWT access tokens locally (RFC 9068). */
  readonly jwt?: AuthenticatorJwtOptions;
  /** Ask the authorization server about opaque tokens (RFC 7662). */
  readonly introspection?: IntrospectionOptions;
  /** Static API keys, stored hashed. */
  readonly apiKeys?: readonly ApiKeyEntry[];
  /** A verifier of your own, asked last. */
  readonly verify?: VerifyFunction;
  /** What {@link Principal.key} identifies. Default `clientId` (falling back to the subject). */
  readonly principalKey?: PrincipalKeyMode;
  /** The verdict cache; `false` verifies every request. Default: {@link TokenCacheOptions} defaults. */
  readonly cache?: TokenCacheOptions | false;
  /** Longest accepted bearer token. Default 8,192 bytes. */
  readonly maxTokenBytes?: number;
}

const NOT_RECOGNIZED = invalidToken('token not recognized');
const NO_TOKEN: AuthOutcome = Object.freeze({ ok: false, failure: MISSING_TOKEN });
const NO_IDENTITY = invalidToken('token names neither a client nor a subject');
const UNDECIDED = unavailable('token verification failed', 1);

/**
 * The OAuth 2.1 resource server: reads the bearer token of a request, verifies it, and answers
 * with a {@link Principal} or an {@link AuthFailure}.
 *
 * Verifiers are tried in a fixed order, and the first that applies decides: an API key (only
 * on an exact hash match, so any other token passes on), then JWT (when the token has the
 * three parts of a compact JWS), then introspection, then the custom verifier. A JWT that
 * fails verification is refused, not handed to introspection: a token that claims an issuer
 * we verify locally is that issuer's, and asking another party would only add latency.
 *
 * Verdicts are cached ({@link TokenCache}): a known token costs one header scan and one Map
 * lookup, and `authenticate` then answers synchronously. Concurrent first requests with the
 * same token share one verification.
 */
export class Authenticator implements RequestAuthenticator {
  /** Request paths the metadata document is served at ({@link resourceMetadataLocation}). */
  readonly metadataPaths: readonly string[];
  /** The `resource_metadata` URL challenges point to. */
  readonly resourceMetadataUrl: string;
  /** The JWT verifier, when configured (its `jwks` can be warmed with `refresh()`). */
  readonly jwt: JwtVerifier | undefined;

  readonly #metadata: ProtectedResourceMetadata;
  /** The last accepted Authorization header, its verdict and until when it holds (a 1-entry memo over the cache). */
  #lastHeader: string | undefined;
  #lastOutcome: AuthOutcome | undefined;
  #lastUntil = 0;
  /** Serialized once: the document never changes. */
  readonly #metadataJson: string;
  readonly #apiKeys: ApiKeyStore | undefined;
  readonly #introspection: IntrospectionVerifier | undefined;
  readonly #verify: VerifyFunction | undefined;
  readonly #mode: PrincipalKeyMode;
  readonly #cache: TokenCache | undefined;
  readonly #maxTokenBytes: number;
  readonly #pending = new Map<string, Promise<AuthOutcome>>();

  /** @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option or when no verifier is configured. */
  constructor(options: AuthenticatorOptions) {
    this.#metadata = buildResourceMetadata(options);
    this.#metadataJson = JSON.stringify(this.#metadata);
    const location = resourceMetadataLocation(options.resource);
    this.metadataPaths = location.paths;
    this.resourceMetadataUrl = location.url;

    if (options.jwt !== undefined) {
      const servers = options.authorizationServers;
      const issuer = options.jwt.issuer ?? (servers.length === 1 ? servers[0] : undefined);
      if (issuer === undefined) {
        throw authConfigError('jwt.issuer is required when several authorizationServers are listed');
      }
      this.jwt = new JwtVerifier({ ...options.jwt, issuer, audience: options.jwt.audience ?? options.resource });
    } else {
      this.jwt = undefined;
    }
    this.#apiKeys =
      options.apiKeys !== undefined && options.apiKeys.length > 0 ? new ApiKeyStore(options.apiKeys) : undefined;
    this.#introspection =
      options.introspection !== undefined ? new IntrospectionVerifier(options.introspection) : undefined;
    if (options.verify !== undefined && typeof options.verify !== 'function')
      throw authConfigError('verify must be a function');
    this.#verify = options.verify;
    if (!this.jwt && !this.#apiKeys && !this.#introspection && !this.#verify) {
      throw authConfigError('configure at least one verifier: jwt, introspection, apiKeys or verify');
    }
    const mode = options.principalKey ?? 'clientId';
    if (mode !== 'clientId' && mode !== 'subject') {
      throw authConfigError(`principalKey must be 'clientId' or 'subject', got ${JSON.stringify(mode)}`);
    }
    this.#mode = mode;
    this.#cache = options.cache === false ? undefined : new TokenCache(options.cache);
    this.#maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    assertPositive('maxTokenBytes', this.#maxTokenBytes);
  }

  /**
   * Authenticates one request. Synchronous (a plain object, not a Promise) when the header is
   * malformed or missing and when the token's verdict is cached; a Promise otherwise. Never
   * rejects: every problem is an {@link AuthFailure}.
   */
  authenticate(req: IncomingMessage): AuthOutcome | Promise<AuthOutcome> {
    const value = authorizationValue(req);
    // The hot path: the same header as the last accepted request (a client sending its token
    // on every request of a keep-alive connection). One string comparison, no hashing of the
    // token, no pattern match: that header was parsed and its token verified before.
    if (value !== undefined && value !== null && value === this.#lastHeader) {
      const now = Date.now();
      if (now < this.#lastUntil) return this.#lastOutcome as AuthOutcome;
    }
    if (value === undefined) return NO_TOKEN;
    // Two Authorization headers: readBearer words that refusal.
    const bearer =
      value === null ? readBearer(req, this.#maxTokenBytes) : parseAuthorization(value, this.#maxTokenBytes);
    if (bearer.failure !== undefined) return { ok: false, failure: bearer.failure };
    const token = bearer.token;
    const cached = this.#cache?.entry(token);
    if (cached !== undefined) {
      if (cached.outcome.ok) {
        this.#lastHeader = value as string;
        this.#lastOutcome = cached.outcome;
        this.#lastUntil = cached.until;
      }
      return cached.outcome;
    }
    const pending = this.#pending.get(token);
    if (pending !== undefined) return pending;
    const p = this.#verifyAndCache(token, req).finally(() => this.#pending.delete(token));
    this.#pending.set(token, p);
    return p;
  }

  /** The answer to send for a failure: status, headers and a JSON body. */
  challenge(failure: AuthFailure): AuthChallenge {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    };
    if (failure.status === 503) headers['retry-after'] = String(failure.retryAfterSec ?? 1);
    else headers['www-authenticate'] = wwwAuthenticate(this.resourceMetadataUrl, failure);
    return { status: failure.status, headers, body: JSON.stringify(failureBody(failure)) };
  }

  /** The RFC 9728 protected resource metadata document, to serve at {@link metadataPaths}. */
  metadata(): ProtectedResourceMetadata {
    return this.#metadata;
  }

  /**
   * Answers `GET` (and `HEAD`) of {@link metadataPaths} with the metadata document, open to
   * everyone and to browsers of any origin (RFC 9728 section 3: clients fetch it before they
   * have a token); returns false for every other request.
   */
  serveMetadata(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (!this.metadataPaths.includes(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('use GET\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'max-age=300',
      'access-control-allow-origin': '*',
    });
    res.end(req.method === 'HEAD' ? undefined : this.#metadataJson);
    return true;
  }

  /**
   * Forgets every cached verdict. The authenticator owns no timers or sockets (fetch timeouts
   * are unref'd), so nothing else needs releasing and it stays usable.
   */
  close(): void {
    this.#cache?.clear();
    this.#lastHeader = undefined;
    this.#lastOutcome = undefined;
  }

  async #verifyAndCache(token: string, req: IncomingMessage): Promise<AuthOutcome> {
    let outcome: AuthOutcome;
    try {
      outcome = await this.#verifyToken(token, req);
    } catch {
      // The verifiers turn every problem into a verdict; this is the net under that promise,
      // so that `authenticate` never rejects (and the answer is "retry", never "let in").
      return { ok: false, failure: UNDECIDED };
    }
    this.#cache?.set(token, outcome);
    return outcome;
  }

  async #verifyToken(token: string, req: IncomingMessage): Promise<AuthOutcome> {
    const key = this.#apiKeys?.lookup(token);
    if (key !== undefined) return this.#outcome({ ok: true, identity: key }, 'api-key');
    if (this.jwt !== undefined && isCompactJws(token)) return this.#outcome(await this.jwt.verify(token), 'jwt');
    if (this.#introspection !== undefined) {
      return this.#outcome(await this.#introspection.verify(token), 'introspection');
    }
    if (this.#verify !== undefined) return this.#outcome(await runCustomVerifier(this.#verify, token, req), 'custom');
    return { ok: false, failure: NOT_RECOGNIZED };
  }

  #outcome(result: VerifyResult, method: AuthMethod): AuthOutcome {
    if (!result.ok) return result;
    const principal = toPrincipal(result.identity, method, this.#mode);
    // Frozen once here: a cached outcome is handed to every request that presents the token.
    return principal === undefined ? { ok: false, failure: NO_IDENTITY } : Object.freeze({ ok: true, principal });
  }
}

/**
 * Three dot-separated parts, the first two non-empty: what a compact JWS looks like (a JWE has
 * five). An empty signature still counts, so that an unsecured `alg: none` token is refused by
 * the JWT verifier with a precise reason rather than passed on to another verifier.
 */
function isCompactJws(token: string): boolean {
  const a = token.indexOf('.');
  if (a < 1) return false;
  const b = token.indexOf('.', a + 2);
  return b > 0 && token.indexOf('.', b + 1) < 0;
}
