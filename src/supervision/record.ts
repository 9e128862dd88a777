import type { Child, ExitReason, NormalizedSpec } from './child.js';

/**
 * @internal The supervisor's bookkeeping for one child spec (or, under simple_one_for_one,
 * one dynamic child). Strategies read `spec` and order; only the Supervisor mutates it.
 */
export interface ChildRecord {
  readonly id: string;
  readonly spec: NormalizedSpec;
  /** simple_one_for_one: the arguments given to `startChild(args)`, reused on restart. */
  readonly args: unknown[];
  /** The running instance; undefined while stopped. */
  child: Child | undefined;
  /**
   * Bumped at every start, so an exit reported by an instance that has since been replaced
   * (it raced a restart) is recognised as stale and ignored.
   */
  generation: number;
  /** Set when the instance exited on its own and the supervisor has yet to handle it. */
  pendingExit: ExitReason | undefined;
  /** Set while the supervisor stops this child: its exit completes the stop, not a restart. */
  stopWaiter: ((reason: ExitReason) => void) | undefined;
  /** Times the supervisor's restart logic started this child again. */
  restarts: number;
}

/** @internal */
export function newRecord(id: string, spec: NormalizedSpec, args: unknown[] = []): ChildRecord {
  return {
    id,
    spec,
    args,
    child: undefined,
    generation: 0,
    pendingExit: undefined,
    stopWaiter: undefined,
    restarts: 0,
  };
}

/** @internal A child counts as running from its start until its exit is known. */
export function isRunning(rec: ChildRecord): boolean {
  return rec.child !== undefined && rec.pendingExit === undefined;
}
