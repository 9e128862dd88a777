/**
 * The few JSON-RPC messages the load clients speak, prebuilt as strings: the harness must not
 * be the bottleneck it measures, so a request is two string concatenations, not a
 * JSON.stringify of a fresh object.
 */
import { ErrorCode } from '../mcp/jsonrpc.js';
import type { ErrorKind } from './report.js';

/** The MCP protocol version the load clients announce. */
export const PROTOCOL_VERSION = '2025-06-18';

/** The text every load request asks the `echo` tool to send back. */
export const ECHO_MESSAGE = 'erlmcp-load';

/** Handshake requests use this string id so they never collide with the numeric load ids. */
export const INIT_ID = 'init';

/** The initialize request. */
export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: INIT_ID,
  method: 'initialize',
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'erlmcp-load', version: '1' },
  },
});

/** The notification that completes the handshake. */
export const INITIALIZED_BODY = '{"jsonrpc":"2.0","method":"notifications/initialized"}';

const CALL_PREFIX = '{"jsonrpc":"2.0","id":';
const CALL_SUFFIX = `,"method":"tools/call","params":{"name":"echo","arguments":{"message":${JSON.stringify(ECHO_MESSAGE)}}}}`;

/** A tools/call of `echo` with numeric id `id`. */
export function callBody(id: number): string {
  return CALL_PREFIX + id + CALL_SUFFIX;
}

/** A parsed JSON-RPC response as far as the harness reads it. */
export interface WireResponse {
  id?: unknown;
  result?: { content?: Array<{ text?: unknown }> };
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** Kind of a JSON-RPC error code (docs/errors.md): backpressure codes by name, the rest protocol. */
export function errorKindOf(code: unknown): ErrorKind {
  switch (code) {
    case ErrorCode.RATE_LIMITED:
      return 'rate_limited';
    case ErrorCode.SHARD_OVERLOADED:
    case ErrorCode.GLOBAL_OVERLOADED:
      return 'overloaded';
    case ErrorCode.CIRCUIT_OPEN:
      return 'circuit_open';
    case ErrorCode.REQUEST_TIMEOUT:
      return 'timeout';
    // The session (or the connection under it) is going away: the request failed in transit.
    case ErrorCode.CONNECTION_CLOSED:
    case ErrorCode.SESSION_CLOSING:
      return 'transport';
    default:
      return 'protocol';
  }
}

/**
 * Outcome of one load answer: 'ok' when `echo` sent the text back, an error kind otherwise (a
 * result that is not the echo is a protocol error: the server answered something else).
 */
export function outcomeOf(msg: WireResponse): ErrorKind | 'ok' {
  if (msg.error !== undefined) return errorKindOf(msg.error?.code);
  return msg.result?.content?.[0]?.text === ECHO_MESSAGE ? 'ok' : 'protocol';
}

/** Kind of an HTTP status answering a load POST without a JSON-RPC body. */
export function httpStatusKind(status: number): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  return 'transport';
}

/** True when a JSON-RPC error answering initialize means "the server is full", not a failure. */
export function isRefusalCode(code: unknown): boolean {
  return code === ErrorCode.GLOBAL_OVERLOADED || code === ErrorCode.SHARD_OVERLOADED || code === ErrorCode.RATE_LIMITED;
}
