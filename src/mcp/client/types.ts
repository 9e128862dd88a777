/**
 * Types of the client side only: how `McpClient` settles a protocol era, what `connect()`
 * resolves with, and the per-call options the 2026 features add.
 */
import type { RequestOptions } from '../peer.js';
import type { CallToolResult, CreateTaskResult, InitializeResult } from '../types.js';

/** `legacy`: the 2025 `initialize` handshake and its session; `modern`: MCP 2026-07-28, stateless. */
export type ProtocolEra = 'legacy' | 'modern';

/**
 * How `connect()` picks the era.
 * - `'legacy'`: the 2025 handshake, byte for byte what erlmcp clients always sent.
 * - `'auto'`: probe with `server/discover`; a modern answer (or modern error) keeps the 2026
 *   era, anything else falls back to `initialize` (the spec's backward-compatibility rules).
 * - `{ pin: '2026-07-28' }`: the 2026 era at exactly that version, never a fallback.
 */
export type VersionNegotiation = 'legacy' | 'auto' | { pin: string };

/** What `connect()` resolves with, in both eras. */
export interface ConnectResult extends InitializeResult {
  era: ProtocolEra;
  /** Modern era: the versions `server/discover` listed. */
  supportedVersions?: string[];
}

/**
 * Per call, for the cacheable methods (the list methods and `resources/read`):
 * `'use'` serves a fresh cached answer, `'refresh'` fetches and stores, `'bypass'` fetches
 * without reading or writing the cache.
 */
export type CacheMode = 'use' | 'refresh' | 'bypass';

/** Request options of the high-level client calls. */
export interface CallOptions extends RequestOptions {
  /** Cacheable methods only (default `'use'`). */
  cache?: CacheMode;
}

/** What `startToolCall` got: the tool's result, or the task the server made of the call. */
export type ToolCallStart =
  | { result: CallToolResult; task?: undefined }
  | { task: CreateTaskResult; result?: undefined };
