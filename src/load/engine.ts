/**
 * One `erlmcp load` run from start to report: plan file descriptors, start (or reach) the
 * server, find out whether it has /health, open the pool, drive the scenario with a progress
 * line and 1 s timeline windows, drain, close everything, and build the report. Whatever
 * happens, the sessions are closed and a self-started server is stopped before it returns or
 * throws, and the whole run is bounded by a watchdog.
 */
import { performance } from 'node:perf_hooks';
import { ErlmcpError } from '../core/errors.js';
import { fdLimits, raiseFdLimit } from '../ops/fd-limit.js';
import { ClientLag } from './client-lag.js';
import { type ClusterTarget, discoverCluster, startCluster } from './cluster-target.js';
import { RunContext } from './context.js';
import { fdsWanted, planFds } from './fd-plan.js';
import { machineInfo } from './machine.js';
import type { LoadFlags } from './options.js';
import { optionsError } from './options.js';
import { SessionPool } from './pool.js';
import { PREWARM, prewarm } from './prewarm.js';
import { HealthProbe } from './probe.js';
import { ProgressLine } from './progress.js';
import { Recorder } from './recorder.js';
import type { LoadReport } from './report.js';
import { buildReport } from './report-builder.js';
import { SCENARIOS } from './scenarios/index.js';
import { type StartedServer, startServer } from './server-process.js';
import { type LoadSettings, resolveSettings } from './settings.js';
import { planSources, portsPerSource } from './sources.js';

/** How long a self-started server may take to report its URL (ms). */
const SERVER_START_MS = 20_000;
/** The watchdog allows the scenario's expected time x this, plus {@link WATCHDOG_MARGIN_SEC}. */
const WATCHDOG_FACTOR = 2;
const WATCHDOG_MARGIN_SEC = 60;

/** Where a run writes its human-facing output, and how it can be stopped. */
export interface LoadIo {
  /** Progress line, notes and warnings. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** The command line, for the report. */
  command: string;
  /** Aborting it (Ctrl-C) ends the run early; the report says so. */
  signal?: AbortSignal;
}

/** Runs the scenario `flags` name and returns its report. Throws ERR_LOAD_OPTIONS for bad options, ERR_LOAD_TARGET when the server fails. */
export async function runLoad(flags: LoadFlags, io: LoadIo): Promise<LoadReport> {
  const t0 = performance.now();
  const startedAt = new Date();
  const scenario = SCENARIOS[flags.scenario];
  const settings = resolveSettings(flags, scenario.accepts, scenario.defaults);
  const selfStarted = settings.url === undefined;
  let progress: ProgressLine | undefined;
  const say = (text: string) => {
    if (progress !== undefined) progress.note(text);
    else io.stderr.write(`${text}\n`);
  };
  const early: string[] = [];
  const warn = (text: string) => {
    early.push(text);
    say(`warning: ${text}`);
  };

  // File descriptors: raise the soft limit to what the run needs, cap the sessions to what it got.
  const need = { transport: settings.transport, sessions: settings.sessions, inflight: settings.inflight, selfStarted };
  const limits = raiseFdLimit(fdsWanted(need)) ?? fdLimits();
  const plan = planFds(need, limits);
  const requestedSessions = settings.sessions;
  if (plan.warning !== undefined) warn(plan.warning);
  const run: LoadSettings = capSessions(settings, plan.sessions);

  const targetHost = run.url?.hostname ?? '127.0.0.1';
  const sources = planSources(targetHost, plan.sockets, portsPerSource(), run.sources);
  if (run.sources !== undefined && sources.length === 0) {
    throw optionsError(`--sources needs an IPv4 loopback target (127.x.x.x or localhost), got ${targetHost}`);
  }

  let server: StartedServer | undefined;
  let cluster: ClusterTarget | undefined;
  let url: URL;
  if (scenario.cluster) {
    cluster =
      run.url === undefined
        ? await startCluster(
            run.nodes,
            { maxConnections: plan.serverMaxConnections, ...scenario.server },
            { timeoutMs: SERVER_START_MS },
          )
        : await discoverCluster(run.url);
    url = cluster.nodes[0] as URL;
  } else if (run.url === undefined) {
    server = await startServer(
      { maxConnections: plan.serverMaxConnections, ...scenario.server },
      { timeoutMs: SERVER_START_MS },
    );
    url = new URL(server.url);
  } else {
    url = run.url;
  }

  const abort = new AbortController();
  const onUserAbort = () => abort.abort();
  io.signal?.addEventListener('abort', onUserAbort, { once: true });
  // Interrupted while the server was starting.
  if (io.signal?.aborted) abort.abort();
  let serverDied: string | undefined;
  let dead: StartedServer | undefined;
  const diedError = () =>
    new ErlmcpError(
      'ERR_LOAD_TARGET',
      `the server exited (${serverDied}) during the run; its last log lines:\n${dead?.logTail().join('\n')}`,
    );
  const selfStartedServers = server !== undefined ? [server] : [...(cluster?.started ?? [])];
  for (const s of selfStartedServers) {
    s.exited.then((how) => {
      if (abort.signal.aborted) return;
      serverDied = how;
      dead = s;
      abort.abort();
    });
  }
  const expected = scenario.expectedSec(run);
  const watchdogSec = expected * WATCHDOG_FACTOR + WATCHDOG_MARGIN_SEC;
  let cut = false;
  const watchdog = setTimeout(() => {
    cut = true;
    abort.abort();
  }, watchdogSec * 1000);

  const poolOptions = {
    url,
    nodes: cluster?.nodes,
    transport: run.transport,
    timeoutMs: run.timeoutMs,
    sources,
    httpSockets: plan.sockets,
  };
  const recorder = new Recorder(t0);
  const pool = new SessionPool({ ...poolOptions, recorder });
  let ctx: RunContext | undefined;
  let windowTimer: NodeJS.Timeout | undefined;
  const lag = new ClientLag();
  try {
    if (!run.quiet) say(`warming the server up (${PREWARM.sessions} sessions, ${PREWARM.seconds} s, not measured)`);
    await prewarm(poolOptions, abort.signal);
    const probe = new HealthProbe(url);
    const first = await probe.sample();
    if (first === undefined) warn(`server metrics unavailable: ${probe.unavailable}`);
    else probe.start();
    ctx = new RunContext({
      settings: run,
      pool,
      recorder,
      probe: first === undefined ? undefined : probe,
      url,
      startedByHarness: selfStartedServers.length > 0,
      cluster,
      signal: abort.signal,
      say,
      requestedSessions,
      fdCap: plan.warning !== undefined ? (plan.limit ?? undefined) : undefined,
    });
    for (const w of early) ctx.warnings.push(w);
    Object.assign(ctx.params, scenario.params(run), { prewarmSec: PREWARM.seconds });
    const c = ctx;
    let windowStart = performance.now();
    const rollWindow = () => {
      const now = performance.now();
      const s = c.probe?.latestSince(windowStart);
      recorder.roll(
        now,
        pool.live,
        c.probe ? { memoryMb: s?.memoryMb ?? null, eventLoopP99Ms: s?.eventLoopP99Ms ?? null } : null,
      );
      windowStart = now;
    };
    windowTimer = setInterval(rollWindow, 1_000);
    if (!run.quiet) {
      progress = new ProgressLine(io.stderr, () => ({
        elapsedSec: (performance.now() - t0) / 1000,
        sessions: pool.live,
        okPerSec: recorder.lastWindow?.okPerSec ?? 0,
        p95Ms: recorder.lastWindow?.p95Ms ?? null,
        errors: recorder.errorCount,
        phase: c.phase,
      }));
      progress.start();
    }
    lag.start();
    try {
      await scenario.run(ctx);
    } catch (err) {
      abort.abort();
      // A dead server explains whatever the scenario tripped over next.
      throw serverDied === undefined ? err : diedError();
    }
    if (serverDied !== undefined) throw diedError();
    await ctx.drain();
    ctx.lost = pool.abandonAll();
    clearInterval(windowTimer);
    rollWindow();
    probe.stop();
    if (cut) ctx.warn(`the run was cut by its ${Math.round(watchdogSec)} s watchdog`);
    if (io.signal?.aborted) ctx.warn('the run was interrupted before the scenario finished');
    lag.stop();
    scenario.conclude?.(ctx);
    Object.assign(ctx.findings, lag.findings());
    const report = buildReport(ctx, {
      scenario: run.scenario,
      startedAt,
      durationSec: (performance.now() - t0) / 1000,
      command: io.command,
      machine: machineInfo(plan.limit),
      target: {
        url: url.href,
        transport: run.transport,
        startedByHarness: selfStartedServers.length > 0,
        sourceAddresses: sources,
      },
    });
    return report;
  } finally {
    clearTimeout(watchdog);
    lag.stop();
    if (windowTimer !== undefined) clearInterval(windowTimer);
    ctx?.probe?.stop();
    progress?.stop();
    progress = undefined;
    io.signal?.removeEventListener('abort', onUserAbort);
    pool.abandonAll();
    await pool.closeAll(performance.now() + Math.min(run.timeoutMs, 5_000));
    await server?.stop();
    await cluster?.stop();
  }
}

/** `s` with at most `max` sessions (steps above it are dropped, the last one capped). */
function capSessions(s: LoadSettings, max: number): LoadSettings {
  if (s.sessions <= max) return s;
  const steps = s.steps.filter((n) => n < max);
  steps.push(max);
  return { ...s, sessions: max, steps, rate: s.perSessionRate * max };
}
