import type { IncomingMessage } from 'node:http';
import { isSupportedVersion } from '../mcp/versions.js';

/**
 * Header checks of the Streamable HTTP listener: DNS-rebinding protection (Host and Origin),
 * media types and the MCP-Protocol-Version header. Pure functions over header strings.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an address a loopback-bound socket reports as its local address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** The host name of a Host header or URL authority, port removed, lower-cased ("[::1]" keeps its brackets). */
export function hostName(authority: string): string {
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const end = authority.indexOf(']');
    return (end === -1 ? authority : authority.slice(0, end + 1)).toLowerCase();
  }
  const colon = authority.indexOf(':');
  return (colon === -1 ? authority : authority.slice(0, colon)).toLowerCase();
}

/** True when `name` (from {@link hostName}) is localhost, 127.0.0.1 or [::1]. */
export function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name);
}

/** The authority part of an Origin header ("https://a.example:8443" -> "a.example:8443"), or undefined. */
export function originAuthority(origin: string): string | undefined {
  const sep = origin.indexOf('://');
  if (sep === -1) return undefined;
  const rest = origin.slice(sep + 3);
  const slash = rest.indexOf('/');
  return (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
}

/**
 * Decides which Host and Origin headers a listener accepts. Explicit lists win; without them a
 * listener bound to a loopback address accepts only loopback host names (any port), which is
 * what defeats DNS rebinding, and browsers only from the same origin or a loopback origin.
 */
export class HostOriginPolicy {
  readonly #hosts: Set<string> | undefined;
  readonly #origins: Set<string> | undefined;
  readonly #anyOrigin: boolean;

  constructor(allowedHosts: readonly string[] | undefined, allowedOrigins: readonly string[] | undefined) {
    this.#hosts = allowedHosts ? new Set(allowedHosts.map((h) => h.toLowerCase())) : undefined;
    this.#origins = allowedOrigins ? new Set(allowedOrigins.map((o) => o.toLowerCase())) : undefined;
    this.#anyOrigin = allowedOrigins?.includes('*') ?? false;
  }

  /** True when the request's Host header is acceptable. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    const hosts = this.#hosts;
    if (hosts !== undefined) {
      if (host === undefined) return false;
      const lower = host.toLowerCase();
      return hosts.has(lower) || hosts.has(hostName(lower));
    }
    if (!isLoopbackAddress(req.socket.localAddress)) return true;
    return host !== undefined && LOOPBACK_NAMES.has(hostName(host));
  }

  /** True when `origin` (a present Origin header) is acceptable for `req`. */
  originAllowed(origin: string, req: IncomingMessage): boolean {
    if (this.#anyOrigin) return true;
    const origins = this.#origins;
    if (origins !== undefined) return origins.has(origin.toLowerCase());
    const authority = originAuthority(origin);
    if (authority === undefined) return false; // "null" and other opaque origins
    const host = req.headers.host;
    if (host !== undefined && authority === host.toLowerCase()) return true;
    return isLoopbackAddress(req.socket.localAddress) && LOOPBACK_NAMES.has(hostName(authority));
  }
}

/** True when a Content-Type header names application/json (parameters such as charset allowed). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'application/json') return true;
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** True when an Accept header lists both application/json and text/event-stream. */
export function acceptsJsonAndSse(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value.includes('application/json') && value.includes('text/event-stream')) return true;
  const lower = value.toLowerCase();
  return lower.includes('application/json') && lower.includes('text/event-stream');
}

/** True when an Accept header lists text/event-stream. */
export function acceptsSse(value: string | undefined): boolean {
  return (
    value !== undefined && (value.includes('text/event-stream') || value.toLowerCase().includes('text/event-stream'))
  );
}

/**
 * True when an MCP-Protocol-Version header is absent (the spec says to assume 2025-03-26) or
 * names a version erlmcp speaks.
 */
export function protocolVersionOk(value: string | string[] | undefined): boolean {
  return value === undefined || (typeof value === 'string' && isSupportedVersion(value));
}
