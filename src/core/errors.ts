/**
 * Errors thrown by erlmcp in-process (never sent on the wire: JSON-RPC errors are a separate
 * class in the MCP layer). Every error carries a stable string `code`; docs/errors.md lists
 * them. Native errors from the Rust core are plain `Error`s with the same `code` convention.
 */

/** Every error code erlmcp's core can throw. */
export type ErrorCode =
  | 'ERR_INVALID_ARG'
  | 'ERR_INVALID_HANDLE'
  | 'ERR_INVALID_SHARD'
  | 'ERR_OPTIONS_MISMATCH'
  | 'ERR_RELEASE_UNDERFLOW'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_PANIC'
  | 'ERR_NATIVE'
  | 'ERR_LISTEN'
  // MCP layer (src/mcp, src/transports)
  | 'ERR_NOT_CONNECTED'
  | 'ERR_CONNECTION_CLOSED'
  | 'ERR_ALREADY_STARTED'
  | 'ERR_ALREADY_REGISTERED'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_SLOW_CONSUMER'
  | 'ERR_NOTIFICATION_FLOOD'
  | 'ERR_TRANSPORT'
  | 'ERR_HTTP_STATUS'
  | 'ERR_CAPABILITY'
  | 'ERR_TIMEOUT'
  | 'ERR_INPUT_PENDING'
  // MCP client, both protocol eras (src/mcp/client)
  | 'ERR_ERA_NEGOTIATION'
  | 'ERR_UNSUPPORTED_IN_ERA'
  | 'ERR_INVALID_RESULT'
  | 'ERR_INPUT_UNSUPPORTED'
  | 'ERR_INPUT_ROUNDS_EXCEEDED'
  | 'ERR_TASK_CANCELLED'
  | 'ERR_SUBSCRIPTION_CLOSED'
  // Legacy registry API (src/legacy)
  | 'ERR_HANDLES_EXHAUSTED'
  | 'ERR_NOT_SERIALIZABLE'
  // Supervision (src/supervision)
  | 'ERR_SUPERVISOR_SHUTDOWN'
  | 'ERR_SUPERVISOR_NOT_RUNNING'
  | 'ERR_CHILD_ALREADY_PRESENT'
  | 'ERR_CHILD_NOT_FOUND'
  | 'ERR_CHILD_RUNNING'
  | 'ERR_CHILD_START'
  // Configuration (src/config)
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_FILE'
  // Authorization (src/auth)
  | 'ERR_AUTH_CONFIG'
  // Operations (src/ops) and the load harness (src/load)
  | 'ERR_FD_LIMIT'
  | 'ERR_LOAD_OPTIONS'
  | 'ERR_LOAD_TARGET'
  | 'ERR_REPORT_INVALID'
  // client-side authorization
  | 'ERR_AUTH_TOKEN'
  // Worker threads (src/workers)
  | 'ERR_WORKER_UNAVAILABLE'
  | 'ERR_WORKER_CALL'
  | 'ERR_WORKER_START'
  // Cluster (src/cluster)
  | 'ERR_CLUSTER_UNAVAILABLE'
  | 'ERR_CLUSTER_NODE_ID';

/** An error with a stable `code`. */
export class ErlmcpError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ErlmcpError';
    this.code = code;
  }
}

/** True when `err` is an Error carrying `code` (or any erlmcp code when `code` is omitted). */
export function hasErrorCode(err: unknown, code?: ErrorCode): err is Error & { code: ErrorCode } {
  if (!(err instanceof Error)) return false;
  const c = (err as { code?: unknown }).code;
  return code === undefined ? typeof c === 'string' && c.startsWith('ERR_') : c === code;
}

/** @internal */
export function invalidArg(message: string): ErlmcpError {
  return new ErlmcpError('ERR_INVALID_ARG', message);
}

/** @internal Throws ERR_INVALID_ARG unless `value` is a string. */
export function assertString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidArg(`${name} must be a string, got ${typeof value}`);
}

/** @internal Throws ERR_INVALID_ARG unless `value` is an integer in `min..max`. */
export function assertInt(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArg(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

/** Largest valid handle: handles are unsigned 31-bit so -1 can mean "missing" in an Int32Array. */
export const MAX_HANDLE = 0x7fffffff;

/** @internal Throws ERR_INVALID_HANDLE unless `handle` is an unsigned 31-bit integer. */
export function assertHandle(handle: unknown): asserts handle is number {
  if (typeof handle !== 'number' || !Number.isInteger(handle) || handle < 0 || handle > MAX_HANDLE) {
    throw new ErlmcpError('ERR_INVALID_HANDLE', `handle must be an integer in 0..${MAX_HANDLE}, got ${String(handle)}`);
  }
}
