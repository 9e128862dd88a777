/**
 * MCP protocol versions erlmcp speaks, newest first. 2024-11-05 is what many deployed clients
 * (and the official SDK's older releases) still send; 2025-11-25 is current.
 */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/**
 * The version to answer an `initialize` with: the client's when we speak it, else our latest
 * (the spec lets the client disconnect if it cannot speak that one).
 */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** True when `version` is one erlmcp speaks. */
export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}
