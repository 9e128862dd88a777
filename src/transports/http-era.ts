import { claimsEnvelope } from '../mcp/era/envelope.js';
import { ErrorCode, type RequestId } from '../mcp/jsonrpc.js';
import { isModernVersion } from '../mcp/versions.js';

/** Where a POST goes: a 2025 session, the 2026 stateless path, or a refusal (400). */
export type PostEra = 'session' | 'stateless' | { code: number; message: string; id: RequestId | null };

function params(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = (value as { params?: unknown }).params;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

/**
 * Classifies a POST body by era, on one endpoint that serves both. The body decides: a
 * message whose `params._meta` claims the 2026 envelope is served statelessly. A message
 * without a claim but with a 2026 `MCP-Protocol-Version` header is too (it then fails the
 * envelope check with -32602: a 2026 client that forgot `_meta`). Everything else belongs to a
 * 2025 session (initialize, or a request naming its session). Batches carry no 2026 message.
 */
export function classifyPost(value: unknown, versionHeader: string | string[] | undefined): PostEra {
  const modernHeader = isModernVersion(versionHeader);
  if (Array.isArray(value)) {
    if (modernHeader || value.some((m) => claimsEnvelope(params(m)))) {
      return { code: ErrorCode.INVALID_REQUEST, message: 'Invalid request: MCP 2026-07-28 has no batches', id: null };
    }
    return 'session';
  }
  if (claimsEnvelope(params(value)) || modernHeader) return 'stateless';
  return 'session';
}
