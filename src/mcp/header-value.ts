/**
 * MCP 2026-07-28 header value encoding (basic/transports/streamable-http.mdx, "Value
 * Encoding"): the values mirrored into `Mcp-Name` and `Mcp-Param-{Name}` go out as they are
 * when they are safe plain ASCII field values, else as `=?base64?<base64 of the UTF-8>?=`.
 * Both ends need it (the client encodes, a server decodes before comparing with the body).
 */

/** The body field `Mcp-Name` mirrors, per method (SEP-2243; SEP-2663 for the tasks methods). */
export const MCP_NAME_SOURCE: Readonly<Record<string, 'name' | 'uri' | 'taskId'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const PREFIX = '=?base64?';
const SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * True when `value` can travel as it is: visible ASCII, interior spaces and tabs only (field
 * parsing would strip leading/trailing whitespace), not empty, and not looking like the
 * sentinel itself (the spec makes such values encoded too, so decoding stays unambiguous).
 */
function isPlainSafe(value: string): boolean {
  if (value.length === 0 || value !== value.trim()) return false;
  if (value.startsWith(PREFIX) && value.endsWith(SUFFIX)) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c > 0x7e)) return false;
  }
  return true;
}

/** Encodes one header value per the spec's rules (plain when safe, else the base64 sentinel). */
export function encodeHeaderValue(value: string): string {
  return isPlainSafe(value) ? value : `${PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SUFFIX}`;
}

/** Visible ASCII, space and tab: what a value may hold literally (RFC 9110 field-value characters). */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Decodes a header value: the sentinel's payload as UTF-8, any other value as it is.
 * Undefined when the sentinel's payload is not canonical base64 or not UTF-8, or when a literal
 * value holds characters that must have been encoded (Node hands raw header bytes over as
 * latin1 code units): a server must reject such a header.
 */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(PREFIX) && value.endsWith(SUFFIX))) return FIELD_VALUE.test(value) ? value : undefined;
  // "=?base64?=" and the like: a sentinel cut short is neither a literal nor a payload.
  if (value.length < PREFIX.length + SUFFIX.length) return undefined;
  const b64 = value.slice(PREFIX.length, value.length - SUFFIX.length);
  if (!CANONICAL_BASE64.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * The string form of a primitive argument value mirrored into a header: strings as they
 * are, integers in decimal (safe range only), booleans as `true`/`false`. Undefined for
 * anything else (the header is then left out rather than sent malformed).
 */
export function headerValueOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}
