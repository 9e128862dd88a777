/**
 * The {@link NodeWire} of a thread on Redis pub/sub: every thread subscribes to the shared
 * channel `<prefix>:legacy` (announcements) and to its own `<prefix>:legacy:<address>` (frames
 * for it), on one connection, and publishes on another. Redis runs one connection's commands
 * in order and writes to one subscriber's connection in order, so frames from one thread to
 * another arrive in the order sent, whichever of the two channels they use; PUBLISH answers how
 * many subscribers got a message, which is how a frame for a thread that no longer listens is
 * known to be lost. At most once: nothing is queued while Redis is away (a send then rejects).
 * Frames sent in one turn of the event loop are batched (see the outbox).
 * @internal
 */
import { ErlmcpError } from '../../core/errors.js';
import type { Logger } from '../../ops/logger.js';
import { RedisLink } from '../redis.js';
import { keepSubscribed } from '../subscribe.js';
import { type Address, channels, type NodeFrame } from './frames.js';
import type { NodeWire } from './node-sync.js';

/** Frames at most in one PUBLISH (a burst is split into several). */
const MAX_BATCH = 256;

interface Waiter {
  resolve(received: boolean): void;
  reject(err: Error): void;
}

/** A run of frames for one channel, sent as one PUBLISH. */
interface Batch {
  readonly channel: string;
  readonly frames: NodeFrame[];
  readonly waiters: Waiter[];
}

/** Options of {@link startRedisWire}. */
export interface RedisWireOptions {
  readonly redis: string;
  readonly keyPrefix: string;
  readonly address: Address;
  readonly logger: Logger;
  /** Deadline of one command (ms). */
  readonly timeoutMs: number;
  /** Every frame received for this thread. */
  readonly onFrame: (frame: NodeFrame) => void;
  /** Called whenever the wire (re)becomes usable: after the first subscribe, and after Redis came back. */
  readonly onReady: () => void;
}

/** A running wire. */
export interface RedisWire extends NodeWire {
  close(): Promise<void>;
}

/** Connects the two links (each retries by itself), subscribes, and calls `onReady` whenever both are usable. */
export async function startRedisWire(o: RedisWireOptions): Promise<RedisWire> {
  const log = o.logger.child({ wire: 'legacy' });
  const pub = new RedisLink({ url: o.redis, logger: log, timeoutMs: o.timeoutMs });
  const sub = new RedisLink({ url: o.redis, logger: log, timeoutMs: o.timeoutMs });
  const all = channels.all(o.keyPrefix);
  const mine = channels.thread(o.keyPrefix, o.address);
  const onMessage = (message: string) => {
    let frame: NodeFrame;
    try {
      frame = JSON.parse(message) as NodeFrame;
    } catch {
      return;
    }
    if (Array.isArray(frame)) for (const f of frame as NodeFrame[]) o.onFrame(f);
    else if (frame !== null && typeof frame === 'object') o.onFrame(frame);
  };
  let closed = false;
  let subscribed = false;
  const ready = () => {
    if (!closed && subscribed && sub.up && pub.up) o.onReady();
  };
  pub.on('up', ready);
  await Promise.all([pub.start(), sub.start()]);
  keepSubscribed(sub, [all, mine], onMessage, log, () => {
    subscribed = true;
    ready();
  });
  // The outbox: frames sent in one turn of the event loop leave together, a run of frames for
  // one channel in one PUBLISH (a JSON array), so a burst of routes to one thread costs one
  // command, not one each; runs keep their order, so the order between channels is kept too.
  const outbox: Batch[] = [];
  let flushing = false;
  const flush = () => {
    flushing = false;
    for (const b of outbox.splice(0)) {
      const body = JSON.stringify(b.frames.length === 1 ? b.frames[0] : b.frames);
      // No deadline (unlike RedisLink.run): a PUBLISH that timed out may still be delivered,
      // and a frame reported lost must not arrive. node-redis fails what is pending when the
      // connection drops, so the answer comes when Redis gives it or when the link goes down.
      const sent = pub.up ? pub.client.publish(b.channel, body) : Promise.reject(new Error(pub.lastError));
      sent.then(
        (n) => {
          for (const w of b.waiters) w.resolve(n > 0);
        },
        (err: Error) => {
          const e = new ErlmcpError('ERR_CLUSTER_UNAVAILABLE', `cluster: Redis publish failed: ${err.message}`);
          if (b.waiters.length === 0) log.debug({ err: err.message }, 'cluster: legacy frame not published');
          for (const w of b.waiters) w.reject(e);
        },
      );
    }
  };
  const enqueue = (channel: string, frame: NodeFrame, waiter?: Waiter) => {
    const last = outbox[outbox.length - 1];
    if (last !== undefined && last.channel === channel && last.frames.length < MAX_BATCH) {
      last.frames.push(frame);
      if (waiter) last.waiters.push(waiter);
    } else outbox.push({ channel, frames: [frame], waiters: waiter ? [waiter] : [] });
    if (!flushing) {
      flushing = true;
      queueMicrotask(flush);
    }
  };
  return {
    address: o.address,
    get up() {
      return subscribed && sub.up && pub.up;
    },
    publish(frame) {
      enqueue(all, frame);
    },
    send(to, frame) {
      return new Promise((resolve, reject) => enqueue(channels.thread(o.keyPrefix, to), frame, { resolve, reject }));
    },
    async close() {
      closed = true;
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}
