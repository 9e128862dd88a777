/**
 * A pub/sub subscription on a RedisLink of its own (a subscribed Redis connection can do nothing
 * else) that survives Redis going away. node-redis restores a subscription itself before it
 * reports a reconnected link ready, so only the first SUBSCRIBE, made once the link is up (there
 * is no offline queue), is ours to make. It has no deadline: a SUBSCRIBE that timed out may have
 * succeeded, and a thread that believes it is not subscribed would miss everything until the
 * next reconnect. A failed one is retried while the link is up (node-redis keeps listeners in a
 * Set, so adding ours twice is one).
 */
import type { Logger } from '../ops/logger.js';
import type { RedisLink } from './redis.js';

/**
 * Subscribes `sub` to `channels` now or as soon as it is up; `onMessage` gets every message,
 * `onReady` is called after the subscription is made and after every reconnect. Returns the
 * function that stops retrying (closing the link ends the subscription).
 */
export function keepSubscribed(
  sub: RedisLink,
  channels: string | string[],
  onMessage: (message: string) => void,
  log: Logger,
  onReady?: () => void,
): () => void {
  let subscribed = false;
  let stopped = false;
  const ready = () => {
    if (!stopped) onReady?.();
  };
  const subscribe = () => {
    if (subscribed || !sub.up || stopped) return;
    subscribed = true;
    sub.client.subscribe(channels, onMessage).then(ready, (err: Error) => {
      subscribed = false;
      log.warn({ err: err.message, channels }, 'cluster: could not subscribe yet; retrying');
      setTimeout(subscribe, 100).unref();
    });
  };
  const onUp = () => (subscribed ? ready() : subscribe());
  sub.on('up', onUp);
  subscribe();
  return () => {
    stopped = true;
    sub.off('up', onUp);
  };
}
