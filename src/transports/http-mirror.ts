import { encodeHeaderValue, MCP_NAME_SOURCE } from '../mcp/header-value.js';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import { META_PROTOCOL_VERSION } from '../mcp/meta-keys.js';
import { isModernVersion } from '../mcp/versions.js';

/**
 * The request headers MCP 2026-07-28 Streamable HTTP mirrors from the JSON-RPC body (SEP-2243,
 * basic/transports/streamable-http.mdx "Standard Request Headers"; SEP-2663 for tasks/*), so
 * that load balancers and gateways can route without parsing the body.
 */

/**
 * The protocol version a message claims in its 2026 envelope (`params._meta`), when it is
 * a modern one: such a message is sent the 2026 way, whatever the transport was told before
 * (the `server/discover` probe goes out before any version is settled).
 */
export function modernVersionOf(message: JsonRpcMessage): string | undefined {
  if (!('method' in message)) return undefined;
  const meta = message.params?._meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const v = (meta as Record<string, unknown>)[META_PROTOCOL_VERSION];
  return isModernVersion(v) ? (v as string) : undefined;
}

/**
 * `MCP-Protocol-Version`, `Mcp-Method` and, where the method has one, `Mcp-Name` for a
 * message sent in the 2026 era. `version` is the envelope's (requests) or the transport's
 * (notifications, which carry no envelope). Names and URIs that are not safe plain ASCII are
 * base64-encoded as the spec requires.
 */
export function mirroredHeaders(message: JsonRpcMessage, version: string): Record<string, string> {
  const h: Record<string, string> = { 'mcp-protocol-version': version };
  if (!('method' in message)) return h;
  h['mcp-method'] = message.method;
  const field = MCP_NAME_SOURCE[message.method];
  const value = field === undefined ? undefined : message.params?.[field];
  if (typeof value === 'string') h['mcp-name'] = encodeHeaderValue(value);
  return h;
}
