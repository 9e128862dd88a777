/**
 * MCP protocol versions erlmcp speaks. Two eras: the 2025 era (an `initialize` handshake opens
 * a session; 2024-11-05 is what many deployed clients still send) and the 2026 era
 * (2026-07-28: stateless, every request carries its protocol version in `params._meta`).
 */

/** The newest version of the 2025 (session) era: what `initialize` answers by default. */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

/** The 2025-era versions, newest first: the ones `initialize` accepts. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** The current specification: the 2026 (stateless) era. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The 2026-era versions a request envelope may name, newest first. */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];

/**
 * The version to answer an `initialize` with: the client's when we speak it, else our latest
 * (the spec lets the client disconnect if it cannot speak that one).
 */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** True when `version` is a 2025-era version erlmcp speaks. */
export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

/** True when `version` is a 2026-era version erlmcp speaks. */
export function isModernVersion(version: unknown): boolean {
  return typeof version === 'string' && MODERN_PROTOCOL_VERSIONS.includes(version);
}
