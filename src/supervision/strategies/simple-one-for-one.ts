import type { RestartStrategy } from './strategy.js';

/**
 * simple_one_for_one: one template spec; children are added at run time by `startChild(args)`
 * and restarted alone with the same args. They are independent and interchangeable, so the
 * supervisor stops them all concurrently — in no particular order — as OTP does.
 */
export const simpleOneForOne: RestartStrategy = {
  name: 'simple_one_for_one',
  affected: (_children, failed) => [failed],
  dynamic: true,
  shutdownOrder: 'concurrent',
};
