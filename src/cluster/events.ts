/**
 * The server event bus of a cluster: Redis pub/sub on `<prefix>:events`. Every thread that
 * runs a server (each worker of each node) subscribes on its own connection and publishes on
 * another (a subscribed Redis connection can do nothing else); a message names its origin
 * (`node/worker`), and the origin ignores its own. So a resource updated on any worker of any
 * node reaches the listeners on every other worker and node, and no event is delivered twice.
 *
 * Pub/sub is at most once: while Redis is away, events published anywhere are lost for the
 * other nodes (this node's own clients still get them), and nothing is replayed afterwards.
 */
import { eventListeners, type ServerEventBus } from '../mcp/events/bus.js';
import type { Logger } from '../ops/logger.js';
import { RedisLink } from './redis.js';
import { keepSubscribed } from './subscribe.js';

/** Options of {@link startClusterEventBus}. */
export interface ClusterEventBusOptions {
  readonly redis: string;
  readonly keyPrefix: string;
  /** Unique per publishing thread in the cluster, e.g. `<nodeId>/<worker>`. */
  readonly origin: string;
  readonly logger: Logger;
  /** Deadline of a publish (ms). */
  readonly timeoutMs: number;
}

/** A running cluster bus: the ServerEventBus plus its close. */
export interface ClusterEventBus extends ServerEventBus {
  close(): Promise<void>;
}

/** Connects the publisher and the subscriber (each retries by itself) and subscribes. */
export async function startClusterEventBus(o: ClusterEventBusOptions): Promise<ClusterEventBus> {
  const channel = `${o.keyPrefix}:events`;
  const log = o.logger.child({ bus: channel });
  const pub = new RedisLink({ url: o.redis, logger: log, timeoutMs: o.timeoutMs });
  const sub = new RedisLink({ url: o.redis, logger: log, timeoutMs: o.timeoutMs });
  const listeners = eventListeners();
  const onMessage = (message: string) => {
    let frame: { o?: unknown; e?: unknown };
    try {
      frame = JSON.parse(message) as typeof frame;
    } catch {
      return;
    }
    if (frame.o !== o.origin) listeners.deliver(frame.e);
  };
  await Promise.all([pub.start(), sub.start()]);
  keepSubscribed(sub, channel, onMessage, log);
  return {
    publish(event) {
      pub
        .run('publish', (c) => c.publish(channel, JSON.stringify({ o: o.origin, e: event })))
        .catch((err: Error) => log.debug({ err: err.message }, 'cluster: event not published (Redis away)'));
    },
    subscribe: listeners.subscribe,
    async close() {
      listeners.clear();
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}
