import type { Err, NotFound, Ok, RouteResult } from './types.js';

// Results are frozen singletons: the routing hot path and the common answers allocate nothing.

/** @internal */
export const OK: Ok = Object.freeze({ ok: true });
/** @internal */
export const ALREADY_REGISTERED: Err<'already_registered'> = Object.freeze({ ok: false, error: 'already_registered' });
/** @internal */
export const NOT_FOUND: NotFound = Object.freeze({ ok: false, error: 'not_found' });
/** @internal */
export const NOT_FOUND_ELSEWHERE: NotFound = Object.freeze({
  ok: false,
  error: 'not_found',
  registeredElsewhere: true,
});
/** @internal Another node's id while Redis is unreachable. */
export const NOT_FOUND_UNAVAILABLE: NotFound = Object.freeze({
  ok: false,
  error: 'not_found',
  clusterUnavailable: true,
});
/** @internal A route to another node's id while Redis is unreachable: nothing was sent. */
export const DROPPED_UNAVAILABLE: RouteResult = Object.freeze({
  ok: true,
  delivered: 0,
  dropped: 'cluster_unavailable',
});
/** @internal */
export const SERVER_NOT_FOUND: Err<'server_not_found'> = Object.freeze({ ok: false, error: 'server_not_found' });
/** @internal */
export const TRANSPORT_NOT_FOUND: Err<'transport_not_found'> = Object.freeze({
  ok: false,
  error: 'transport_not_found',
});
/** @internal */
export const DELIVERED_ONE: RouteResult = Object.freeze({ ok: true, delivered: 1 });
/** @internal Handed to the worker that holds the target (delivered there after the call returns). */
export const FORWARDED_ONE: RouteResult = Object.freeze({ ok: true, delivered: 1, forwarded: 1 });
/** @internal */
export const DELIVERED_NONE: RouteResult = Object.freeze({ ok: true, delivered: 0 });

/** @internal The answer for a message dropped because its target is not registered here. */
export function dropped(reason: 'server_not_found' | 'transport_not_found', elsewhere: boolean): RouteResult {
  if (reason === 'server_not_found') return elsewhere ? DROPPED_SERVER_ELSEWHERE : DROPPED_SERVER;
  return elsewhere ? DROPPED_TRANSPORT_ELSEWHERE : DROPPED_TRANSPORT;
}

const DROPPED_SERVER: RouteResult = Object.freeze({ ok: true, delivered: 0, dropped: 'server_not_found' });
const DROPPED_TRANSPORT: RouteResult = Object.freeze({ ok: true, delivered: 0, dropped: 'transport_not_found' });
const DROPPED_SERVER_ELSEWHERE: RouteResult = Object.freeze({
  ok: true,
  delivered: 0,
  dropped: 'server_not_found',
  registeredElsewhere: true,
});
const DROPPED_TRANSPORT_ELSEWHERE: RouteResult = Object.freeze({
  ok: true,
  delivered: 0,
  dropped: 'transport_not_found',
  registeredElsewhere: true,
});
