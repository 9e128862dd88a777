import { ErlmcpError, invalidArg } from '../../core/errors.js';
import { META_SERVER_INFO } from '../meta-keys.js';
import type { DiscoverResult, Implementation } from '../types.js';
import { isModernVersion, MODERN_PROTOCOL_VERSIONS } from '../versions.js';
import { classifyProbe, negotiationError, type ProbeOutcome } from './probe.js';
import type { ConnectResult, VersionNegotiation } from './types.js';

/** The default: see docs/client.md, "Choosing the era". */
export const DEFAULT_NEGOTIATION: VersionNegotiation = 'legacy';

/** Checks a `versionNegotiation` option; throws ERR_INVALID_ARG naming what is wrong. */
export function checkNegotiation(mode: unknown): VersionNegotiation {
  if (mode === undefined) return DEFAULT_NEGOTIATION;
  if (mode === 'legacy' || mode === 'auto') return mode;
  if (typeof mode === 'object' && mode !== null && 'pin' in mode) {
    const pin = (mode as { pin: unknown }).pin;
    if (isModernVersion(pin)) return { pin: pin as string };
    throw invalidArg(
      `versionNegotiation.pin must be a 2026-era version this client speaks (${MODERN_PROTOCOL_VERSIONS.join(', ')}), got ${JSON.stringify(pin)}; for 2025-era servers use 'legacy'`,
    );
  }
  throw invalidArg(`versionNegotiation must be 'legacy', 'auto' or { pin: version }, got ${JSON.stringify(mode)}`);
}

export interface Modern {
  version: string;
  discover: DiscoverResult;
}

/**
 * Settles the era with `server/discover` probes: resolves with the modern version and the
 * discovery, or undefined to fall back to `initialize` (`auto` only). A -32022 naming a
 * version both sides speak is probed again once, with that version. Pinned, anything but a
 * modern answer at exactly the pinned version fails with ERR_ERA_NEGOTIATION.
 */
export async function negotiate(
  mode: 'auto' | { pin: string },
  http: boolean,
  probe: (version: string) => Promise<ProbeOutcome>,
): Promise<Modern | undefined> {
  const versions = typeof mode === 'object' ? [mode.pin] : MODERN_PROTOCOL_VERSIONS;
  let version = versions[0] as string;
  let retried = false;
  for (;;) {
    const verdict = classifyProbe(await probe(version), { http, versions });
    switch (verdict.kind) {
      case 'modern':
        return { version: verdict.version, discover: verdict.discover };
      case 'retry':
        if (retried) throw negotiationError(`the server refused protocol version ${verdict.version} it had offered`);
        retried = true;
        version = verdict.version;
        continue;
      case 'fail':
        throw verdict.error;
      case 'legacy':
        if (typeof mode === 'object') {
          throw negotiationError(
            `versionNegotiation is pinned to ${mode.pin} (no fallback), but the server did not take it: ${verdict.reason}`,
          );
        }
        return undefined;
    }
  }
}

/** ERR_UNSUPPORTED_IN_ERA for a call the negotiated era does not have. */
export function notInEra(what: string, era: string, instead: string): ErlmcpError {
  return new ErlmcpError('ERR_UNSUPPORTED_IN_ERA', `${what} does not exist in the ${era} era: ${instead}`);
}

/** What `connect()` says of a modern server: its discovery, in the shape of the 2025 handshake's answer. */
export function connectResultOf(version: string, d: DiscoverResult): ConnectResult {
  const info = d._meta?.[META_SERVER_INFO] as Implementation | undefined;
  const out: ConnectResult = {
    era: 'modern',
    protocolVersion: version,
    capabilities: d.capabilities ?? {},
    // The spec makes serverInfo a SHOULD; an anonymous server is named '' rather than guessed.
    serverInfo: typeof info?.name === 'string' ? info : { name: '', version: '' },
    supportedVersions: d.supportedVersions,
  };
  if (typeof d.instructions === 'string') out.instructions = d.instructions;
  return out;
}
