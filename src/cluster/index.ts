/**
 * `erlmcp serve --cluster redis://…`: this node in a cluster of erlmcp nodes sharing one Redis
 * (docs/cluster.md). Off (nothing starts, nothing changes) while `cluster.redis` is "none".
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { ClusterConfig } from '../config/types.js';
import type { Logger } from '../ops/logger.js';
import { clusterViewChanged, setClusterSource } from './current.js';
import { type ClusterView, Membership, type NodeLoad } from './membership.js';
import { RedisLink } from './redis.js';
import { keepRequestStateKey } from './request-state-key.js';
import { TaskLeaseSweeper } from './tasks/lease.js';

export type { ClusterNode, ClusterView, NodeLoad, NodeRecord } from './membership.js';

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  readonly config: ClusterConfig;
  readonly logger: Logger;
  /** Where this node listens (`http://host:port/path`), for advertise "auto". */
  readonly listenUrl: string;
  readonly load: () => NodeLoad;
  /** The requestState secret the cluster shares through Redis (src/cluster/request-state-key.ts), to put back after a Redis restart. */
  readonly requestStateKey?: string;
}

/** This node's part in the cluster. */
export interface Cluster {
  readonly nodeId: string;
  readonly advertise: string;
  readonly membership: Membership;
  readonly link: RedisLink;
  /** Fails the tasks of runners whose lease expired, while this node leads (src/cluster/tasks/lease.ts). */
  readonly tasks: TaskLeaseSweeper;
  view(): ClusterView;
  /** Leaves the cluster (the others see it at their next beat) and closes the Redis link. */
  stop(): Promise<void>;
}

/**
 * Joins the cluster: connects to Redis (retrying in the background when it is not up yet: the
 * node serves what needs no Redis meanwhile) and starts the heartbeat. Resolves after the first
 * heartbeat attempt.
 */
export async function startCluster(o: StartClusterOptions): Promise<Cluster> {
  const c = o.config;
  const nodeId = resolveNodeId(c.nodeId);
  const advertise = c.advertise === 'auto' ? autoAdvertise(o.listenUrl) : c.advertise;
  const log = o.logger.child({ node: nodeId });
  // A command may take at most one heartbeat, so a beat never overlaps the next one by much.
  const link = new RedisLink({ url: c.redis, logger: log, timeoutMs: Math.max(100, c.heartbeatMs) });
  await link.start();
  const membership = new Membership({
    link,
    logger: log,
    nodeId,
    advertise,
    keyPrefix: c.keyPrefix,
    heartbeatMs: c.heartbeatMs,
    deadAfterMs: c.deadAfterMs,
    load: o.load,
  });
  try {
    await membership.start();
  } catch (err) {
    await link.close();
    throw err;
  }
  const view = () => membership.view();
  setClusterSource(view);
  const stopKeeping =
    o.requestStateKey === undefined ? undefined : keepRequestStateKey(link, c.keyPrefix, o.requestStateKey, log);
  const tasks = new TaskLeaseSweeper({
    link,
    membership,
    keyPrefix: c.keyPrefix,
    deadAfterMs: c.deadAfterMs,
    logger: log,
  });
  // Threads of this process that follow the view (the legacy registry) hear every heartbeat.
  membership.on('view', clusterViewChanged);
  log.info({ redis: redactUrl(c.redis), advertise, nodes: membership.nodeIds().length }, 'cluster: joined');
  return {
    nodeId,
    advertise,
    membership,
    link,
    tasks,
    view,
    async stop() {
      stopKeeping?.();
      await tasks.stop();
      membership.off('view', clusterViewChanged);
      await membership.stop();
      await link.close();
      setClusterSource(undefined);
    },
  };
}

/** `cluster.nodeId` as configured, or, for "auto", hostname-pid-random: unique per start, readable in logs. */
export function resolveNodeId(configured: string): string {
  return configured === 'auto' ? autoNodeId() : configured;
}

/** hostname-pid-random (characters outside the id's set become "-"). */
function autoNodeId(): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The listening origin; a wildcard bind advertises the hostname instead. */
function autoAdvertise(listenUrl: string): string {
  const u = new URL(listenUrl);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = os.hostname();
  return u.origin;
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}
