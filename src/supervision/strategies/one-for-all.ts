import type { RestartStrategy } from './strategy.js';

/**
 * one_for_all: the children depend on each other, so one restartable exit stops all the others
 * (reverse start order) and restarts them all (start order). As in OTP this includes children
 * that were not running (terminated earlier, or transient ones that exited normally), and
 * temporary children among them are removed instead of restarted.
 */
export const oneForAll: RestartStrategy = {
  name: 'one_for_all',
  affected: (children) => [...children],
  dynamic: false,
  shutdownOrder: 'reverse',
};
