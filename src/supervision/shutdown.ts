import type { ExitReason } from './child.js';
import type { ChildRecord } from './record.js';

/** @internal How a stop ended. */
export type StopOutcome = 'stopped' | 'killed';

/**
 * @internal Stops one child: calls `stop('shutdown')` and waits until that settles or the
 * child reports its exit, whichever is first; after `shutdownMs` calls `kill()` if the child
 * has one and abandons it. Never rejects and never waits past the timeout, so a child that
 * ignores stop cannot hang its supervisor (unless its timeout is 'infinity').
 */
export async function stopRecord(rec: ChildRecord, onStopError: (err: unknown) => void): Promise<StopOutcome> {
  const child = rec.child;
  if (child === undefined) return 'stopped';
  const exited = new Promise<ExitReason>((resolve) => {
    rec.stopWaiter = resolve;
  });
  let requested: Promise<void>;
  try {
    requested = Promise.resolve(child.stop('shutdown'));
  } catch (err) {
    requested = Promise.reject(err);
  }
  // A failing stop() still ends the wait: the child is gone as far as we can tell.
  const stopped = requested.then(
    () => 'stopped' as const,
    (err: unknown) => {
      onStopError(err);
      return 'stopped' as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const waits: Promise<StopOutcome>[] = [stopped, exited.then(() => 'stopped' as const)];
  if (rec.spec.shutdownMs !== 'infinity') {
    const ms: number = rec.spec.shutdownMs;
    waits.push(
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('killed'), ms);
      }),
    );
  }
  const outcome = await Promise.race(waits);
  if (timer) clearTimeout(timer);
  if (outcome === 'killed') {
    try {
      child.kill?.();
    } catch (err) {
      onStopError(err);
    }
  }
  rec.stopWaiter = undefined;
  if (rec.child === child) rec.child = undefined;
  return outcome;
}
