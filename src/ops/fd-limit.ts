import { native } from '../native.js';

/** Open-file limits of this process; `Infinity` when unlimited. */
export interface FdLimits {
  /** The limit in force: opening a descriptor beyond it fails with EMFILE. */
  soft: number;
  /** The ceiling this process may raise `soft` to without privileges. */
  hard: number;
}

/** The current open-file limits, or undefined where the platform has none (Windows). */
export function fdLimits(): FdLimits | undefined {
  return native.fdLimits() ?? undefined;
}

/**
 * Raises the soft open-file limit toward `wanted` (up to the hard limit; never lowers it) and
 * returns the limits now in force, or undefined where unsupported. Compare `soft` with what
 * you asked for: a hard limit below `wanted` can only be raised by a privileged process
 * (`ulimit -Hn`, systemd `LimitNOFILE`, or a container's `--ulimit nofile=`).
 */
export function raiseFdLimit(wanted: number): FdLimits | undefined {
  return native.raiseFdLimit(wanted) ?? undefined;
}
