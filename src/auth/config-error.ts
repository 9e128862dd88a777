import { ErlmcpError } from '../core/errors.js';

/**
 * @internal The one error the auth layer throws: a bad option, found when the object is built
 * (never per request, where every problem is an {@link AuthFailure} instead).
 */
export function authConfigError(message: string): ErlmcpError {
  return new ErlmcpError('ERR_AUTH_CONFIG', message);
}

/** @internal Throws ERR_AUTH_CONFIG unless `value` is a positive finite number (a duration, a size). */
export function assertPositive(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw authConfigError(`${name} must be a positive number, got ${String(value)}`);
  }
}

/** @internal Throws ERR_AUTH_CONFIG unless `value` is a non-empty string. */
export function assertNonEmpty(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw authConfigError(`${name} must be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`);
  }
}
