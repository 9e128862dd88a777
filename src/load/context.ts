/**
 * What a scenario works with: the session pool, the recorder, the server probe, the place for
 * findings, steps and warnings, and the few operations every scenario is built from (open
 * sessions, run open-loop load, drain). Every operation is bounded by a deadline and stops
 * early when the run is aborted.
 */
import { performance } from 'node:perf_hooks';
import { ErlmcpError } from '../core/errors.js';
import type { ClusterTarget } from './cluster-target.js';
import type { HealthSample } from './health.js';
import { OpenLoopDriver } from './open-loop.js';
import type { SessionPool } from './pool.js';
import type { HealthProbe } from './probe.js';
import type { Recorder } from './recorder.js';
import type { LoadStep } from './report.js';
import type { LoadSettings } from './settings.js';
import { sleep } from './sleep.js';

/** How long the server gets to settle before a memory reading after opening sessions (ms). */
export const SETTLE_MS = 1_200;

/** Longest drain once the run is aborted (ms). */
const ABORTED_DRAIN_MS = 2_000;

/** A finding value. */
export type Finding = number | string | boolean | null;

/** The run a scenario drives; see the file comment. */
export class RunContext {
  readonly settings: LoadSettings;
  readonly pool: SessionPool;
  readonly recorder: Recorder;
  /** The /health probe; undefined when the server has no usable /health. */
  readonly probe: HealthProbe | undefined;
  /** The MCP endpoint under load. */
  readonly url: URL;
  readonly startedByHarness: boolean;
  /** The cluster's nodes, for a scenario that runs against one (the pool spreads over them). */
  readonly cluster: ClusterTarget | undefined;
  readonly signal: AbortSignal;
  readonly findings: Record<string, Finding> = {};
  readonly steps: LoadStep[] = [];
  readonly warnings: string[] = [];
  /** Scenario parameters actually used (the report's `params`). */
  readonly params: Record<string, number | string | boolean> = {};
  /** Server memory per session in KB, when a scenario measured it. */
  memoryPerSessionKb: number | null = null;
  /** What the run is doing now, for the progress line. */
  phase: string | undefined;
  /** Requests unanswered at the end of the final drain; set by the engine before `conclude`. */
  lost = 0;
  /** Sessions the flags asked for, before the fd limit capped `settings.sessions`. */
  readonly requestedSessions: number;
  /** The open-file limit that capped the sessions, if one did. */
  readonly fdCap: number | undefined;
  /** Scenario-private numbers kept between `run` and `conclude`. */
  readonly marks = new Map<string, number>();
  readonly #say: (text: string) => void;

  constructor(init: {
    settings: LoadSettings;
    pool: SessionPool;
    recorder: Recorder;
    probe: HealthProbe | undefined;
    url: URL;
    startedByHarness: boolean;
    cluster?: ClusterTarget;
    signal: AbortSignal;
    say: (text: string) => void;
    requestedSessions: number;
    fdCap: number | undefined;
  }) {
    this.requestedSessions = init.requestedSessions;
    this.fdCap = init.fdCap;
    this.settings = init.settings;
    this.pool = init.pool;
    this.recorder = init.recorder;
    this.probe = init.probe;
    this.url = init.url;
    this.startedByHarness = init.startedByHarness;
    this.cluster = init.cluster;
    this.signal = init.signal;
    this.#say = init.say;
  }

  /** performance.now(). */
  now(): number {
    return performance.now();
  }

  /** Records a warning for the report and says it on stderr now. */
  warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
    this.#say(`warning: ${text}`);
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  /**
   * Opens `count` more sessions at `rampRate` per second (default: the run's --ramp-rate).
   * Resolves when every open ended; warns when some were refused or failed or never started.
   * Bounded: no open starts after `graceMs` past the planned ramp time (default: the planned
   * time again plus the handshake deadline plus 10 s).
   */
  async openSessions(
    count: number,
    options: { rampRate?: number; graceMs?: number; onEstablished?: () => void } = {},
  ): Promise<void> {
    if (count <= 0) return;
    const rampRate = options.rampRate ?? this.settings.rampRate;
    const before = { attempted: this.pool.attempted, refused: this.pool.refused, failed: this.pool.failed };
    const planned = Number.isFinite(rampRate) ? (count / rampRate) * 1000 : 0;
    const grace = options.graceMs ?? planned + this.settings.timeoutMs + 10_000;
    await this.pool.grow(count, {
      rampRate,
      deadline: performance.now() + planned + grace,
      signal: this.signal,
      onEstablished: options.onEstablished,
    });
    const notStarted = count - (this.pool.attempted - before.attempted);
    if (notStarted > 0 && !this.aborted) {
      this.warn(
        `${notStarted} of ${count} session opens were never started: the ramp passed its deadline ` +
          `(${Math.round((planned + grace) / 1000)} s; handshakes were slower than --ramp-rate asked)`,
      );
    }
    const refused = this.pool.refused - before.refused;
    const failed = this.pool.failed - before.failed;
    // Nothing to measure: the target is unreachable or turns everyone away.
    if (this.pool.established === 0 && !this.aborted) {
      throw new ErlmcpError(
        'ERR_LOAD_TARGET',
        `no session could be opened to ${this.url.href}: ${this.pool.reasonsText() || 'no open was started'}`,
      );
    }
    if (refused + failed > 0) {
      this.warn(`${refused} session opens refused and ${failed} failed: ${this.pool.reasonsText()}`);
    }
  }

  /**
   * Runs open-loop load at `rate` requests per second in total for `durationMs`, each session
   * holding at most `inflightCap` unanswered requests (default --inflight).
   */
  async openLoop(rate: number, durationMs: number, inflightCap = this.settings.inflight): Promise<void> {
    const driver = new OpenLoopDriver(this.pool, this.recorder, { rate, inflightCap });
    await driver.run(durationMs, this.signal);
  }

  /**
   * Waits until every request sent is answered, at most `maxMs` (default --timeout-ms; 2 s
   * once the run is aborted: the user wants it to end); returns how many are still unanswered
   * (they count as lost if they stay so).
   */
  async drain(maxMs = this.settings.timeoutMs): Promise<number> {
    const start = performance.now();
    const until = start + Math.min(maxMs, this.settings.timeoutMs);
    for (;;) {
      const now = performance.now();
      if (this.pool.inflight() === 0 || now >= until) break;
      if (this.aborted && now >= start + ABORTED_DRAIN_MS) break;
      await sleep(10);
    }
    return this.pool.inflight();
  }

  /** A /health sample now; undefined without a usable /health. */
  async sample(): Promise<HealthSample | undefined> {
    return this.probe?.sample();
  }

  /**
   * Server memory per session from RSS before opening `sessions` sessions and after they sit
   * idle for a moment; sets {@link memoryPerSessionKb} and returns it (null without /health).
   */
  async measureSessionMemory(before: HealthSample | undefined, sessions: number): Promise<number | null> {
    if (before === undefined || sessions <= 0) return null;
    await sleep(SETTLE_MS, this.signal);
    const after = await this.sample();
    if (after === undefined) return null;
    const kb = Math.max(0, ((after.memoryMb - before.memoryMb) * 1024) / sessions);
    this.memoryPerSessionKb = Math.round(kb * 100) / 100;
    return this.memoryPerSessionKb;
  }
}
