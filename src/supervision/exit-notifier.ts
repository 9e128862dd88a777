import { type ExitReason, toExitReason } from './child.js';

/**
 * The "reports its exit exactly once" half of the {@link Child} contract, for people writing
 * their own children: call `exit(reason)` when the child ends; `onExit` listeners — including
 * late ones — hear it once. Later `exit` calls are ignored, so racing exits cannot double-report.
 */
export class ExitNotifier {
  private reason: ExitReason | undefined;
  private listeners: Array<(reason: ExitReason) => void> = [];

  /** The recorded exit reason, or undefined while the child runs. */
  get exitReason(): ExitReason | undefined {
    return this.reason;
  }

  /** Records the exit and tells every listener; ignored after the first call. */
  exit(reason: ExitReason): void {
    if (this.reason !== undefined) return;
    this.reason = toExitReason(reason);
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l(this.reason);
  }

  /** Registers a listener; called at once (synchronously) if the exit already happened. */
  onExit(listener: (reason: ExitReason) => void): void {
    if (this.reason !== undefined) listener(this.reason);
    else this.listeners.push(listener);
  }
}
