/**
 * The leases of the cluster's task runners. Every task store (one per serving thread of each
 * node, src/cluster/tasks/redis-store.ts) renews its lease key every heartbeat with a TTL of
 * deadAfterMs, Redis' clock deciding expiry as for the membership. After every heartbeat the
 * leader (the oldest live node) fails, a batch per script, the unfinished tasks of every runner
 * whose lease has expired, with the reason "the node X running the task stopped before it
 * finished". So a task whose node died (kill -9, a crashed worker thread, a process frozen past
 * its lease) ends `failed` within deadAfterMs + one heartbeat of the runner's last renewal, seen
 * by every node. Runner ids are new at every start, so a node restarting under the same id
 * does not revive its predecessor's tasks: their lease is gone and they are swept like any.
 *
 * Robust to the leader dying: the sweep is state-based (the set of runners holding tasks, each
 * lease checked inside the script), so the next leader finds whatever was left. Two nodes
 * sweeping at once (views that disagree for a beat) is harmless: the script is atomic and a
 * failed task is not failed again. After this node's Redis link comes back, it waits
 * deadAfterMs before sweeping: every live runner renews within a heartbeat of Redis' return
 * (a Redis restarted from its persistence has let every lease expire meanwhile).
 */
import { ErrorCode } from '../../mcp/jsonrpc.js';
import type { Logger } from '../../ops/logger.js';
import type { ClusterView, Membership } from '../membership.js';
import type { RedisLink } from '../redis.js';
import { taskKeys } from './redis-store.js';
import { sweepScript } from './scripts.js';

/** Tasks failed per script call: keeps each Redis step short. */
const BATCH = 256;

/** Options of {@link TaskLeaseSweeper}. */
export interface TaskLeaseSweeperOptions {
  readonly link: RedisLink;
  readonly membership: Membership;
  readonly keyPrefix: string;
  readonly deadAfterMs: number;
  readonly logger: Logger;
}

/** The reason a swept task carries. */
export function runnerLost(runner: string): { message: string; node: string } {
  const node = runner.split('/')[0] as string;
  return { node, message: `the node ${node} running the task stopped before it finished` };
}

/** Sweeps after each heartbeat of the membership while this node leads: see the module comment. */
export class TaskLeaseSweeper {
  readonly #o: TaskLeaseSweeperOptions;
  readonly #keys: ReturnType<typeof taskKeys>;
  readonly #onView: (view: ClusterView) => void;
  readonly #onUp: () => void;
  #graceUntil = 0;
  #sweeping: Promise<void> | undefined;
  #stopped = false;
  /** Tasks this node failed since start. */
  swept = 0;

  constructor(o: TaskLeaseSweeperOptions) {
    this.#o = o;
    this.#keys = taskKeys(o.keyPrefix);
    this.#onView = (view) => {
      if (view.role === 'leader' && view.state === 'ok' && Date.now() >= this.#graceUntil) void this.sweep();
    };
    this.#onUp = () => {
      this.#graceUntil = Date.now() + o.deadAfterMs;
    };
    o.membership.on('view', this.#onView);
    o.link.on('up', this.#onUp);
  }

  /** One sweep of every runner whose lease expired (one at a time; never throws). */
  sweep(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Stops sweeping (waits for a sweep in progress). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.membership.off('view', this.#onView);
    this.#o.link.off('up', this.#onUp);
    await this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const { link, logger } = this.#o;
    const k = this.#keys;
    try {
      const runners = await link.run('list task runners', (c) => c.sMembers(k.runners));
      if (runners.length === 0) return;
      const held = (await link.run('check task leases', (c) => {
        const m = c.multi();
        for (const r of runners) m.exists(k.lease(r));
        return m.exec();
      })) as unknown as number[];
      for (const [i, runner] of runners.entries()) {
        if (held[i] === 1) continue;
        const { message, node } = runnerLost(runner);
        const error = { code: ErrorCode.INTERNAL_ERROR, message, data: { reason: 'node_lost', node } };
        let failed = 0;
        for (;;) {
          const before = await link.run('count tasks', (c) => c.sCard(`${k.tasks}of:${runner}`));
          const left = (await link.run('sweep tasks', (c) =>
            sweepScript.run(
              c,
              [k.lease(runner)],
              [
                k.tasks,
                k.channel,
                runner,
                String(BATCH),
                k.task,
                JSON.stringify('failed'),
                JSON.stringify(message),
                JSON.stringify(error),
                JSON.stringify(new Date().toISOString()),
              ],
            ),
          )) as number;
          if (left < 0) break;
          failed += before - left;
          if (left === 0 || this.#stopped) break;
        }
        if (failed > 0) {
          this.swept += failed;
          logger.warn({ runner, node, tasks: failed }, 'cluster: failed the tasks of a runner whose lease expired');
        }
      }
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'cluster: task lease sweep interrupted (Redis away)');
    }
  }
}
