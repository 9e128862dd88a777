import type { Logger } from 'pino';
import type { ErlmcpError } from '../core/errors.js';
import type { ExitReason } from './child.js';

/**
 * Lifecycle events a Supervisor emits (as `'event'`), one per start, exit, restart, stop,
 * forced kill and give-up — never per message. Every event names its supervisor.
 */
export type SupervisorEvent =
  /** A child started; `restart` is true when the restart logic started it. */
  | { type: 'start'; supervisor: string; id: string; restart: boolean }
  /** A child's `start()` threw or rejected. */
  | { type: 'start_failed'; supervisor: string; id: string; error: Error }
  /** A child exited on its own (not because the supervisor stopped it). */
  | { type: 'exit'; supervisor: string; id: string; reason: ExitReason }
  /** The supervisor decided to restart after `id` exited; `count` = restarts in the window. */
  | { type: 'restart'; supervisor: string; id: string; count: number }
  /** The supervisor is stopping a child. */
  | { type: 'stop'; supervisor: string; id: string }
  /** A child did not stop within its shutdownMs: it was forced (kill()) and abandoned. */
  | { type: 'kill'; supervisor: string; id: string }
  /** Restart intensity exceeded after `id` exited: the supervisor stops everything and exits. */
  | { type: 'give_up'; supervisor: string; id: string; restarts: number; error: ErlmcpError }
  /** The supervisor itself exited: `'shutdown'` after stop(), an Error after a give-up. */
  | { type: 'terminated'; supervisor: string; reason: ExitReason };

/** A short stable rendering of an exit reason: 'normal', 'shutdown', an error's code or message. */
export function describeReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  const code = (reason as { code?: unknown }).code;
  return typeof code === 'string' ? code : reason.message;
}

/** One-line rendering of an event, e.g. `'exit b crash'`, `'restart b'`; handy in tests and logs. */
export function describeEvent(e: SupervisorEvent): string {
  switch (e.type) {
    case 'start':
    case 'stop':
    case 'kill':
    case 'restart':
      return `${e.type} ${e.id}`;
    case 'start_failed':
      return `start_failed ${e.id} ${describeReason(e.error)}`;
    case 'exit':
      return `exit ${e.id} ${describeReason(e.reason)}`;
    case 'give_up':
      return `give_up ${e.id} ${e.restarts}`;
    case 'terminated':
      return `terminated ${describeReason(e.reason)}`;
  }
}

/** @internal Writes the pino line for an event: warn for crashes, error for a give-up. */
export function logEvent(log: Logger, e: SupervisorEvent): void {
  switch (e.type) {
    case 'start':
      log.info({ child: e.id, restart: e.restart }, 'child started');
      return;
    case 'start_failed':
      log.error({ child: e.id, err: e.error }, 'child failed to start');
      return;
    case 'exit':
      if (typeof e.reason === 'string') log.info({ child: e.id, reason: e.reason }, 'child exited');
      else log.warn({ child: e.id, err: e.reason }, 'child crashed');
      return;
    case 'restart':
      log.info({ child: e.id, restarts: e.count }, 'restarting');
      return;
    case 'stop':
      log.info({ child: e.id }, 'stopping child');
      return;
    case 'kill':
      log.warn({ child: e.id }, 'child did not stop within shutdownMs: forced and abandoned');
      return;
    case 'give_up':
      log.error({ child: e.id, restarts: e.restarts, err: e.error }, 'restart intensity exceeded: giving up');
      return;
    case 'terminated':
      if (typeof e.reason === 'string') log.info({ reason: e.reason }, 'supervisor terminated');
      else log.error({ err: e.reason }, 'supervisor terminated abnormally');
      return;
  }
}
