import { ErlmcpError } from '../core/errors.js';

/**
 * Throws ERR_NOT_SERIALIZABLE unless `value` survives JSON unchanged (what crosses between
 * pool workers is JSON): null, booleans, finite numbers, strings, arrays and plain objects.
 * An object property whose value is `undefined` is allowed and left out, as JSON.stringify
 * does, since ported code often builds `{ error: undefined }`. Checked before anything is sent
 * so the caller gets one clear error naming the path instead of a silently altered message
 * (JSON.stringify turns a Date into a string, a Map into `{}`, NaN into null, drops functions).
 * @internal
 */
export function assertSerializable(path: string, value: unknown): void {
  walk(path, value, new Set());
}

function walk(path: string, value: unknown, open: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isFinite(value)) return;
      throw refuse(path, `the number ${String(value)}`);
    case 'object':
      break;
    default:
      throw refuse(path, `a ${typeof value}`);
  }
  if (value === null) return;
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) {
    throw refuse(path, `an instance of ${(value.constructor as { name?: string } | undefined)?.name ?? 'a class'}`);
  }
  if (open.has(value)) throw refuse(path, 'a cycle');
  open.add(value);
  if (isArray) {
    for (let i = 0; i < value.length; i++) walk(`${path}[${i}]`, value[i], open);
  } else {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) walk(`${path}.${k}`, v, open);
  }
  open.delete(value);
}

function refuse(path: string, what: string): ErlmcpError {
  return new ErlmcpError(
    'ERR_NOT_SERIALIZABLE',
    `${path} is ${what}: what crosses between pool workers must be plain JSON data`,
  );
}
