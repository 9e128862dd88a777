import { createHash, timingSafeEqual } from 'node:crypto';
import { uniqueScopes } from './claims.js';
import { assertNonEmpty, authConfigError } from './config-error.js';
import type { VerifiedIdentity } from './identity.js';

/** One static API key, as configured: the key itself is never stored, only its SHA-256. */
export interface ApiKeyEntry {
  /** Names the key (logs, limits): becomes the principal's client id. Unique. */
  readonly id: string;
  /** Hex SHA-256 of the key ({@link hashApiKey}); case-insensitive. Unique. */
  readonly sha256: string;
  /** The principal's subject. Default: none. */
  readonly subject?: string;
  /** The scopes the key grants. Default: none. */
  readonly scopes?: readonly string[];
}

/**
 * The hex SHA-256 of an API key: what goes into the configuration (`apiKeys[].sha256`). The
 * key is presented as a bearer token, so it must be an RFC 6750 b64token (letters, digits,
 * `-._~+/`, trailing `=`), e.g. 32 random bytes in base64url.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface StoredKey {
  readonly digest: Buffer;
  readonly identity: VerifiedIdentity;
}

/**
 * Static API keys for small deployments. A presented token is hashed and looked up by its
 * digest, so the configuration holds nothing an attacker could replay, and the Map lookup
 * compares digests, not keys: its timing reveals nothing about a key. The final comparison
 * uses `timingSafeEqual` anyway, so the guarantee does not rest on Map internals.
 */
export class ApiKeyStore {
  readonly #byHash = new Map<string, StoredKey>();

  /** @throws ErlmcpError ERR_AUTH_CONFIG on a malformed, duplicate id or duplicate hash entry. */
  constructor(entries: readonly ApiKeyEntry[]) {
    const ids = new Set<string>();
    for (const [i, e] of entries.entries()) {
      assertNonEmpty(`apiKeys[${i}].id`, e.id);
      if (ids.has(e.id)) throw authConfigError(`apiKeys[${i}].id ${JSON.stringify(e.id)} is listed twice`);
      ids.add(e.id);
      if (typeof e.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.sha256)) {
        throw authConfigError(
          `apiKeys[${i}].sha256 must be 64 hex digits (hashApiKey(key)), for id ${JSON.stringify(e.id)}`,
        );
      }
      const hex = e.sha256.toLowerCase();
      if (this.#byHash.has(hex))
        throw authConfigError(`apiKeys[${i}] (id ${JSON.stringify(e.id)}) repeats another key's sha256`);
      if (e.scopes !== undefined && !e.scopes.every((s) => typeof s === 'string')) {
        throw authConfigError(`apiKeys[${i}].scopes must be strings`);
      }
      this.#byHash.set(hex, {
        digest: Buffer.from(hex, 'hex'),
        identity: Object.freeze({
          subject: e.subject,
          clientId: e.id,
          scopes: uniqueScopes(e.scopes ?? []),
          claims: Object.freeze({}),
          expiresAt: undefined,
        }),
      });
    }
  }

  /** Number of configured keys. */
  get size(): number {
    return this.#byHash.size;
  }

  /** The identity of the key `token` is, or undefined when it is none of them. */
  lookup(token: string): VerifiedIdentity | undefined {
    if (this.#byHash.size === 0) return undefined;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    const stored = this.#byHash.get(digest.toString('hex'));
    if (stored === undefined || !timingSafeEqual(stored.digest, digest)) return undefined;
    return stored.identity;
  }
}
