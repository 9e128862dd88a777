import type { RestartStrategy } from './strategy.js';

/** one_for_one: only the child that exited is restarted; its siblings are untouched. */
export const oneForOne: RestartStrategy = {
  name: 'one_for_one',
  affected: (_children, failed) => [failed],
  dynamic: false,
  shutdownOrder: 'reverse',
};
