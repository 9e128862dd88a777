import type { AuthFailure } from './types.js';

/**
 * The `WWW-Authenticate` value for a failure (RFC 6750 section 3, RFC 9728 section 5.1):
 * `Bearer resource_metadata="<url>"`, then `error`, `error_description` and (403 only)
 * `scope`. A request without any credential gets only `resource_metadata` (RFC 6750 section
 * 3.1: no error information when none was presented). A 503 has no RFC 6750 error code, so it
 * gets no `error` either; its description goes in the body.
 */
export function wwwAuthenticate(resourceMetadataUrl: string, failure: AuthFailure): string {
  let v = `Bearer resource_metadata="${quoted(resourceMetadataUrl)}"`;
  if (failure.error === undefined) return v;
  v += `, error="${failure.error}", error_description="${quoted(failure.description)}"`;
  if (failure.scope !== undefined) v += `, scope="${quoted(failure.scope)}"`;
  return v;
}

/** The JSON body of a failure answer. */
export interface FailureBody {
  /** The RFC 6750 code, `temporarily_unavailable` for a 503; absent when no credential was sent. */
  readonly error?: string;
  readonly error_description: string;
  /** The scopes needed (403 only). */
  readonly scope?: string;
}

/** The JSON body for a failure: `{ error, error_description }` (and `scope` for a 403). */
export function failureBody(failure: AuthFailure): FailureBody {
  const error = failure.error ?? (failure.status === 503 ? 'temporarily_unavailable' : undefined);
  // Built in wire order (error first) because the body is what people read in logs.
  const body: { error?: string; error_description: string; scope?: string } =
    error === undefined
      ? { error_description: failure.description }
      : { error, error_description: failure.description };
  if (failure.scope !== undefined) body.scope = failure.scope;
  return body;
}

/**
 * The content of an RFC 9110 quoted-string: backslash and double quote escaped, and every
 * character outside printable ASCII dropped. Dropped rather than escaped because control
 * characters cannot be escaped in a quoted-string, and because `setHeader` throws on
 * characters above U+00FF: a description built from a claim must never crash the answer.
 */
export function quoted(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '').replace(/[\\"]/g, '\\$&');
}
