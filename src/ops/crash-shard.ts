import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShardSet } from '../shards/shard-set.js';
import { BodyReader, type BodySink, parseJsonBody } from '../transports/http-body.js';
import { methodNotAllowed, replyJson } from './http-reply.js';
import type { Logger } from './logger.js';

/** The largest body `POST /admin/crash-shard` reads (it only ever needs `{"shard": n}`). */
export const CRASH_BODY_LIMIT = 1024;

interface CrashContext {
  res: ServerResponse;
  shards: ShardSet;
  logger: Logger;
}

/** Which shard the body asks for: a number, `'random'` (empty body or no `shard`), or an error text. */
export function requestedShard(body: Buffer, shards: number): number | 'random' | { error: string } {
  if (body.toString('utf8').trim() === '') return 'random';
  let value: unknown;
  try {
    value = parseJsonBody(body);
  } catch (err) {
    return { error: `the body is not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'the body must be a JSON object like {"shard": 3}' };
  }
  const extra = Object.keys(value).filter((k) => k !== 'shard');
  if (extra.length > 0) return { error: `unknown field ${JSON.stringify(extra[0])}; the body takes only "shard"` };
  const shard = (value as { shard?: unknown }).shard;
  if (shard === undefined) return 'random';
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    return { error: `shard must be an integer in 0..${shards - 1}, got ${JSON.stringify(shard)}` };
  }
  return shard;
}

/** A random shard that has sessions, or any shard when none has. */
function randomShard(shards: ShardSet): number {
  const stats = shards.stats();
  const busy = stats.filter((s) => s.sessions > 0);
  const pool = busy.length > 0 ? busy : stats;
  return (pool[Math.floor(Math.random() * pool.length)] ?? stats[0])?.shard ?? 0;
}

const sink: BodySink<CrashContext> = {
  bodyRead(reader, body) {
    const { res, shards, logger } = reader.context;
    const req = reader.req;
    const asked = requestedShard(body, shards.shards);
    if (typeof asked === 'object') {
      replyJson(req, res, 400, asked);
      return;
    }
    const shard = asked === 'random' ? randomShard(shards) : asked;
    const manager = shards.manager(shard);
    if (!manager) {
      replyJson(req, res, 409, { error: `shard ${shard} is restarting; try again` });
      return;
    }
    manager.crashNext(new Error(`shard ${shard}: crash injected through POST /admin/crash-shard`));
    logger.warn({ shard }, 'fault injection: the shard manager crashes when it routes its next message');
    replyJson(req, res, 200, { shard });
  },
  bodyTooLarge(reader) {
    const { res } = reader.context;
    replyJson(reader.req, res, 413, { error: `the body is over ${CRASH_BODY_LIMIT} bytes` }, { connection: 'close' });
  },
  bodyFailed() {
    // The client went away: nobody to answer.
  },
};

/**
 * `POST /admin/crash-shard` (fault injection, chaos tests): optional JSON body `{"shard": n}`,
 * default a random shard that has sessions (else any). Arms the existing ShardManager fault
 * injection (`crashNext`): the manager throws when it routes its next message, its supervisor
 * restarts it and the restarted manager delivers that message (nothing lost). Answers 200
 * `{"shard": n}`; 400 for a bad body or a shard out of range; 409 without a ShardSet or while
 * that shard's manager is restarting; 413 for a body over 1 KiB; 405 for other methods.
 */
export function crashShard(
  req: IncomingMessage,
  res: ServerResponse,
  shards: ShardSet | undefined,
  logger: Logger,
): void {
  if (req.method !== 'POST') {
    methodNotAllowed(req, res, 'POST');
    return;
  }
  if (!shards) {
    replyJson(req, res, 409, { error: 'this server runs no shard managers (no ShardSet)' });
    return;
  }
  new BodyReader(req, CRASH_BODY_LIMIT, { res, shards, logger }, sink).start();
}
