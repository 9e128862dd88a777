import { invalidArg } from '../core/errors.js';
import type { Endpoint, ExitSource } from './types.js';

/**
 * The delivery function of `endpoint` (a plain function, or `deliver` bound to its object),
 * resolved once at registration so routing makes a single call. Throws ERR_INVALID_ARG for
 * anything else, at registration rather than at the first routed message.
 * @internal
 */
export function deliveryOf<E>(name: string, endpoint: Endpoint<E>): (envelope: E) => void {
  if (typeof endpoint === 'function') return endpoint;
  if (endpoint !== null && typeof endpoint === 'object' && typeof endpoint.deliver === 'function') {
    return endpoint.deliver.bind(endpoint);
  }
  throw invalidArg(`${name} must be a function or an object with a deliver(envelope) method`);
}

const NOOP = (): void => {};

/**
 * Subscribes `onExit` to the exit of `endpoint` (see {@link ExitSource}) and returns the
 * unsubscribe function; a no-op for endpoints that cannot report an exit.
 * @internal
 */
export function watchExit(endpoint: unknown, onExit: () => void): () => void {
  if (endpoint === null || (typeof endpoint !== 'object' && typeof endpoint !== 'function')) return NOOP;
  const src = endpoint as ExitSource;
  if (typeof src.onExit === 'function') {
    const cancel = src.onExit(() => onExit());
    return typeof cancel === 'function' ? () => void cancel.call(src) : NOOP;
  }
  if (typeof src.once === 'function') {
    const off = (src.off ?? src.removeListener)?.bind(src);
    // Both events: an emitter that only ever emits 'close' (sockets) or 'exit' (workers, child
    // processes) is covered either way; whichever comes first unsubscribes the other.
    const listener = (): void => {
      cancel();
      onExit();
    };
    const cancel = (): void => {
      off?.('exit', listener);
      off?.('close', listener);
    };
    src.once('exit', listener);
    src.once('close', listener);
    return cancel;
  }
  return NOOP;
}
