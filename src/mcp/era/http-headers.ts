/**
 * Header/body validation of 2026-07-28 requests over Streamable HTTP (SEP-2243): the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers mirror the body so that load
 * balancers can route on them, and `Mcp-Param-{Name}` mirrors tool arguments whose schema
 * property carries `x-mcp-header`. Any disagreement, missing header or malformed value is
 * -32020 HeaderMismatch with HTTP 400: intermediaries and this server must never act on
 * different values. Pure functions over a header record (node lower-cases header names).
 */

import { ErrorCode, McpError } from '../jsonrpc.js';

type Headers = Record<string, string | string[] | undefined>;

const SENTINEL_START = '=?base64?';
const SENTINEL_END = '?=';
// Canonical base64 with padding: the SEP-2243 test table rejects unpadded or non-alphabet values.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
// Visible ASCII, space and tab.
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;
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
 * A header value as the client meant it: the `=?base64?...?=` sentinel decoded (UTF-8),
 * anything else literal. Returns undefined for a sentinel that is not canonical base64 of
 * valid UTF-8 (the caller answers -32020).
 */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_START) && value.endsWith(SENTINEL_END))) {
    // A literal value must be safe plain ASCII (RFC 9110 field-value characters); anything else
    // must come base64-encoded. (Node hands raw header bytes over as latin1 code units.)
    return SAFE_VALUE.test(value) ? value : undefined;
  }
  if (value.length < SENTINEL_START.length + SENTINEL_END.length) return undefined;
  const b64 = value.slice(SENTINEL_START.length, value.length - SENTINEL_END.length);
  if (!BASE64.test(b64)) return undefined;
  try {
    return utf8.decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

/** Where `Mcp-Name` comes from, per method (SEP-2243; SEP-2663 for the tasks methods). */
const NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

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
  if (m !== method)
    return headerMismatch(`Mcp-Method header ${JSON.stringify(m)} does not match method ${JSON.stringify(method)}`);
  const field = NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const body = params?.[field];
  // A missing or non-string field is the params' problem, reported by the method itself.
  if (typeof body !== 'string') return undefined;
  const raw = single(headers, 'mcp-name');
  if (raw === undefined) return headerMismatch(`the Mcp-Name header is required for ${method}`);
  const decoded = decodeHeaderValue(raw);
  if (decoded === undefined)
    return headerMismatch('the Mcp-Name header is not valid =?base64?...?= (canonical base64 of UTF-8)');
  if (decoded !== body) {
    return headerMismatch(
      `Mcp-Name header ${JSON.stringify(decoded)} does not match params.${field} ${JSON.stringify(body)}`,
    );
  }
  return undefined;
}

/** One tool argument mirrored into a header (`x-mcp-header` on a primitive property). */
export interface HeaderParam {
  /** The header name, lower-cased: `mcp-param-<x-mcp-header value>`. */
  readonly header: string;
  /** The x-mcp-header value as written (for messages). */
  readonly label: string;
  /** The chain of `properties` keys from the schema root. */
  readonly path: readonly string[];
  readonly type: 'string' | 'integer' | 'boolean';
}

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);

/**
 * The `x-mcp-header` annotations of a tool's input schema, validated as the spec requires
 * (token syntax, case-insensitively unique, primitive non-number types, reachable through
 * `properties` keys only). Throws a message naming the offending property; the tool is refused
 * at registration instead of being dropped by every client later.
 */
export function headerParamsOf(schema: Record<string, unknown>): HeaderParam[] {
  const out: HeaderParam[] = [];
  const seen = new Set<string>();
  const walk = (node: unknown, path: string[], reachable: boolean): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n, path, false);
      return;
    }
    const obj = node as Record<string, unknown>;
    const label = obj['x-mcp-header'];
    if (label !== undefined) {
      const where = path.length === 0 ? 'the schema root' : `property ${path.join('.')}`;
      if (!reachable || path.length === 0) {
        throw new Error(`x-mcp-header on ${where} is not reachable through "properties" keys alone`);
      }
      if (typeof label !== 'string' || !TOKEN.test(label)) {
        throw new Error(`x-mcp-header of ${where} must be a non-empty HTTP token, got ${JSON.stringify(label)}`);
      }
      const type = obj.type;
      if (typeof type !== 'string' || !PRIMITIVE.has(type)) {
        throw new Error(`x-mcp-header of ${where} needs type string, integer or boolean, got ${JSON.stringify(type)}`);
      }
      const header = `mcp-param-${label.toLowerCase()}`;
      if (seen.has(header))
        throw new Error(`x-mcp-header ${JSON.stringify(label)} is used twice (names are case-insensitive)`);
      seen.add(header);
      out.push({ header, label, path: [...path], type: type as HeaderParam['type'] });
    }
    for (const [key, child] of Object.entries(obj)) {
      if (key === 'properties' && typeof child === 'object' && child !== null && !Array.isArray(child)) {
        for (const [prop, sub] of Object.entries(child as Record<string, unknown>))
          walk(sub, [...path, prop], reachable);
      } else if (key !== 'x-mcp-header') {
        walk(child, path, false);
      }
    }
  };
  walk(schema, [], true);
  return out;
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
    const raw = single(headers, p.header);
    if (body === undefined) {
      if (raw !== undefined) {
        return headerMismatch(`Mcp-Param-${p.label} is sent but arguments.${p.path.join('.')} has no value`);
      }
      continue;
    }
    if (raw === undefined)
      return headerMismatch(`the Mcp-Param-${p.label} header is required (arguments.${p.path.join('.')} is set)`);
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined)
      return headerMismatch(`Mcp-Param-${p.label} is not valid =?base64?...?= (canonical base64 of UTF-8)`);
    if (!matches(decoded, body)) {
      return headerMismatch(
        `Mcp-Param-${p.label} ${JSON.stringify(decoded)} does not match arguments.${p.path.join('.')} ${JSON.stringify(body)}`,
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
