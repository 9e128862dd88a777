/**
 * The 2026-07-28 request envelope (basic/index.mdx, "Per-request protocol fields"): what every
 * modern request says in `params._meta` about the client, since no handshake said it before.
 */
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROTOCOL_VERSION } from '../meta-keys.js';
import type { ClientCapabilities, Implementation, LoggingLevel } from '../types.js';

export interface EnvelopeFields {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation;
  /** Only when the user set one: without it a modern server sends no log messages. */
  logLevel?: LoggingLevel;
}

/** The reserved `_meta` keys of one request. */
export function envelopeMeta(fields: EnvelopeFields): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    [META_PROTOCOL_VERSION]: fields.protocolVersion,
    [META_CLIENT_CAPABILITIES]: fields.clientCapabilities,
    [META_CLIENT_INFO]: fields.clientInfo,
  };
  if (fields.logLevel !== undefined) meta[META_LOG_LEVEL] = fields.logLevel;
  return meta;
}

/**
 * `params` with the envelope merged into its `_meta`. The envelope's keys win over the
 * caller's: they describe this client, and a stale copy would make the server see another.
 */
export function withEnvelope(
  params: Record<string, unknown> | undefined,
  meta: Record<string, unknown>,
): Record<string, unknown> {
  const own = params?._meta;
  const merged = typeof own === 'object' && own !== null ? { ...(own as Record<string, unknown>), ...meta } : meta;
  return { ...params, _meta: merged };
}

/** Handlers and options that decide what the client declares. */
export interface CapabilitySources {
  declared: ClientCapabilities | undefined;
  sampling: boolean;
  elicitation: boolean;
  roots: boolean;
  /** Extensions to declare (modern era only: the 2025 handshake has no extensions). */
  extensions: Record<string, object> | undefined;
}

/** The capabilities a request (modern) or the handshake (legacy) declares. */
export function clientCapabilities(src: CapabilitySources): ClientCapabilities {
  const caps: ClientCapabilities = { ...src.declared };
  if (src.sampling) caps.sampling ??= {};
  if (src.elicitation) caps.elicitation ??= {};
  if (src.roots) caps.roots ??= { listChanged: true };
  if (src.extensions !== undefined && Object.keys(src.extensions).length > 0) {
    const own = caps.extensions as Record<string, object> | undefined;
    caps.extensions = { ...own, ...src.extensions };
  }
  return caps;
}
