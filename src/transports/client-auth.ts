import { ErlmcpError } from '../core/errors.js';

/** Why a {@link TokenProvider} is asked. */
export interface TokenRequest {
  /**
   * `initial`: before the first request; `unauthorized`: the server answered 401 (the token is
   * missing, expired or revoked); `insufficient_scope`: it answered 403 and names the scopes it
   * needs (`scope`) — get a token that has them (step-up) or give up by throwing.
   */
  readonly reason: 'initial' | 'unauthorized' | 'insufficient_scope';
  /** The server's `WWW-Authenticate` header, when it sent one. */
  readonly challenge?: string;
  /** The scopes the server asked for (`scope` of the challenge), when it named them. */
  readonly scope?: string;
  /** The `resource_metadata` URL of the challenge (RFC 9728), where the authorization servers are listed. */
  readonly resourceMetadata?: string;
}

/**
 * Gives the bearer token to send. erlmcp does not run OAuth flows itself: the provider gets
 * tokens however the application does (client credentials, a refresh token, a user login)
 * and is asked again when the server refuses the one it gave.
 */
export type TokenProvider = (request: TokenRequest) => string | Promise<string>;

/** A bearer token, or a provider of tokens. */
export type ClientAuthOption = string | TokenProvider;

/** One attribute of a `WWW-Authenticate: Bearer` challenge (quoted-string or token value). */
function attribute(challenge: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]+))`, 'i').exec(challenge);
  if (m === null) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/**
 * The client side of bearer authentication for one transport: the current token, and whether
 * a 401/403 answer is worth one retry with a fresh token. A request is retried at most once;
 * a provider that throws ends the request with its error.
 */
export class ClientAuth {
  readonly #option: ClientAuthOption;
  #token: string | undefined;

  constructor(option: ClientAuthOption) {
    if (typeof option !== 'string' && typeof option !== 'function') {
      throw new ErlmcpError('ERR_INVALID_ARG', 'auth must be a bearer token string or a token provider function');
    }
    this.#option = option;
    if (typeof option === 'string') this.#token = option;
  }

  /** The `Authorization` header value to send now. */
  async header(): Promise<string> {
    if (this.#token === undefined) this.#token = await this.#ask({ reason: 'initial' });
    return `Bearer ${this.#token}`;
  }

  /**
   * After a refusal: asks the provider for a new token and returns true when the request
   * should be sent again (401, or 403 `insufficient_scope`, with a provider to ask).
   */
  async refresh(status: number, challenge: string | null): Promise<boolean> {
    if (typeof this.#option === 'string') return false;
    const header = challenge ?? undefined;
    let reason: TokenRequest['reason'];
    if (status === 401) reason = 'unauthorized';
    else if (status === 403 && header !== undefined && attribute(header, 'error') === 'insufficient_scope')
      reason = 'insufficient_scope';
    else return false;
    const request: TokenRequest = {
      reason,
      ...(header === undefined ? {} : { challenge: header }),
      ...(header !== undefined && attribute(header, 'scope') !== undefined
        ? { scope: attribute(header, 'scope') as string }
        : {}),
      ...(header !== undefined && attribute(header, 'resource_metadata') !== undefined
        ? { resourceMetadata: attribute(header, 'resource_metadata') as string }
        : {}),
    };
    this.#token = await this.#ask(request);
    return true;
  }

  async #ask(request: TokenRequest): Promise<string> {
    const token = await (this.#option as TokenProvider)(request);
    if (typeof token !== 'string' || token.length === 0) {
      throw new ErlmcpError('ERR_AUTH_TOKEN', `the token provider gave no token (asked: ${request.reason})`);
    }
    return token;
  }
}
