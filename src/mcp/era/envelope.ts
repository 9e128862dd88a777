/**
 * The 2026-07-28 request envelope (SEP-2575): every request carries its protocol version, the
 * client's capabilities and optionally its identity and log level in `params._meta`. A request
 * that claims the envelope (its `_meta` has the protocol-version key) is served statelessly;
 * one without a claim belongs to a 2025 session. A claim whose required keys are missing or
 * malformed is -32602 (HTTP 400); a version we do not speak is -32022 (HTTP 400).
 */

import { ErrorCode, McpError } from '../jsonrpc.js';
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROTOCOL_VERSION } from '../meta-keys.js';
import type { ClientCapabilities, Implementation, LoggingLevel, RequestEnvelope } from '../types.js';
import { LOGGING_LEVELS } from '../types.js';
import { isModernVersion, MODERN_PROTOCOL_VERSIONS } from '../versions.js';

type Meta = Record<string, unknown>;

function metaOf(params: Record<string, unknown> | undefined): Meta | undefined {
  const meta = params?._meta;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Meta) : undefined;
}

/** True when the request's `_meta` claims the 2026 envelope (the protocol-version key is present). */
export function claimsEnvelope(params: Record<string, unknown> | undefined): boolean {
  const meta = metaOf(params);
  return meta !== undefined && META_PROTOCOL_VERSION in meta;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** -32602, answered with HTTP 400 (a malformed envelope is a malformed request, not a handler error). */
export function envelopeError(detail: string): McpError {
  return new McpError(ErrorCode.INVALID_PARAMS, `Invalid _meta envelope: ${detail}`, undefined, { httpStatus: 400 });
}

/** -32022 with the versions we do speak; HTTP 400. */
export function unsupportedVersion(requested: unknown): McpError {
  return new McpError(
    ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
    `Unsupported protocol version: ${String(requested)}`,
    { supported: [...MODERN_PROTOCOL_VERSIONS], requested },
    { httpStatus: 400 },
  );
}

/**
 * Checks the values of an envelope whose required keys are present: a version we speak,
 * capabilities an object, clientInfo and logLevel well formed (-32022 / -32602).
 */
export function checkEnvelopeValues(meta: Record<string, unknown>): McpError | undefined {
  const version = meta[META_PROTOCOL_VERSION];
  if (typeof version !== 'string') return envelopeError(`${META_PROTOCOL_VERSION} must be a string`);
  if (!isModernVersion(version)) return unsupportedVersion(version);
  if (!isObject(meta[META_CLIENT_CAPABILITIES])) return envelopeError(`${META_CLIENT_CAPABILITIES} must be an object`);
  const info = meta[META_CLIENT_INFO];
  if (info !== undefined && !(isObject(info) && typeof info.name === 'string' && typeof info.version === 'string')) {
    return envelopeError(`${META_CLIENT_INFO} must be {name, version} strings`);
  }
  const level = meta[META_LOG_LEVEL];
  if (level !== undefined && !LOGGING_LEVELS.includes(level as LoggingLevel)) {
    return envelopeError(`${META_LOG_LEVEL} must be one of ${LOGGING_LEVELS.join(', ')}`);
  }
  return undefined;
}

/**
 * Checks a request's envelope (body only: what stdio and WebSocket carry); returns the error
 * to answer, or undefined when it is valid. Missing required keys are reported before an
 * unsupported version, so that a client that forgot a key learns that first.
 */
export function checkEnvelope(params: Record<string, unknown> | undefined): McpError | undefined {
  const meta = metaOf(params);
  if (meta === undefined) {
    return envelopeError(params?._meta === undefined ? '_meta is missing' : '_meta must be an object');
  }
  const missing: string[] = [];
  if (!(META_PROTOCOL_VERSION in meta)) missing.push(META_PROTOCOL_VERSION);
  if (!(META_CLIENT_CAPABILITIES in meta)) missing.push(META_CLIENT_CAPABILITIES);
  if (missing.length > 0) return envelopeError(`${missing.join(', ')}: missing`);
  return checkEnvelopeValues(meta);
}

/** The envelope of a request {@link checkEnvelope} accepted. */
export function readEnvelope(params: Record<string, unknown> | undefined): RequestEnvelope {
  const meta = metaOf(params) as Meta;
  const env: RequestEnvelope = {
    protocolVersion: meta[META_PROTOCOL_VERSION] as string,
    clientCapabilities: meta[META_CLIENT_CAPABILITIES] as ClientCapabilities,
  };
  const info = meta[META_CLIENT_INFO];
  if (info !== undefined) env.clientInfo = info as Implementation;
  const level = meta[META_LOG_LEVEL];
  if (level !== undefined) env.logLevel = level as LoggingLevel;
  return env;
}
