/**
 * The OAuth 2.1 resource-server layer: bearer tokens in, {@link Principal}s out. Curated
 * public names; the transports and the Gate use {@link Authenticator}, the pieces are exported
 * for those who compose their own.
 */

export { type ApiKeyEntry, ApiKeyStore, hashApiKey } from './api-keys.js';
export {
  Authenticator,
  type AuthenticatorJwtOptions,
  type AuthenticatorOptions,
} from './authenticator.js';
export {
  type BearerResult,
  DEFAULT_MAX_TOKEN_BYTES,
  parseAuthorization,
  type RawHeadersSource,
  readBearer,
} from './bearer.js';
export { type FailureBody, failureBody, wwwAuthenticate } from './challenge.js';
export type { VerifyFunction } from './custom.js';
export { MISSING_TOKEN } from './failures.js';
export type { VerifiedIdentity } from './identity.js';
export { type IntrospectionOptions, IntrospectionVerifier } from './introspection.js';
export { JwksCache, type JwksCacheOptions, JwksUnavailableError } from './jwks.js';
export { DEFAULT_JWT_ALGORITHMS, JwtVerifier, type JwtVerifierOptions } from './jwt.js';
export {
  buildResourceMetadata,
  type ProtectedResourceMetadata,
  type ResourceMetadataLocation,
  type ResourceMetadataOptions,
  resourceMetadataLocation,
  WELL_KNOWN_PATH,
} from './metadata.js';
export type { PrincipalKeyMode } from './principal-key.js';
export { checkScopes, declaredScopes } from './scope-check.js';
export { TokenCache, type TokenCacheOptions } from './token-cache.js';
export type {
  AuthChallenge,
  AuthFailure,
  AuthMethod,
  AuthOutcome,
  Principal,
  RequestAuthenticator,
} from './types.js';
