/**
 * The validation ladder of a 2026-07-28 request, in the order the specification and the
 * conformance suite expect: a malformed envelope (-32602), then the HTTP headers against the
 * body (-32020), then the protocol version (-32022), then the envelope's optional fields, the
 * standard routing headers and a tool's `Mcp-Param-*` headers. Headers are checked only when
 * the request came in its own HTTP POST (stdio and WebSocket have no per-request headers).
 */

import type { McpError } from '../jsonrpc.js';
import { META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION } from '../meta-keys.js';
import { checkEnvelopeValues, envelopeError } from './envelope.js';
import { checkParamHeaders, checkStandardHeaders, checkVersionHeader, type HeaderParam } from './http-headers.js';

type Headers = Record<string, string | string[] | undefined>;

/** The `x-mcp-header` parameters of a tool, undefined when it has none (or does not exist). */
export type HeaderParamsOf = (toolName: string) => readonly HeaderParam[] | undefined;

function metaOf(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const m = params?._meta;
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Record<string, unknown>) : undefined;
}

/** The error to answer a 2026 request with, or undefined when it may be served. */
export function checkModernRequest(
  method: string,
  params: Record<string, unknown> | undefined,
  headers: Headers | undefined,
  headerParams: HeaderParamsOf,
): McpError | undefined {
  const meta = metaOf(params);
  if (meta === undefined) {
    return envelopeError(params?._meta === undefined ? '_meta is missing' : '_meta must be an object');
  }
  const hasVersion = META_PROTOCOL_VERSION in meta;
  const hasCaps = META_CLIENT_CAPABILITIES in meta;
  if (!hasVersion || !hasCaps) {
    const missing = [hasVersion ? '' : META_PROTOCOL_VERSION, hasCaps ? '' : META_CLIENT_CAPABILITIES];
    return envelopeError(`${missing.filter(Boolean).join(', ')}: missing`);
  }
  // A required key of the wrong type is as malformed as a missing one: rung 1 too.
  if (typeof meta[META_PROTOCOL_VERSION] !== 'string')
    return envelopeError(`${META_PROTOCOL_VERSION} must be a string`);
  const caps = meta[META_CLIENT_CAPABILITIES];
  if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) {
    return envelopeError(`${META_CLIENT_CAPABILITIES} must be an object`);
  }
  if (headers !== undefined) {
    const v = checkVersionHeader(headers, meta[META_PROTOCOL_VERSION]);
    if (v) return v;
  }
  const bad = checkEnvelopeValues(meta);
  if (bad) return bad;
  if (headers === undefined) return undefined;
  const h = checkStandardHeaders(headers, method, params);
  if (h) return h;
  if (method === 'tools/call' && typeof params?.name === 'string') {
    const list = headerParams(params.name);
    if (list !== undefined && list.length > 0) return checkParamHeaders(list, params.arguments, headers);
  }
  return undefined;
}
