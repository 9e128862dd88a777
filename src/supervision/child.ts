/**
 * The child abstraction: what a supervisor starts, stops and watches. Anything that can be
 * stopped and reports its own exit qualifies — workers, nested supervisors, listeners, MCP
 * server sessions (see adapters.ts for ready-made wrappers).
 */
import { invalidArg } from '../core/errors.js';

/**
 * Why a child exited. `'normal'`: it finished its work; `'shutdown'`: it was asked to stop;
 * an `Error`: it crashed. Like OTP, only an Error is "abnormal" (see {@link isAbnormal}).
 */
export type ExitReason = 'normal' | 'shutdown' | Error;

/**
 * A running child.
 *
 * Contract:
 * - `onExit` listeners are called exactly once, when the child exits for any reason — also
 *   for listeners registered after the exit (they are called with the recorded reason), so a
 *   child that dies during `start()` is still noticed.
 * - `stop('shutdown')` asks the child to stop. The supervisor considers it stopped when the
 *   returned promise settles or the child reports its exit, whichever comes first.
 * - `kill()` (optional) is the last resort after `shutdownMs`: release what can be released
 *   synchronously. JavaScript cannot preempt a function, so after `kill()` the child is
 *   abandoned — the supervisor forgets it whatever it does next.
 */
export interface Child {
  /** Asks the child to stop; the reason is always `'shutdown'` when called by a supervisor. */
  stop(reason: 'shutdown'): Promise<void> | void;
  /** Registers a listener for the child's single exit. */
  onExit(listener: (reason: ExitReason) => void): void;
  /** Forced termination after the shutdown timeout. Optional. */
  kill?(): void;
}

/** When a child is restarted after it exits (OTP restart types). */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** A child that supervises others (`'supervisor'`) or does work (`'worker'`). */
export type ChildType = 'worker' | 'supervisor';

/** Shutdown timeout in milliseconds, or `'infinity'` to wait as long as the child takes. */
export type ShutdownMs = number | 'infinity';

/** How to start and supervise one child. */
export interface ChildSpec<A extends unknown[] = unknown[]> {
  /** Unique within the supervisor (for simple_one_for_one: the template's name). */
  id: string;
  /**
   * Starts the child, synchronously or not. Throwing / rejecting means "failed to start".
   * simple_one_for_one passes the `args` given to `startChild(args)`.
   */
  start: (...args: A) => Child | Promise<Child>;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /**
   * How long `stop()` may take before the child is forced (see {@link Child.kill}).
   * Default 5000 for workers and `'infinity'` for supervisors (as in OTP: a supervisor's own
   * stop is already bounded by its children's timeouts, and cutting it short would abandon
   * grandchildren mid-shutdown).
   */
  shutdownMs?: ShutdownMs;
  /** Default `'worker'`. */
  type?: ChildType;
}

/**
 * A spec whose `start` takes any arguments: what supervisor options accept. (`never[]`
 * because every `start(...args)` signature is assignable to it under strict function types.)
 */
export type AnyChildSpec = ChildSpec<never[]>;

/** A validated spec with every default filled in. */
export interface NormalizedSpec {
  readonly id: string;
  readonly start: (...args: unknown[]) => Child | Promise<Child>;
  readonly restart: RestartType;
  readonly shutdownMs: ShutdownMs;
  readonly type: ChildType;
}

/** Default worker shutdown timeout (DESIGN.md: child shutdown 5 s). */
export const DEFAULT_SHUTDOWN_MS = 5000;

const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary'];
const TYPES: readonly string[] = ['worker', 'supervisor'];

/** Validates a spec (ERR_INVALID_ARG on any bad field) and fills in the defaults. */
export function normalizeSpec(spec: AnyChildSpec): NormalizedSpec {
  if (spec === null || typeof spec !== 'object') throw invalidArg('child spec must be an object');
  const { id, start } = spec;
  if (typeof id !== 'string' || id.length === 0) throw invalidArg('child spec id must be a non-empty string');
  if (typeof start !== 'function') throw invalidArg(`child "${id}": start must be a function`);
  const restart = spec.restart ?? 'permanent';
  if (!RESTARTS.includes(restart)) throw invalidArg(`child "${id}": restart must be one of ${RESTARTS.join(', ')}`);
  const type = spec.type ?? 'worker';
  if (!TYPES.includes(type)) throw invalidArg(`child "${id}": type must be one of ${TYPES.join(', ')}`);
  const shutdownMs = spec.shutdownMs ?? (type === 'supervisor' ? 'infinity' : DEFAULT_SHUTDOWN_MS);
  if (
    shutdownMs !== 'infinity' &&
    (typeof shutdownMs !== 'number' || !Number.isInteger(shutdownMs) || shutdownMs < 0 || shutdownMs > 2 ** 31 - 1)
  ) {
    throw invalidArg(`child "${id}": shutdownMs must be a non-negative integer or 'infinity'`);
  }
  return { id, start: start as NormalizedSpec['start'], restart, shutdownMs, type };
}

/** True when `value` has the shape of a {@link Child}. */
export function isChild(value: unknown): value is Child {
  const c = value as Partial<Child> | null;
  return typeof c === 'object' && c !== null && typeof c.stop === 'function' && typeof c.onExit === 'function';
}

/** OTP's notion of abnormal: anything but `'normal'` and `'shutdown'`. */
export function isAbnormal(reason: ExitReason): reason is Error {
  return reason !== 'normal' && reason !== 'shutdown';
}

/** Whether a child that exited with `reason` is restarted, per its restart type. */
export function shouldRestart(restart: RestartType, reason: ExitReason): boolean {
  if (restart === 'permanent') return true;
  if (restart === 'transient') return isAbnormal(reason);
  return false;
}

/** Coerces whatever a child reported into an ExitReason (a thrown string becomes an Error). */
export function toExitReason(value: unknown): ExitReason {
  if (value === 'normal' || value === 'shutdown' || value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `child exited with ${String(value)}`);
}
