/**
 * Taps that record every JSON-RPC message a transport carries, in both directions, for tests
 * that check the wire as well as what a client library hands back. They work on any object
 * shaped like a transport (`send()` plus an `onmessage` slot the protocol layer fills): the
 * official SDKs' client transports (v1 and v2) and erlmcp's server transports alike.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** Every message a transport sent and received, in order, tagged with the transport's number. */
export interface Tap {
  /** Transports tapped so far (each gets the next number). */
  transports: number;
  sent: JSONRPCMessage[];
  received: JSONRPCMessage[];
  /** Both directions interleaved, with the tapped transport's number. */
  log: { dir: 'sent' | 'received'; t: number; message: JSONRPCMessage }[];
}

export function newTap(): Tap {
  return { transports: 0, sent: [], received: [], log: [] };
}

interface Tappable {
  send(message: never, options?: never): Promise<void>;
  onmessage?: ((message: never, extra?: never) => void) | undefined;
}

/**
 * Records what `transport` carries. Call it before the transport is connected: the handler the
 * protocol layer installs later is wrapped as it is set, so the handshake is recorded too.
 */
export function tapTransport(transport: object, tap: Tap = newTap()): Tap {
  const t = transport as Tappable;
  const n = tap.transports++;
  const send = t.send.bind(t) as (m: JSONRPCMessage, o?: unknown) => Promise<void>;
  // Copies, as they were at that moment: transports rewrite ids in place (erlmcp's stateless
  // HTTP channel restores the client's id on the response object it is given).
  (t as { send: unknown }).send = (message: JSONRPCMessage, options?: unknown) => {
    const copy = structuredClone(message);
    tap.sent.push(copy);
    tap.log.push({ dir: 'sent', t: n, message: copy });
    return send(message, options);
  };
  let inner: ((m: JSONRPCMessage, extra?: unknown) => void) | undefined;
  const wrapped = (message: JSONRPCMessage, extra?: unknown) => {
    const copy = structuredClone(message);
    tap.received.push(copy);
    tap.log.push({ dir: 'received', t: n, message: copy });
    inner?.(message, extra);
  };
  Object.defineProperty(t, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => (inner === undefined ? undefined : wrapped),
    set: (fn: typeof inner) => {
      inner = fn;
    },
  });
  return tap;
}

/**
 * Taps every transport an erlmcp McpServer accepts (2025 sessions and 2026 stateless channels
 * alike): what the server itself received and sent, before any transport rewrote ids.
 */
export function tapServer(server: { accept(transport: never): unknown }): Tap {
  const tap = newTap();
  const accept = server.accept.bind(server) as (t: object) => unknown;
  (server as { accept: unknown }).accept = (transport: object) => {
    tapTransport(transport, tap);
    return accept(transport);
  };
  return tap;
}

type Msg = { id?: unknown; method?: unknown; params?: Record<string, unknown>; result?: unknown; error?: unknown };

export const isResponse = (m: JSONRPCMessage): boolean =>
  (m as Msg).method === undefined && ((m as Msg).result !== undefined || (m as Msg).error !== undefined);

/** The requests in `messages` of `method` (and, for tools/call, of tool `name`). */
export function requestsOf(messages: JSONRPCMessage[], method: string, name?: string): Msg[] {
  return (messages as Msg[]).filter(
    (m) => m.method === method && m.id !== undefined && (name === undefined || m.params?.name === name),
  );
}

/** The responses in `messages` to request `id`. */
export function responsesTo(messages: JSONRPCMessage[], id: unknown): Msg[] {
  return (messages as Msg[]).filter((m) => isResponse(m as JSONRPCMessage) && m.id === id);
}

/** Request ids (per tapped transport) answered more than once. */
export function answeredTwice(tap: Tap, dir: 'sent' | 'received'): string[] {
  const seen = new Map<string, number>();
  for (const e of tap.log) {
    if (e.dir !== dir || !isResponse(e.message)) continue;
    const key = `${e.t}:${JSON.stringify((e.message as Msg).id)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}
