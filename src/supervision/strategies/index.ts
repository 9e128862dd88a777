import { invalidArg } from '../../core/errors.js';
import { oneForAll } from './one-for-all.js';
import { oneForOne } from './one-for-one.js';
import { restForOne } from './rest-for-one.js';
import { simpleOneForOne } from './simple-one-for-one.js';
import type { RestartStrategy, StrategyName } from './strategy.js';

const STRATEGIES: Record<StrategyName, RestartStrategy> = {
  one_for_one: oneForOne,
  one_for_all: oneForAll,
  rest_for_one: restForOne,
  simple_one_for_one: simpleOneForOne,
};

/** @internal The strategy called `name` (ERR_INVALID_ARG for an unknown name). */
export function strategyFor(name: StrategyName): RestartStrategy {
  const s = Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name] : undefined;
  if (!s) throw invalidArg(`unknown supervisor strategy ${String(name)}`);
  return s;
}
