/**
 * A pub/sub subscription on a RedisLink of its own (a subscribed Redis connection can do nothing
 * else) that survives Redis going away: node-redis re-subscribes by itself after a reconnect,
 * and a first connect that failed is covered by subscribing on the (offline-queue-free) client
 * only once it is up.
 */
import type { Logger } from '../ops/logger.js';
import type { RedisLink } from './redis.js';

/** Subscribes `sub` to `channel` now or as soon as it is up; `onMessage` gets every message. */
export function keepSubscribed(
  sub: RedisLink,
  channel: string,
  onMessage: (message: string) => void,
  log: Logger,
): void {
  let subscribed = false;
  const subscribe = () =>
    sub
      .run('subscribe', (c) => c.subscribe(channel, onMessage))
      .catch((err: Error) => {
        subscribed = false;
        log.warn({ err: err.message, channel }, 'cluster: could not subscribe yet; retrying when Redis is back');
      });
  const ensure = () => {
    if (subscribed || !sub.up) return;
    subscribed = true;
    void subscribe();
  };
  sub.on('up', ensure);
  ensure();
}
