/**
 * Header/body validation of 2026-07-28 requests over Streamable HTTP (SEP-2243): the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers mirror the body so that load
 * balancers can route on them, and `Mcp-Param-{Name}` mirrors tool arguments whose schema
 * property carries `x-mcp-header`. Any disagreement, missing header or malformed value is
 * -32020 HeaderMismatch with HTTP 400: intermediaries and this server must never act on
 * different values. Pure functions over a header record (node lower-cases header names). The
 * value encoding and the `x-mcp-header` rules are shared with the client (header-value.ts,
 * param-headers.ts).
 */

import { decodeHeaderValue, MCP_NAME_SOURCE } from '../header-value.js';
import { ErrorCode, McpError } from '../jsonrpc.js';
import { type HeaderParam, scanHeaderParams } from '../param-headers.js';

export { decodeHeaderValue } from '../header-value.js';
export type { HeaderParam } from '../param-headers.js';

type Headers = Record<string, string | string[] | undefined>;

// An integer as a decimal string, with an all-zero fraction allowed ("42", "-7", "42.0").
const DECIMAL_INTEGER = /^-?\d+(?:\.0+)?$/;

/** -32020 with HTTP 400. */
export function headerMismatch(detail: string): McpError {
  return new McpError(ErrorCode.HEADER_MISMATCH, `Header mismatch: ${detail}`, undefined, { httpStatus: 400 });
}

function single(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * `MCP-Protocol-Version` must be present and equal the envelope's version. Checked before the
 * version is judged supported: a header that disagrees with the body is a mismatch even when
 * the body names a version we do not speak.
 */
export function checkVersionHeader(headers: Headers, bodyVersion: unknown): McpError | undefined {
  const header = single(headers, 'mcp-protocol-version');
  if (header === undefined) return headerMismatch('the MCP-Protocol-Version header is required');
  if (header !== bodyVersion) {
    return headerMismatch(
      `MCP-Protocol-Version header ${JSON.stringify(header)} does not match the body's ${JSON.stringify(bodyVersion)}`,
    );
  }
  return undefined;
}

/** `Mcp-Method` (every request) and `Mcp-Name` (the methods that name a target). */
export function checkStandardHeaders(
  headers: Headers,
  method: string,
  params: Record<string, unknown> | undefined,
): McpError | undefined {
  const m = single(headers, 'mcp-method');
  if (m === undefined) return headerMismatch('the Mcp-Method header is required');
  if (m !== method) {
    return headerMismatch(`Mcp-Method header ${JSON.stringify(m)} does not match method ${JSON.stringify(method)}`);
  }
  const field = MCP_NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const body = params?.[field];
  // A missing or non-string field is the params' problem, reported by the method itself.
  if (typeof body !== 'string') return undefined;
  const raw = single(headers, 'mcp-name');
  if (raw === undefined) return headerMismatch(`the Mcp-Name header is required for ${method}`);
  const decoded = decodeHeaderValue(raw);
  if (decoded === undefined) {
    return headerMismatch(
      'the Mcp-Name header is not valid =?base64?...?= (canonical base64 of UTF-8) nor a plain ASCII value',
    );
  }
  if (decoded !== body) {
    return headerMismatch(
      `Mcp-Name header ${JSON.stringify(decoded)} does not match params.${field} ${JSON.stringify(body)}`,
    );
  }
  return undefined;
}

/**
 * The `x-mcp-header` annotations of a tool's input schema, validated as the spec requires
 * (token syntax, case-insensitively unique, primitive non-number types, reachable through
 * `properties` keys only). Throws a message naming the offending property: the server refuses
 * the tool at registration instead of every client dropping it later.
 */
export function headerParamsOf(schema: Record<string, unknown>): HeaderParam[] {
  const scan = scanHeaderParams(schema);
  if (!scan.ok) throw new Error(scan.reason);
  return scan.params;
}

function valueAt(args: unknown, path: readonly string[]): unknown {
  let v = args;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Every `Mcp-Param-*` header of a `tools/call` against the arguments. */
export function checkParamHeaders(
  params: readonly HeaderParam[],
  args: unknown,
  headers: Headers,
): McpError | undefined {
  for (const p of params) {
    const value = valueAt(args, p.path);
    const body = value === undefined || value === null ? undefined : (value as string | number | boolean);
    const raw = single(headers, `mcp-param-${p.name.toLowerCase()}`);
    const where = `arguments.${p.path.join('.')}`;
    if (body === undefined) {
      if (raw !== undefined) return headerMismatch(`Mcp-Param-${p.name} is sent but ${where} has no value`);
      continue;
    }
    if (raw === undefined) return headerMismatch(`the Mcp-Param-${p.name} header is required (${where} is set)`);
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) {
      return headerMismatch(
        `Mcp-Param-${p.name} is not valid =?base64?...?= (canonical base64 of UTF-8) nor a plain ASCII value`,
      );
    }
    if (!matches(decoded, body)) {
      return headerMismatch(
        `Mcp-Param-${p.name} ${JSON.stringify(decoded)} does not match ${where} ${JSON.stringify(body)}`,
      );
    }
  }
  return undefined;
}

function matches(header: string, body: string | number | boolean): boolean {
  if (typeof body === 'string') return header === body;
  if (typeof body === 'boolean') return header === (body ? 'true' : 'false');
  // Integers compare numerically ("42.0" and 42 agree), as the spec suggests, but only written
  // in decimal: "0x2A" is not how a client spells 42.
  return DECIMAL_INTEGER.test(header) && Number(header) === body;
}
