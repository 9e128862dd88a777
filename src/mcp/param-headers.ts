/**
 * `x-mcp-header` (MCP 2026-07-28, server/tools.mdx and streamable-http.mdx "Custom Headers from
 * Tool Parameters"): a tool's `inputSchema` may mark primitive properties to be mirrored into
 * `Mcp-Param-{Name}` headers. Over Streamable HTTP the client MUST send them, and MUST drop
 * tools whose annotations break the rules; the server refuses such a tool at registration and
 * checks the headers against the arguments. One scanner for both sides.
 */
import { encodeHeaderValue, headerValueOf } from './header-value.js';

/** One annotated property: where it sits in the arguments, its header's name part and its type. */
export interface HeaderParam {
  path: readonly string[];
  /** The `x-mcp-header` value as written: the header is `Mcp-Param-<name>`. */
  name: string;
  type: 'string' | 'integer' | 'boolean';
}

export type HeaderScan = { ok: true; params: HeaderParam[] } | { ok: false; reason: string };

const X_MCP_HEADER = 'x-mcp-header';
/** RFC 9110 token (`1*tchar`): no spaces, controls or delimiters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);
/** Keywords a header's chain of `properties` keys must not pass through. */
const SUBSCHEMA_ONE = [
  'items',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
];
const SUBSCHEMA_LIST = ['prefixItems', 'oneOf', 'anyOf', 'allOf'];
const SUBSCHEMA_MAP = ['patternProperties', 'dependentSchemas', '$defs', 'definitions'];

/**
 * The header parameters of a tool's `inputSchema`, or why the tool is invalid: a value that
 * is empty or not a token, a name used twice (case-insensitively), a type other than string,
 * integer or boolean, or an annotation reachable otherwise than through `properties` keys
 * from the root (under `items`, `oneOf`, `$defs`...).
 */
export function scanHeaderParams(inputSchema: unknown): HeaderScan {
  const params: HeaderParam[] = [];
  const seen = new Map<string, string>();

  const visit = (node: unknown, path: string[], reachable: boolean): string | undefined => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    const schema = node as Record<string, unknown>;
    if (X_MCP_HEADER in schema) {
      const at = path.length === 0 ? 'the schema root' : path.join('.');
      if (!reachable || path.length === 0) return `${X_MCP_HEADER} at ${at} is not reachable through properties alone`;
      const name = schema[X_MCP_HEADER];
      if (typeof name !== 'string' || !TOKEN.test(name)) {
        return `${X_MCP_HEADER} at ${at} must be a non-empty HTTP token, got ${JSON.stringify(name)}`;
      }
      if (typeof schema.type !== 'string' || !PRIMITIVE.has(schema.type)) {
        return `${X_MCP_HEADER} "${name}" is on a property of type ${JSON.stringify(schema.type)}; only string, integer and boolean are allowed`;
      }
      const lower = name.toLowerCase();
      const prior = seen.get(lower);
      if (prior !== undefined) return `${X_MCP_HEADER} "${name}" is declared twice (also as "${prior}")`;
      seen.set(lower, name);
      params.push({ path: [...path], name, type: schema.type as HeaderParam['type'] });
    }
    const props = schema.properties;
    if (typeof props === 'object' && props !== null) {
      for (const [key, child] of Object.entries(props)) {
        const fault = visit(child, [...path, key], reachable);
        if (fault) return fault;
      }
    }
    // Walk the keywords a chain must not cross, only to find annotations misplaced there.
    const branches: unknown[] = [];
    for (const k of SUBSCHEMA_ONE) if (k in schema) branches.push(schema[k]);
    for (const k of SUBSCHEMA_LIST) if (Array.isArray(schema[k])) branches.push(...(schema[k] as unknown[]));
    for (const k of SUBSCHEMA_MAP) {
      const m = schema[k];
      if (typeof m === 'object' && m !== null) branches.push(...Object.values(m));
    }
    for (const b of branches) {
      const fault = visit(b, [...path, '*'], false);
      if (fault) return fault;
    }
    return undefined;
  };

  const fault = visit(inputSchema, [], true);
  return fault === undefined ? { ok: true, params } : { ok: false, reason: fault };
}

/**
 * The `Mcp-Param-*` headers of one call: the value at each parameter's path, converted and
 * encoded per the spec. A value that is absent or null is left out (the spec's "client MUST
 * omit"); so is one that is not a primitive (the server rejects the arguments anyway).
 */
export function paramHeaders(
  params: readonly HeaderParam[],
  args: Record<string, unknown> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    let v: unknown = args;
    for (const key of p.path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    const s = headerValueOf(v);
    if (s !== undefined) out[`Mcp-Param-${p.name}`] = encodeHeaderValue(s);
  }
  return out;
}
