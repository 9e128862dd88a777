import { isLoopbackHost } from '../load/sources.js';
import { authConfigError } from './config-error.js';

/**
 * @internal Parses a configured URL that must be absolute and `https`, or `http` on a loopback
 * host: tokens, key sets and client secrets must not cross a network in clear, while local
 * development and tests run without certificates.
 *
 * @throws ErlmcpError ERR_AUTH_CONFIG naming the option.
 */
export function parseSecureUrl(name: string, value: unknown): URL {
  if (typeof value !== 'string') throw authConfigError(`${name} must be a URL string, got ${typeof value}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw authConfigError(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return url;
  throw authConfigError(`${name} must be an https URL (http only on a loopback host), got ${value}`);
}
