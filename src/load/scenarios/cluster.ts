/**
 * cluster: steady load spread over the nodes of an erlmcp cluster, as a load balancer without
 * affinity would spread it. Without --url the harness starts a private redis-server and
 * --nodes `erlmcp serve --cluster` nodes; with --url it drives every live node that node's
 * /health lists. Session i opens on node i mod N; over Streamable HTTP it sends its requests
 * to node (i + floor(i / N)) mod N, so 1 in N sessions talks to its owner and the others go
 * through a cross-node hop (the receiving node proxies to the owner, docs/cluster.md). A
 * WebSocket session's requests ride its own connection, so that transport has no hop.
 * Findings: the sessions per node (as the harness placed them and as each node's /health
 * counts them), the share of answered requests that crossed nodes, and every failure.
 */
import type { RunContext } from '../context.js';
import { plainRequest } from '../http-get.js';
import { ERROR_KINDS } from '../report.js';
import { steadyExpectedSec, steadyParams } from './steady.js';
import type { Scenario } from './types.js';

export const cluster: Scenario = {
  name: 'cluster',
  describe: '3 nodes on a private Redis, 300 sessions spread over them, 1,500 req/s, 10 s; cross-node share',
  accepts: ['--sessions', '--rate', '--per-session-rate', '--duration', '--ramp-rate', '--inflight', '--nodes'],
  defaults: { sessions: 300, rate: 1_500, durationSec: 10, rampRate: 500, inflight: 64, nodes: 3 },
  cluster: true,
  expectedSec: (s) => s.nodes * 3 + steadyExpectedSec(s),
  params: (s) => ({ ...steadyParams(s), nodes: s.nodes }),
  run: runCluster,
  conclude: concludeCluster,
};

/** The node session `index` sends its requests to (its owner is index mod n). */
export function requestNode(index: number, n: number, transport: 'ws' | 'http'): number {
  return transport === 'http' ? (index + Math.floor(index / n)) % n : index % n;
}

const SERVER_SESSIONS = 'serverSessions.';

async function runCluster(ctx: RunContext): Promise<void> {
  const s = ctx.settings;
  const nodes = ctx.cluster?.nodes ?? [ctx.url];
  const before = await ctx.sample();
  ctx.phase = `opening ${s.sessions} sessions on ${nodes.length} nodes`;
  await ctx.openSessions(s.sessions);
  if (ctx.aborted) return;
  // ctx's probe reads the first node: its memory over the sessions that node owns.
  const onFirst = ctx.pool.sessions.filter((x) => x.state === 'open' && x.index % nodes.length === 0).length;
  await ctx.measureSessionMemory(before, onFirst);
  // What each node itself counts (WebSocket connections or HTTP sessions), while they are held.
  const ids = ctx.cluster?.ids ?? ['n0'];
  await Promise.all(
    nodes.map(async (u, i) => {
      const r = await plainRequest(u, 'GET', '/health', 5_000);
      let held: number | null = null;
      try {
        const h = JSON.parse(r.body) as { connections?: number; sessions?: number };
        held = (s.transport === 'ws' ? h.connections : h.sessions) ?? null;
      } catch {
        ctx.warn(`${u.href}: /health did not answer (${r.error ?? `HTTP ${r.status}`})`);
      }
      ctx.marks.set(`${SERVER_SESSIONS}${ids[i]}`, held ?? -1);
    }),
  );
  ctx.phase = `${Math.round(s.rate)} req/s over ${nodes.length} nodes`;
  await ctx.openLoop(s.rate, s.durationSec * 1000);
  ctx.phase = 'draining';
  await ctx.drain();
}

function concludeCluster(ctx: RunContext): void {
  const n = ctx.cluster?.nodes.length ?? 1;
  const ids = ctx.cluster?.ids ?? ['n0'];
  const placed = new Array<number>(n).fill(0);
  let ok = 0;
  let crossOk = 0;
  for (const x of ctx.pool.sessions) {
    const owner = x.index % n;
    placed[owner] = (placed[owner] ?? 0) + 1;
    ok += x.okCount;
    if (requestNode(x.index, n, ctx.settings.transport) !== owner) crossOk += x.okCount;
  }
  const f = ctx.findings;
  f.nodes = n;
  f.sessionsPerNodeMin = Math.min(...placed);
  f.sessionsPerNodeMax = Math.max(...placed);
  for (const [i, id] of ids.entries()) {
    f[`sessions.${id}`] = placed[i] ?? 0;
    const held = ctx.marks.get(`${SERVER_SESSIONS}${id}`);
    f[`serverSessions.${id}`] = held === undefined || held < 0 ? null : held;
  }
  f.answeredOk = ok;
  f.crossNodeOk = crossOk;
  f.crossNodeShare = ok > 0 ? Math.round((crossOk / ok) * 1000) / 1000 : null;
  f.lost = ctx.lost;
  f.duplicated = ctx.recorder.duplicated;
  f.failed = ctx.recorder.errorCount;
  for (const kind of ERROR_KINDS) f[`failed.${kind}`] = ctx.recorder.errors[kind];
}
