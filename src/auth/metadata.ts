import { authConfigError } from './config-error.js';
import { parseSecureUrl as checkUrl } from './urls.js';

/** The well-known path of RFC 9728 protected resource metadata. */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

/** Options describing the protected resource (RFC 9728 section 2). */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier: the absolute URL clients reach the MCP endpoint at, and the
   * audience tokens must be issued for (RFC 8707). `https`, or `http` on a loopback host; no
   * fragment (RFC 9728 section 1.2) and no query (its well-known path could not be served).
   */
  readonly resource: string;
  /** Issuer URLs of the authorization servers that issue tokens for this resource; at least one. */
  readonly authorizationServers: readonly string[];
  /** Scopes this resource understands (`scopes_supported`); omitted from the document when absent. */
  readonly scopesSupported?: readonly string[];
  /** How tokens may be presented. Only `['header']` (the default) is supported: the query and body methods leak tokens. */
  readonly bearerMethodsSupported?: readonly 'header'[];
  /** Human-readable name (`resource_name`). */
  readonly resourceName?: string;
  /** URL of human-readable documentation (`resource_documentation`). */
  readonly resourceDocumentation?: string;
}

/** The RFC 9728 protected resource metadata document. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
}

/** Where the metadata document is served, and the URL challenges point to. */
export interface ResourceMetadataLocation {
  /**
   * The request paths to serve the document at: the path-suffixed form first
   * (`/.well-known/oauth-protected-resource/mcp` for `https://api.example.com/mcp`, RFC 9728
   * section 3.1), then the bare form, which clients that ignore the resource path try. One
   * path when the resource has no path.
   */
  readonly paths: readonly string[];
  /** The absolute URL of the document: the `resource_metadata` value of `WWW-Authenticate`. */
  readonly url: string;
}

/**
 * Builds the protected resource metadata document, validating the options. The `resource`
 * string is kept exactly as given: RFC 9728 section 3.3 requires clients to compare it with
 * the URL they used, and normalising (e.g. adding a trailing slash) would break that.
 *
 * @throws ErlmcpError ERR_AUTH_CONFIG on an invalid option.
 */
export function buildResourceMetadata(options: ResourceMetadataOptions): ProtectedResourceMetadata {
  parseResource(options.resource);
  const servers = options.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw authConfigError('authorizationServers must list at least one authorization server issuer URL');
  }
  for (const s of servers) checkUrl('authorizationServers[]', s);
  const methods = options.bearerMethodsSupported ?? ['header'];
  if (methods.length === 0 || methods.some((m) => m !== 'header')) {
    throw authConfigError(`bearerMethodsSupported must be ['header'], got ${JSON.stringify(methods)}`);
  }
  const doc: {
    resource: string;
    authorization_servers: readonly string[];
    scopes_supported?: readonly string[];
    bearer_methods_supported: readonly string[];
    resource_name?: string;
    resource_documentation?: string;
  } = {
    resource: options.resource,
    authorization_servers: Object.freeze([...servers]),
    bearer_methods_supported: Object.freeze(['header']),
  };
  if (options.scopesSupported !== undefined) {
    for (const s of options.scopesSupported) {
      if (typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) {
        throw authConfigError(
          `scopesSupported: ${JSON.stringify(s)} is not a valid scope token (RFC 6749 section 3.3)`,
        );
      }
    }
    doc.scopes_supported = Object.freeze([...options.scopesSupported]);
  }
  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string') throw authConfigError('resourceName must be a string');
    doc.resource_name = options.resourceName;
  }
  if (options.resourceDocumentation !== undefined) {
    checkUrl('resourceDocumentation', options.resourceDocumentation);
    doc.resource_documentation = options.resourceDocumentation;
  }
  return Object.freeze(doc);
}

/**
 * The well-known paths and the metadata URL for a resource identifier.
 *
 * @throws ErlmcpError ERR_AUTH_CONFIG when `resource` is not a valid resource identifier.
 */
export function resourceMetadataLocation(resource: string): ResourceMetadataLocation {
  const url = parseResource(resource);
  // RFC 9728 section 3.1: drop the slash that ends the host part, then insert the well-known
  // path between the host and the resource's path.
  const suffix = url.pathname === '/' ? '' : url.pathname;
  const first = `${WELL_KNOWN_PATH}${suffix}`;
  return Object.freeze({
    paths: Object.freeze(suffix === '' ? [first] : [first, WELL_KNOWN_PATH]),
    url: `${url.origin}${first}`,
  });
}

/** Validates a resource identifier and returns it parsed. */
function parseResource(resource: unknown): URL {
  const url = checkUrl('resource', resource);
  // Checked on the string too: `new URL` drops an empty fragment or query ("x#", "x?").
  if (url.hash !== '' || (resource as string).includes('#')) {
    throw authConfigError(`resource must not have a fragment, got ${String(resource)}`);
  }
  if (url.search !== '' || (resource as string).includes('?')) {
    throw authConfigError(`resource must not have a query, got ${String(resource)}`);
  }
  return url;
}
