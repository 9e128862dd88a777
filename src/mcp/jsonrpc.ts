/**
 * JSON-RPC 2.0 wire types, error codes and message classification. Everything on the wire goes
 * through here; nothing in this file knows about MCP methods.
 */

/** A request id: JSON-RPC allows strings and numbers (MCP forbids null on requests). */
export type RequestId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResult {
  jsonrpc: '2.0';
  id: RequestId;
  result: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  /** null only when the request's id could not be read (parse error, invalid request). */
  id: RequestId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResult | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/**
 * Wire error codes. The standard JSON-RPC ones, the MCP ones (-32002 in the 2025 era; -32020..
 * -32022 defined by MCP 2026-07-28, which reserves -32020..-32099 for the specification), and
 * erlmcp's backpressure and lifecycle codes in the implementation-defined range -32000..-32019
 * (docs/errors.md). -32000 and -32001 keep the meanings the official SDK gives them.
 */
export const ErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The connection closed before the response arrived (client side). */
  CONNECTION_CLOSED: -32000,
  /** The request timed out (client side, or a server handler over its deadline). */
  REQUEST_TIMEOUT: -32001,
  /** MCP: resources/read of a URI no resource or template serves. */
  RESOURCE_NOT_FOUND: -32002,
  /** The session's token bucket is empty; `data.retryAfterMs` says when a token is back. */
  RATE_LIMITED: -32010,
  /** The session's registry shard holds its maximum of in-flight requests. */
  SHARD_OVERLOADED: -32011,
  /** The whole server holds its maximum of in-flight requests. */
  GLOBAL_OVERLOADED: -32012,
  /** The global circuit breaker is open after repeated handler failures. */
  CIRCUIT_OPEN: -32013,
  /** The session is closing or the server is shutting down; no new requests are taken. */
  SESSION_CLOSING: -32014,
  /** A message over the transport's size limit (stdio; HTTP answers 413, WebSocket 1009). */
  MESSAGE_TOO_LARGE: -32015,
  /**
   * The caller's token lacks scopes the tool, prompt or resource requires; `data.scope` lists
   * them. HTTP answers 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` (step-up).
   */
  INSUFFICIENT_SCOPE: -32016,
  /** MCP 2026-07-28: HTTP headers disagree with the body, or a required one is missing (HTTP 400). */
  HEADER_MISMATCH: -32020,
  /** MCP 2026-07-28: the request needs a capability the client did not declare (HTTP 400). */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** MCP 2026-07-28: the request names a protocol version the server does not speak (HTTP 400). */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that mean "overloaded, try again": HTTP maps them to 429/503 with Retry-After. */
export function isBackpressureCode(code: number): boolean {
  return code <= ErrorCode.RATE_LIMITED && code >= ErrorCode.SESSION_CLOSING;
}

/**
 * A JSON-RPC error to put on the wire, thrown by handlers or raised by the protocol layer.
 * Separate from `ErlmcpError` (local, in-process errors): this one is answered to the peer.
 */
export class McpError extends Error {
  readonly code: number;
  readonly data: unknown;
  /**
   * The HTTP status a Streamable HTTP transport answers this error with, when the code alone
   * does not decide it (e.g. a malformed 2026 request envelope is -32602 with 400, while a
   * handler's -32602 travels in-band with 200). Undefined: the transport maps the code.
   */
  readonly httpStatus: number | undefined;

  constructor(code: number, message: string, data?: unknown, options?: { httpStatus?: number }) {
    super(message);
    this.name = 'McpError';
    this.code = code;
    this.data = data;
    this.httpStatus = options?.httpStatus;
  }

  toJSON(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

/** The answer to bytes that are not JSON (or not UTF-8): id null, as JSON-RPC requires. */
export function parseErrorResponse(detail: string): JsonRpcErrorResponse {
  return errorResponse(null, ErrorCode.PARSE_ERROR, `Parse error: ${detail}`);
}

/** What an inbound value is, after {@link classify}. */
export const Kind = {
  REQUEST: 0,
  NOTIFICATION: 1,
  RESPONSE: 2,
  INVALID: 3,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

function isValidId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/**
 * Classifies a parsed JSON value. On INVALID, {@link invalidReason} explains why and
 * {@link invalidId} returns the id to answer with (the request's id when it was readable).
 * Checked in this order so that the common case (a well-formed request) costs four property
 * reads.
 */
export function classify(msg: unknown): Kind {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return Kind.INVALID;
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return Kind.INVALID;
  const method = m.method;
  if (method !== undefined) {
    if (typeof method !== 'string') return Kind.INVALID;
    const params = m.params;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return Kind.INVALID;
    }
    if (!('id' in m)) return Kind.NOTIFICATION;
    return isValidId(m.id) ? Kind.REQUEST : Kind.INVALID;
  }
  if (!isValidId(m.id) && m.id !== null) return Kind.INVALID;
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return Kind.INVALID;
  if (hasError) {
    const e = m.error as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || typeof e.code !== 'number' || typeof e.message !== 'string') {
      return Kind.INVALID;
    }
  }
  return Kind.RESPONSE;
}

/** Why {@link classify} said INVALID, for the error message. */
export function invalidReason(msg: unknown): string {
  if (Array.isArray(msg)) return 'batches are not supported (MCP 2025-06-18 removed JSON-RPC batching)';
  if (typeof msg !== 'object' || msg === null) return 'a message must be a JSON object';
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0"';
  if (m.method !== undefined) {
    if (typeof m.method !== 'string') return '"method" must be a string';
    const p = m.params;
    if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) {
      return '"params" must be an object';
    }
    return '"id" must be a string or a finite number';
  }
  if ('result' in m && 'error' in m) return 'a response cannot carry both "result" and "error"';
  if ('result' in m || 'error' in m) return 'malformed response';
  return 'a message needs "method" (request or notification) or "result"/"error" (response)';
}

/** The id to answer an INVALID message with: its own id when that id is usable, else null. */
export function invalidId(msg: unknown): RequestId | null {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return null;
  const id = (msg as Record<string, unknown>).id;
  return isValidId(id) ? id : null;
}

/**
 * A result serialized ahead of time (a list page, a discover result): transports splice `json`
 * into the response instead of stringifying the same object again for every request. `value`
 * is the same result as an object, for transports that stringify whole messages themselves
 * (JSON.stringify calls toJSON).
 */
export class RawResult {
  readonly json: string;
  readonly value: Record<string, unknown>;

  constructor(value: Record<string, unknown>) {
    this.value = value;
    this.json = JSON.stringify(value);
  }

  toJSON(): Record<string, unknown> {
    return this.value;
  }
}

/**
 * A handler's result plus fixed members the protocol adds to every result (the 2026 era's
 * `resultType` and `_meta` serverInfo), added while serializing: one JSON.stringify of the
 * handler's object and a string splice, instead of copying every result into a new object
 * first. `members` is the JSON of the added members without braces (`"a":1,"b":2`); the
 * handler's result must not have those members itself (the caller checks).
 */
export class DressedResult {
  readonly base: Record<string, unknown>;
  readonly members: string;
  readonly #extra: Record<string, unknown>;

  constructor(base: Record<string, unknown>, members: string, extra: Record<string, unknown>) {
    this.base = base;
    this.members = members;
    this.#extra = extra;
  }

  /** The result's JSON text. */
  get json(): string {
    const b = JSON.stringify(this.base);
    // A base whose own toJSON yields no object cannot take members: serialize the merged copy.
    if (b === undefined || b.charCodeAt(0) !== 0x7b) return JSON.stringify(this.value);
    return b.length <= 2 ? `{${this.members}}` : `${b.slice(0, -1)},${this.members}}`;
  }

  /** The result as one object, as RawResult has it (custom transports inspect results this way). */
  get value(): Record<string, unknown> {
    return { ...this.base, ...this.#extra };
  }

  toJSON(): Record<string, unknown> {
    return this.value;
  }
}

/** The wire text of a message; a {@link RawResult} or {@link DressedResult} is spliced in. */
export function encodeMessage(message: JsonRpcMessage): string {
  const result = (message as { result?: unknown }).result;
  if (result instanceof RawResult || result instanceof DressedResult) {
    return `{"jsonrpc":"2.0","id":${JSON.stringify((message as JsonRpcResult).id)},"result":${result.json}}`;
  }
  return JSON.stringify(message);
}
