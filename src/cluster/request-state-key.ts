/**
 * One requestState key for every node of a cluster (MCP 2026-07-28 multi round-trip requests):
 * a client may send its retry to any node, which must open the state another node sealed. With
 * `mcp.requestStateKey` "random", the first node to start draws the secret and keeps it in
 * Redis (`<prefix>:request-state-key`, no expiry); every later node takes that one. A
 * configured key is used as it is, and is the better choice where Redis is shared with others
 * (whoever can read the key there can forge state).
 */
import { randomBytes } from 'node:crypto';
import { ErlmcpError } from '../core/errors.js';
import type { Logger } from '../ops/logger.js';
import { RedisLink } from './redis.js';

/** How long a starting node waits for Redis to hand out the key. */
const WAIT_MS = 10_000;

/**
 * The cluster's requestState secret (see the module comment). Throws ERR_CLUSTER_UNAVAILABLE
 * when Redis cannot be reached within 10 s: the node would seal state no other node opens.
 */
export async function clusterRequestStateKey(
  o: { readonly redis: string; readonly keyPrefix: string; readonly logger: Logger },
  waitMs = WAIT_MS,
): Promise<string> {
  const link = new RedisLink({ url: o.redis, logger: o.logger, timeoutMs: 1_000 });
  const key = `${o.keyPrefix}:request-state-key`;
  const until = Date.now() + waitMs;
  try {
    await link.start();
    for (;;) {
      try {
        const drawn = randomBytes(32).toString('base64url');
        // SET NX then GET: whoever came first wins, and everyone reads the winner's.
        const replies = (await link.run('request-state key', (c) =>
          c.multi().set(key, drawn, { condition: 'NX' }).get(key).exec(),
        )) as unknown[];
        const got = replies[1];
        if (typeof got === 'string' && got.length >= 32) return got;
        throw new ErlmcpError('ERR_CLUSTER_UNAVAILABLE', `cluster: ${key} in Redis is not a usable secret`);
      } catch (err) {
        if (Date.now() >= until || (err as ErlmcpError).message?.includes('not a usable secret')) {
          throw new ErlmcpError(
            'ERR_CLUSTER_UNAVAILABLE',
            `cluster: no shared requestState key (${(err as Error).message}); start Redis, or give every node the same mcp.requestStateKey`,
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await link.close();
  }
}

/**
 * Puts the key back whenever `link` reconnects (a Redis restarted empty would otherwise let the
 * next node to start draw a different one). Every node holds the same key, so whichever
 * node's SET NX lands first sets the right one. Returns the function that stops it.
 */
export function keepRequestStateKey(link: RedisLink, keyPrefix: string, secret: string, logger: Logger): () => void {
  const key = `${keyPrefix}:request-state-key`;
  const onUp = () => {
    link
      .run('request-state key', (c) => c.set(key, secret, { condition: 'NX' }))
      .catch((err: Error) => logger.debug({ err: err.message }, 'cluster: requestState key not put back yet'));
  };
  link.on('up', onUp);
  return () => link.off('up', onUp);
}
