import type { BucketOptions } from '../core/bucket.js';
import type { ApiKeyEntry } from './api-keys.js';
import { authConfigError } from './config-error.js';

/**
 * The one-line forms the configuration (a file, ERLMCP_AUTH_* variables, flags) gives API keys
 * and principal buckets in, so that they fit a comma-separated environment variable.
 */

/** `id:sha256hex` or `id:sha256hex:scope scope ...` -> an {@link ApiKeyEntry}. */
export function parseApiKeyEntry(text: string): ApiKeyEntry {
  const first = text.indexOf(':');
  const second = first === -1 ? -1 : text.indexOf(':', first + 1);
  const id = first === -1 ? '' : text.slice(0, first);
  const sha256 = first === -1 ? '' : text.slice(first + 1, second === -1 ? undefined : second);
  if (id === '' || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw authConfigError(
      `auth.apiKeys entry ${JSON.stringify(text.slice(0, 80))} must be "id:sha256hex" or "id:sha256hex:scope scope ..." (64 hex digits: erlmcp hash-key KEY)`,
    );
  }
  const scopes =
    second === -1
      ? []
      : text
          .slice(second + 1)
          .split(/\s+/)
          .filter((s) => s !== '');
  return scopes.length === 0 ? { id, sha256 } : { id, sha256, scopes };
}

/** `PRINCIPAL_KEY=capacity/refillPerSec` entries -> GateOptions.principalBuckets. */
export function parsePrincipalBuckets(entries: readonly string[]): Record<string, BucketOptions> {
  const out: Record<string, BucketOptions> = {};
  for (const text of entries) {
    // The key may itself contain '=' (an issuer URL with a query is not allowed, but be exact):
    // the bucket is after the last one.
    const eq = text.lastIndexOf('=');
    const m = eq === -1 ? null : /^(\d+)\/(\d+)$/.exec(text.slice(eq + 1));
    const key = eq === -1 ? '' : text.slice(0, eq);
    if (m === null || key === '') {
      throw authConfigError(
        `auth.principalBuckets entry ${JSON.stringify(text)} must be "PRINCIPAL_KEY=capacity/refillPerSec", e.g. "https://auth.example.com|ci-bot=5000/50000"`,
      );
    }
    out[key] = { capacity: Number(m[1]), refillPerSec: Number(m[2]) };
  }
  return out;
}
