import type { RestartStrategy } from './strategy.js';

/**
 * rest_for_one: children started after the one that exited depend on it, so they are stopped
 * (reverse order) and restarted with it (start order); the ones before it are untouched.
 */
export const restForOne: RestartStrategy = {
  name: 'rest_for_one',
  affected: (children, failed) => children.slice(children.indexOf(failed)),
  dynamic: false,
  shutdownOrder: 'reverse',
};
