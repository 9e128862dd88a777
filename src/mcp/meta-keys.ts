/**
 * Reserved `_meta` keys and extension ids of MCP 2026-07-28 (spec: basic/index.mdx, "Reserved
 * keys"; SEP-2663 for the Tasks extension). One place, so that server, client and tests spell
 * them the same way.
 */

/** Request `_meta`: the protocol version of this request (required in the 2026 era). */
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
/** Request `_meta`: the client's capabilities for this request (required in the 2026 era). */
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
/** Request `_meta`: the client's name and version (optional). */
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
/** Request `_meta`: the lowest log level to send for this request (optional; no logs without it). */
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
/** Result `_meta`: the server's name and version. */
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
/** Notification `_meta` on a `subscriptions/listen` stream: the JSON-RPC id of the listen request. */
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** The Tasks extension (SEP-2663), as it appears in `capabilities.extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
