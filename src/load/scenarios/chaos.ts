/**
 * chaos: steady load while a random shard manager is crashed every 2 s (POST
 * /admin/crash-shard, served only with debug.faultInjection). A crashed manager is restarted by
 * its supervisor and the requests queued on its shard must survive: the findings are the
 * requests lost, duplicated and failed, and the restart times the server measured.
 */
import type { RunContext } from '../context.js';
import { plainRequest } from '../http-get.js';
import { optionsError } from '../options.js';
import { ERROR_KINDS } from '../report.js';
import { sleep } from '../sleep.js';
import { runSteady, steadyExpectedSec, steadyParams } from './steady.js';
import type { Scenario } from './types.js';

/** Time between two crashes (ms). */
export const CRASH_EVERY_MS = 2_000;
const CRASH_PATH = '/admin/crash-shard';

const CRASHES = 'crashes';
const CRASH_FAILURES = 'crashFailures';

export const chaos: Scenario = {
  name: 'chaos',
  describe: '200 sessions, 5,000 req/s, 15 s while a random shard manager crashes every 2 s',
  accepts: ['--sessions', '--rate', '--per-session-rate', '--duration', '--ramp-rate', '--inflight'],
  defaults: { sessions: 200, rate: 5_000, durationSec: 15, rampRate: 500, inflight: 64 },
  server: { faultInjection: true },
  expectedSec: steadyExpectedSec,
  params: (s) => ({ ...steadyParams(s), crashEveryMs: CRASH_EVERY_MS }),
  run: (ctx) => runSteady(ctx, (load) => crashLoop(ctx, load)),
  conclude: concludeChaos,
};

/** Crashes a shard at once and then every 2 s until the load is over. */
async function crashLoop(ctx: RunContext, load: Promise<void>): Promise<void> {
  const over = new AbortController();
  void load.then(() => over.abort());
  let crashes = 0;
  let failures = 0;
  while (!over.signal.aborted && !ctx.aborted) {
    const r = await plainRequest(ctx.url, 'POST', CRASH_PATH, 5_000);
    if (r.status === 200) {
      crashes++;
    } else if (r.status === 404 && crashes === 0) {
      const how = ctx.startedByHarness
        ? 'the server the harness started does not serve it'
        : 'start the server with debug.faultInjection: true in its --config file';
      throw optionsError(
        `the chaos scenario needs fault injection: POST ${new URL(CRASH_PATH, ctx.url).href} answered 404 (${how})`,
      );
    } else {
      failures++;
      ctx.warn(`POST ${CRASH_PATH} answered ${r.error ?? `HTTP ${r.status}`}`);
    }
    await sleep(CRASH_EVERY_MS, over.signal);
  }
  ctx.marks.set(CRASHES, crashes);
  ctx.marks.set(CRASH_FAILURES, failures);
}

function concludeChaos(ctx: RunContext): void {
  const r = ctx.recorder;
  ctx.findings.crashes = ctx.marks.get(CRASHES) ?? 0;
  ctx.findings.crashRequestsFailed = ctx.marks.get(CRASH_FAILURES) ?? 0;
  ctx.findings.lost = ctx.lost;
  ctx.findings.duplicated = r.duplicated;
  ctx.findings.failed = r.errorCount;
  for (const kind of ERROR_KINDS) ctx.findings[`failed.${kind}`] = r.errors[kind];
  const shards = ctx.probe?.latest?.shards;
  ctx.findings.shardRestarts = shards?.restarts ?? null;
  ctx.findings.restartMsP50 = shards?.restartMs?.p50 ?? null;
  ctx.findings.restartMsMax = shards?.restartMs?.max ?? null;
}
