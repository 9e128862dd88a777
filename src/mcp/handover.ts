/**
 * Handing a 2025-era session over to another process. What a session negotiated and asked for
 * (the initialize exchange, its log level, its resource subscriptions) is small and changes
 * rarely, so the server tells a {@link SessionHandover} each time it changes; a process that
 * later gets a request for the session, after its owner died or left, builds the session again
 * from that snapshot and serves it under the same id. Requests in flight are not part of it:
 * they die with their process, and their clients get an error, never a second answer.
 *
 * Only transports that can be reached again under the same session id take part (Streamable
 * HTTP: `Transport.resumable`); a WebSocket or stdio session is its connection.
 */
import type { ClientCapabilities, Implementation } from './types.js';

/** What another process needs to serve a session again. JSON-safe. */
export interface SessionSnapshot {
  /** Format version (1). */
  readonly v: 1;
  readonly id: string;
  /** The negotiated protocol version. */
  readonly protocolVersion: string;
  readonly clientInfo: Implementation;
  readonly capabilities: ClientCapabilities;
  /** The client sent `notifications/initialized`. */
  readonly initialized: boolean;
  /** Index into LOGGING_LEVELS of the client's threshold (`logging/setLevel`). */
  readonly logLevel: number;
  /** Resource URIs subscribed with `resources/subscribe`. */
  readonly subscriptions: readonly string[];
  /** The principal that opened it (auth on): only it may continue the session. */
  readonly principalKey?: string;
}

/** Where a server keeps the snapshots of its resumable sessions (`McpServerOptions.handover`). */
export interface SessionHandover {
  /** The session's state changed (initialized, log level, subscriptions): keep this snapshot. */
  save(snapshot: SessionSnapshot): void;
  /** The session ended for good (DELETE, idle expiry): forget it. Not called while the server drains. */
  remove(sessionId: string): void;
}

/** The snapshot in `value`, or undefined when it is not one (a corrupt or foreign record). */
export function parseSnapshot(value: unknown): SessionSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Record<string, unknown>;
  const info = s.clientInfo as Record<string, unknown> | undefined;
  const ok =
    s.v === 1 &&
    typeof s.id === 'string' &&
    typeof s.protocolVersion === 'string' &&
    typeof info?.name === 'string' &&
    typeof s.capabilities === 'object' &&
    s.capabilities !== null &&
    typeof s.initialized === 'boolean' &&
    Number.isInteger(s.logLevel) &&
    Array.isArray(s.subscriptions) &&
    s.subscriptions.every((u) => typeof u === 'string') &&
    (s.principalKey === undefined || typeof s.principalKey === 'string');
  return ok ? (s as unknown as SessionSnapshot) : undefined;
}
