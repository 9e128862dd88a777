/**
 * Shared pieces of the MCP 2026-07-28 tests: the request envelope, the reserved `_meta` keys
 * spelled once, and a raw in-memory client that speaks 2026 requests (and 2025 ones) to an
 * McpServer over one connection.
 */
import type { McpServer } from '../../src/mcp/server.js';
import { type RawClient, rawClient, type Wire } from './harness.js';

export const V2026 = '2026-07-28';
export const PV = 'io.modelcontextprotocol/protocolVersion';
export const CAPS = 'io.modelcontextprotocol/clientCapabilities';
export const INFO = 'io.modelcontextprotocol/clientInfo';
export const LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const SUB_ID = 'io.modelcontextprotocol/subscriptionId';

export const CLIENT_INFO = Object.freeze({ name: 'era-test', version: '1.0.0' });

/** Options of one 2026 request's envelope. */
export interface EnvelopeOptions {
  /** clientCapabilities (default {}). */
  caps?: Record<string, unknown>;
  /** Extra `_meta` keys (logLevel, progressToken, overrides of the required ones). */
  meta?: Record<string, unknown>;
}

/** A valid 2026 `_meta` envelope. */
export function envelope(options: EnvelopeOptions = {}): Record<string, unknown> {
  return { [PV]: V2026, [CAPS]: options.caps ?? {}, [INFO]: CLIENT_INFO, ...options.meta };
}

/** `params` with a 2026 envelope added. */
export function with2026(params: Record<string, unknown> = {}, options: EnvelopeOptions = {}): Record<string, unknown> {
  return { ...params, _meta: envelope(options) };
}

/** A whole 2026 JSON-RPC request. */
export function request2026(
  id: string | number,
  method: string,
  params: Record<string, unknown> = {},
  options: EnvelopeOptions = {},
): Wire {
  return { jsonrpc: '2.0', id, method, params: with2026(params, options) };
}

export interface EraClient extends RawClient {
  /** Sends a 2026 request and waits for its answer. */
  call(id: string | number, method: string, params?: Record<string, unknown>, options?: EnvelopeOptions): Promise<Wire>;
  /** Every message received so far that is a notification (removed from the inbox). */
  takeNotifications(): Wire[];
}

/** A raw in-memory client of `server` (a connection: not a session until it initializes). */
export async function eraClient(server: McpServer): Promise<EraClient> {
  const c = (await rawClient(server)) as EraClient;
  c.call = (id, method, params = {}, options = {}) => {
    c.send(request2026(id, method, params, options));
    return bounded(c.response(id), 10_000, `the answer to ${JSON.stringify(id)}`);
  };
  c.takeNotifications = () => {
    const out: Wire[] = [];
    for (let i = 0; i < c.inbox.length; ) {
      if (c.inbox[i].id === undefined) out.push(...c.inbox.splice(i, 1));
      else i++;
    }
    return out;
  };
  return c;
}

/** `p`, or a rejection naming `what` after `ms` (so a missing answer fails the test instead of hanging it). */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Polls `cond` every 5 ms until it holds; throws after `ms` (a bound, never an assertion on time). */
export async function until(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with its resolve function outside (to hold handlers until the test lets them go). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits for `signal` to abort, or `ms` (then rejects: the abort never came). */
export function aborted(signal: AbortSignal, ms = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      resolve(signal.reason);
      return;
    }
    const t = setTimeout(() => reject(new Error('signal never aborted')), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}
