import type { Child } from './child.js';
import { ExitNotifier } from './exit-notifier.js';

/**
 * A worker that is one async function: `run(signal)` is called at once; its promise resolving
 * means a `'normal'` exit, rejecting (or throwing) a crash with that error. `stop()` aborts
 * `signal` and waits for `run` to settle, which then counts as `'shutdown'` whatever it
 * returned. `run` must honour the signal; if it does not, the supervisor's shutdownMs expires
 * and the promise is abandoned (JavaScript cannot cancel it).
 *
 * @example
 * { id: 'poller', start: () => taskChild(async (signal) => { while (!signal.aborted) await poll(); }) }
 */
export function taskChild(run: (signal: AbortSignal) => unknown): Child {
  const controller = new AbortController();
  const exit = new ExitNotifier();
  const settled = new Promise((resolve) => resolve(run(controller.signal))).then(
    () => exit.exit(controller.signal.aborted ? 'shutdown' : 'normal'),
    (err: unknown) => exit.exit(controller.signal.aborted ? 'shutdown' : (err as Error)),
  );
  return {
    stop() {
      controller.abort();
      return settled;
    },
    onExit: (listener) => exit.onExit(listener),
  };
}

/**
 * The shape of our transports, the SDK's `Transport` and MCP sessions: `close()` plus an
 * `onclose` callback property.
 */
export interface Closeable {
  close(): Promise<void> | void;
  onclose?: (() => void) | undefined;
}

/**
 * Adapts a {@link Closeable} (a transport, a server session, a listener) into a Child. Its
 * `onclose` is chained (an existing handler still runs). A close the supervisor did not ask
 * for is a `'normal'` exit — a peer hanging up is not a crash — so give such children
 * `restart: 'permanent'` if they must always come back. A close after `stop()` is
 * `'shutdown'`. Call the returned child's `crash(err)` from your own error handling to report
 * an abnormal exit (it also closes the target).
 */
export function closeableChild(target: Closeable): Child & { crash(err: Error): void } {
  const exit = new ExitNotifier();
  let stopping = false;
  const previous = target.onclose;
  target.onclose = () => {
    previous?.call(target);
    exit.exit(stopping ? 'shutdown' : 'normal');
  };
  return {
    async stop() {
      stopping = true;
      await target.close();
      // Some closeables resolve close() without calling onclose; the exit is known anyway.
      exit.exit('shutdown');
    },
    onExit: (listener) => exit.onExit(listener),
    crash(err) {
      exit.exit(err);
      void Promise.resolve()
        .then(() => target.close())
        .catch(() => {});
    },
  };
}
