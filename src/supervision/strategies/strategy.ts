import type { ChildRecord } from '../record.js';

/** The four OTP restart strategies. */
export type StrategyName = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

/**
 * What distinguishes one strategy from another; the Supervisor does the rest. A strategy only
 * chooses — it never starts or stops anything itself.
 */
export interface RestartStrategy {
  readonly name: StrategyName;
  /**
   * The children to restart when `failed` exits restartably, in start order, `failed`
   * included. The Supervisor stops the others among them in reverse order, then starts them
   * all in order.
   */
  affected(children: readonly ChildRecord[], failed: ChildRecord): ChildRecord[];
  /** True when children are added only by `startChild(args)` from one template spec. */
  readonly dynamic: boolean;
  /** `'reverse'`: stop one by one in reverse start order; `'concurrent'`: all at once. */
  readonly shutdownOrder: 'reverse' | 'concurrent';
}
