/**
 * What the answer to a `server/discover` probe says about the server's era. Pure: the rules of
 * basic/versioning.mdx and the "Backward Compatibility" sections of streamable-http.mdx and
 * stdio.mdx, kept apart from the I/O so every row is testable.
 *
 * HTTP: a recognised modern error (-32022, -32021, -32020, or -32601 with status 404) means a
 * modern server; any other 4xx or JSON-RPC error means legacy; 401/403, 5xx, timeouts and
 * network failures are not era evidence and fail the connect as they are.
 * stdio and WebSocket: a DiscoverResult or a modern error means modern; any other error, or
 * no answer in time, means legacy.
 */
import { ErlmcpError } from '../../core/errors.js';
import { HttpStatusError } from '../../transports/http-client.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import type { DiscoverResult } from '../types.js';

/** One probe's outcome, as the client observed it. */
export type ProbeOutcome =
  | { kind: 'result'; result: Record<string, unknown> }
  /** A JSON-RPC error answer; `httpStatus` when it came in an HTTP response. */
  | { kind: 'error'; error: McpError; httpStatus?: number }
  /** An HTTP error status without a JSON-RPC error body (`error` is what the transport threw). */
  | { kind: 'http'; status: number; error: Error }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'closed' }
  /** The transport failed (network error and the like). */
  | { kind: 'failed'; error: Error };

export type ProbeVerdict =
  | { kind: 'modern'; version: string; discover: DiscoverResult }
  /** -32022 naming a modern version we also speak: probe again with it. */
  | { kind: 'retry'; version: string }
  | { kind: 'legacy'; reason: string }
  | { kind: 'fail'; error: Error };

export interface ProbeContext {
  /** True on per-request-stream transports (Streamable HTTP): the HTTP rules apply. */
  http: boolean;
  /** The modern versions this client speaks, preferred first. */
  versions: readonly string[];
}

/** Revisions before this one are the legacy (initialize) era, by the spec's definition. */
const FIRST_MODERN_REVISION = '2026-07-28';

/** The modern error codes that identify a 2026-era server. */
const MODERN_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.HEADER_MISMATCH,
  ErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
  ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
]);

export function negotiationError(message: string, cause?: unknown): ErlmcpError {
  return new ErlmcpError('ERR_ERA_NEGOTIATION', message, cause === undefined ? undefined : { cause });
}

/** The verdict on one probe outcome. */
export function classifyProbe(outcome: ProbeOutcome, ctx: ProbeContext): ProbeVerdict {
  switch (outcome.kind) {
    case 'result':
      return classifyResult(outcome.result, ctx);
    case 'error':
      return classifyError(outcome.error, outcome.httpStatus, ctx);
    case 'http':
      return classifyStatus(outcome.status, outcome.error) ?? { kind: 'legacy', reason: `HTTP ${outcome.status}` };
    case 'timeout':
      // On HTTP a deployed server answers: silence is an outage, not a legacy server.
      return ctx.http
        ? {
            kind: 'fail',
            error: new McpError(ErrorCode.REQUEST_TIMEOUT, `server/discover timed out after ${outcome.timeoutMs} ms`),
          }
        : { kind: 'legacy', reason: `no answer to server/discover within ${outcome.timeoutMs} ms` };
    case 'closed':
      return {
        kind: 'fail',
        error: negotiationError(
          'the connection closed during the server/discover probe (a server that exits on an unknown request before initialize needs versionNegotiation: "legacy")',
        ),
      };
    case 'failed':
      return { kind: 'fail', error: outcome.error };
  }
}

/** 401/403 and 5xx: never era evidence. */
function classifyStatus(status: number | undefined, error: Error): ProbeVerdict | undefined {
  if (status === 401 || status === 403) {
    return {
      kind: 'fail',
      error: error instanceof HttpStatusError ? error : new HttpStatusError(status, error.message),
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      kind: 'fail',
      error: negotiationError(`the server failed the server/discover probe with HTTP ${status}`, error),
    };
  }
  return undefined;
}

function classifyResult(result: Record<string, unknown>, ctx: ProbeContext): ProbeVerdict {
  const supported = result.supportedVersions;
  const caps = result.capabilities;
  const shaped =
    Array.isArray(supported) &&
    supported.every((v) => typeof v === 'string') &&
    typeof caps === 'object' &&
    caps !== null &&
    (result.resultType === undefined || result.resultType === 'complete');
  if (!shaped) return { kind: 'legacy', reason: 'server/discover answered something that is not a DiscoverResult' };
  const version = ctx.versions.find((v) => (supported as string[]).includes(v));
  if (version === undefined) {
    return {
      kind: 'legacy',
      reason: `server/discover lists ${JSON.stringify(supported)}, none of which this client speaks`,
    };
  }
  return { kind: 'modern', version, discover: result as unknown as DiscoverResult };
}

function classifyError(error: McpError, httpStatus: number | undefined, ctx: ProbeContext): ProbeVerdict {
  if (ctx.http) {
    const status = classifyStatus(httpStatus, error);
    if (status) return status;
  }
  if (error.code === ErrorCode.UNSUPPORTED_PROTOCOL_VERSION) return classifyUnsupported(error, ctx);
  if (MODERN_ERRORS.has(error.code) || (ctx.http && error.code === ErrorCode.METHOD_NOT_FOUND && httpStatus === 404)) {
    // A modern server that refused discovery: correct the request, do not fall back.
    return {
      kind: 'fail',
      error: negotiationError(
        `the server speaks MCP 2026 but refused server/discover: ${error.code} ${error.message}`,
        error,
      ),
    };
  }
  return { kind: 'legacy', reason: `server/discover answered ${error.code} ${error.message}` };
}

/** -32022: retry with a modern version we share, fall back when it names only legacy ones. */
function classifyUnsupported(error: McpError, ctx: ProbeContext): ProbeVerdict {
  const data = error.data as { supported?: unknown } | undefined;
  const supported = Array.isArray(data?.supported)
    ? data.supported.filter((v): v is string => typeof v === 'string')
    : [];
  const shared = ctx.versions.find((v) => supported.includes(v));
  if (shared !== undefined) return { kind: 'retry', version: shared };
  if (supported.length > 0 && supported.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && v < FIRST_MODERN_REVISION)) {
    return { kind: 'legacy', reason: `the server supports only ${supported.join(', ')}` };
  }
  return {
    kind: 'fail',
    error: negotiationError(
      `no protocol version in common: the server supports ${supported.length ? supported.join(', ') : 'none it named'}, this client ${ctx.versions.join(', ')}`,
      error,
    ),
  };
}

/**
 * The outcome of a probe the transport rejected: an HTTP status (ours: HttpStatusError; the
 * official SDK's: `data.status` and the body in `data.text`), or any other failure.
 */
export function probeFailure(err: unknown): ProbeOutcome {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e instanceof HttpStatusError) return { kind: 'http', status: e.status, error: e };
  const data = (e as { data?: { status?: unknown; text?: unknown } }).data;
  if (typeof data?.status !== 'number') return { kind: 'failed', error: e };
  const rpc = jsonRpcError(data.text);
  return rpc ? { kind: 'error', error: rpc, httpStatus: data.status } : { kind: 'http', status: data.status, error: e };
}

function jsonRpcError(text: unknown): McpError | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; data?: unknown } }).error;
    return typeof e?.code === 'number' ? new McpError(e.code, String(e.message ?? ''), e.data) : undefined;
  } catch {
    return undefined;
  }
}
