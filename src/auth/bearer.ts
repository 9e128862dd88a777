import { invalidRequest, MISSING_TOKEN } from './failures.js';
import type { AuthFailure } from './types.js';

/** Default ceiling on a bearer token's length: 8 KiB, well above any real access token. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** The part of a node `IncomingMessage` (or `Http2ServerRequest`) the bearer reader needs. */
export interface RawHeadersSource {
  /** Header names and values, alternating, as received (duplicates kept). */
  readonly rawHeaders: readonly string[];
}

/**
 * The outcome of reading the bearer token of a request: the token, or why there is none.
 * `missing` is true only when there is no `Authorization` header at all, so the caller can
 * answer 401 without an `error` attribute (RFC 6750 section 3.1); every other failure is a
 * 400 `invalid_request`.
 */
export type BearerResult =
  | { readonly token: string; readonly failure?: undefined; readonly missing?: undefined }
  | { readonly token?: undefined; readonly failure: AuthFailure; readonly missing: boolean };

// RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

// Shared, frozen results: the failure paths allocate nothing per request.
const MISSING: BearerResult = Object.freeze({ failure: MISSING_TOKEN, missing: true });
const DUPLICATE = failed('more than one Authorization header');
const NOT_BEARER = failed('the Authorization scheme is not Bearer');
const EMPTY = failed('empty bearer token');
const TOO_LONG = failed('bearer token too long');
const BAD_CHARS = failed('bearer token is not a valid b64token');

function failed(description: string): BearerResult {
  return Object.freeze({ failure: invalidRequest(description), missing: false });
}

/**
 * Reads the bearer token from `req.rawHeaders`. Not `req.headers`: node keeps only the first of
 * duplicate `Authorization` headers there, and two credentials in one request must be refused
 * (RFC 6750 section 3.1: more than one method) rather than silently resolved.
 *
 * Failures never contain the token. The scheme is matched case-insensitively (RFC 9110 section
 * 11.1); spaces between the scheme and the token are tolerated, nothing after it is.
 *
 * @param maxTokenBytes longest accepted token; default {@link DEFAULT_MAX_TOKEN_BYTES}. A valid
 *   token is ASCII, so characters are bytes.
 */
export function readBearer(req: RawHeadersSource, maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): BearerResult {
  const value = authorizationValue(req);
  if (value === null) return DUPLICATE;
  if (value === undefined) return MISSING;
  return parseAuthorization(value, maxTokenBytes);
}

/**
 * The one `Authorization` header value of a request: undefined when there is none, null when
 * there are several (node keeps only the first in `req.headers`, so the raw list is read).
 */
export function authorizationValue(req: RawHeadersSource): string | undefined | null {
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length - 1; i += 2) {
    const name = raw[i] as string;
    // Length first: almost every header is rejected without lowercasing its name.
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    if (value !== undefined) return null;
    value = raw[i + 1] as string;
  }
  return value;
}

/** Parses one `Authorization` header value as `Bearer <b64token>`. */
export function parseAuthorization(value: string, maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): BearerResult {
  const sp = value.indexOf(' ');
  const scheme = sp < 0 ? value : value.slice(0, sp);
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') return NOT_BEARER;
  if (sp < 0) return EMPTY;
  let start = sp + 1;
  while (start < value.length && value.charCodeAt(start) === 0x20) start++;
  // Node strips trailing whitespace from header values, but an object built by hand may not.
  let end = value.length;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  if (end === start) return EMPTY;
  // Checked before the pattern so that an oversized header costs no regex run over it.
  if (end - start > maxTokenBytes) return TOO_LONG;
  const token = value.slice(start, end);
  if (!B64TOKEN.test(token)) return BAD_CHARS;
  return { token };
}
