/**
 * Counts every request outcome of a run and keeps latency in histograms: whole-run ok and error
 * histograms, one histogram per 1-second window for the timeline, and one per open
 * {@link Tally}. Nothing here grows with the number of requests.
 */
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from '../core/histogram.js';
import { summaryMs, usToMs } from './latency.js';
import { ERROR_KINDS, type ErrorKind, type LatencySummaryMs, type TimelinePoint } from './report.js';
import { Tally } from './tally.js';

/** Server figures attached to a timeline window. */
export interface WindowServer {
  memoryMb: number | null;
  eventLoopP99Ms: number | null;
}

/** Windows shorter than this (the tail of a run) are not reported: their rates would be noise. */
const MIN_WINDOW_MS = 200;

function zeroErrors(): Record<ErrorKind, number> {
  const out = {} as Record<ErrorKind, number>;
  for (const k of ERROR_KINDS) out[k] = 0;
  return out;
}

/** The request counters and histograms of one run; see the file comment. */
export class Recorder {
  /** Requests written to a session. */
  sent = 0;
  /** Ok answers. */
  ok = 0;
  /** Error answers and local failures by kind. */
  readonly errors = zeroErrors();
  /** Answers for ids already answered or never sent. */
  duplicated = 0;
  /** Scheduled sends not made: the session was at its in-flight cap or closed. */
  unsent = 0;
  /** Scheduled sends skipped because the harness itself fell behind its schedule. */
  unsentBehind = 0;
  /** Frames or bodies that were not JSON-RPC at all (their request stays unanswered). */
  malformed = 0;
  /** Requests asked for over the load phases (see {@link beginLoad}). */
  #demanded = 0;
  /** Time the load phases were scheduled to send. */
  #loadMs = 0;
  /** Closed phases, each from its start to its last send or its last answer, whichever came later. */
  #measuredMs = 0;
  #phaseStart: number | undefined;
  #phaseEnd = 0;
  /** When the latest request was settled (performance.now()). */
  #lastSettled = Number.NEGATIVE_INFINITY;
  readonly #okHist = new LatencyHistogram();
  readonly #errHist = new LatencyHistogram();
  readonly #winHist = new LatencyHistogram();
  #winSent = 0;
  #winOk = 0;
  #winErrors = 0;
  #winStart: number;
  readonly #runStart: number;
  readonly #tallies = new Set<Tally>();
  /** The 1-second windows so far. */
  readonly timeline: TimelinePoint[] = [];

  /** @param runStart the run's time origin (ms, performance.now()): timeline `t` counts from it. */
  constructor(runStart: number) {
    this.#runStart = runStart;
    this.#winStart = runStart;
  }

  /** One request written. */
  recordSent(): void {
    this.sent++;
    this.#winSent++;
    for (const t of this.#tallies) t.sent++;
  }

  /** One ok answer, `us` after its scheduled send time. */
  recordOk(us: number): void {
    const now = performance.now();
    this.#lastSettled = now;
    this.ok++;
    this.#winOk++;
    this.#okHist.record(us);
    this.#winHist.record(us);
    for (const t of this.#tallies) t.recordOk(us, now);
  }

  /** One failed request; `us` is the latency of an error answer, undefined for a local failure. */
  recordError(kind: ErrorKind, us?: number): void {
    const now = performance.now();
    this.#lastSettled = now;
    this.errors[kind]++;
    this.#winErrors++;
    if (us !== undefined) this.#errHist.record(us);
    for (const t of this.#tallies) t.recordError(now);
  }

  recordDuplicate(): void {
    this.duplicated++;
  }

  /** `n` scheduled sends not made; `behind` when the harness could not keep up. */
  recordUnsent(n: number, behind = false): void {
    if (behind) this.unsentBehind += n;
    else this.unsent += n;
    for (const t of this.#tallies) t.unsent += n;
  }

  recordMalformed(): void {
    this.malformed++;
  }

  /** A load phase starts sending at `now`. */
  beginLoad(now: number): void {
    this.#closePhase();
    this.#phaseStart = now;
    this.#phaseEnd = now;
  }

  /** The phase begun last was scheduled to send until `end` and asked for `demanded` requests in that time. */
  endLoad(end: number, demanded: number): void {
    if (this.#phaseStart === undefined) return;
    this.#phaseEnd = end;
    this.#loadMs += end - this.#phaseStart;
    this.#demanded += demanded;
  }

  #closePhase(): void {
    if (this.#phaseStart === undefined) return;
    this.#measuredMs += this.#openPhaseMs();
    this.#phaseStart = undefined;
  }

  /** The open phase so far: until its last send or the last answer, whichever came later. */
  #openPhaseMs(): number {
    if (this.#phaseStart === undefined) return 0;
    return Math.max(this.#phaseEnd, this.#lastSettled) - this.#phaseStart;
  }

  /** Seconds the load phases were scheduled to send. */
  get loadSeconds(): number {
    return this.#loadMs / 1000;
  }

  /**
   * Seconds the load phases took until their answers were in: each from its start to its last
   * send or the last answer before the next phase, whichever came later. A server that falls
   * behind stretches this, so {@link achievedPerSec} shows what it really answered per second.
   */
  get measuredSeconds(): number {
    return (this.#measuredMs + this.#openPhaseMs()) / 1000;
  }

  /** Requests per second the scenario asked for over the load phases (0 without load). */
  get offeredPerSec(): number {
    return this.#loadMs > 0 ? this.#demanded / (this.#loadMs / 1000) : 0;
  }

  /** Ok answers per second over the measured window (0 without load). */
  get achievedPerSec(): number {
    const sec = this.measuredSeconds;
    return sec > 0 ? this.ok / sec : 0;
  }

  /** Sum of the error counts. */
  get errorCount(): number {
    let n = 0;
    for (const k of ERROR_KINDS) n += this.errors[k];
    return n;
  }

  /** Requests sent and not (yet) answered or failed. */
  get outstanding(): number {
    return this.sent - this.ok - this.errorCount;
  }

  /** Latency of ok answers over the whole run. */
  okLatency(): LatencySummaryMs {
    return summaryMs(this.#okHist.snapshot());
  }

  /** Latency of error answers over the whole run; null when there was none. */
  errorLatency(): LatencySummaryMs | null {
    const s = this.#errHist.snapshot();
    return s.count === 0 ? null : summaryMs(s);
  }

  /** Opens a tally fed from now until {@link endTally}. */
  beginTally(now: number): Tally {
    const t = new Tally(now);
    this.#tallies.add(t);
    return t;
  }

  endTally(t: Tally, now: number): void {
    t.close(now);
    this.#tallies.delete(t);
  }

  /** The latest window's point, if any. */
  get lastWindow(): TimelinePoint | undefined {
    return this.timeline[this.timeline.length - 1];
  }

  /**
   * Closes the current window at `now` and appends its point (unless it is shorter than
   * 200 ms, the tail of a run): rates over the window's real length, percentiles of its ok
   * answers.
   */
  roll(now: number, sessions: number, server: WindowServer | null): TimelinePoint | undefined {
    const ms = now - this.#winStart;
    if (ms < MIN_WINDOW_MS) return undefined;
    const sec = ms / 1000;
    const s = this.#winHist.snapshot();
    const has = s.count > 0;
    // Clamped like the whole-run blocks: a bucket's upper edge may pass the next percentile.
    const p99 = has ? usToMs(s.p99) : null;
    const p95 = has ? Math.min(usToMs(s.p95), p99 as number) : null;
    const p50 = has ? Math.min(usToMs(s.p50), p95 as number) : null;
    const point: TimelinePoint = {
      t: Math.round((now - this.#runStart) / 10) / 100,
      sessions,
      sentPerSec: round1(this.#winSent / sec),
      okPerSec: round1(this.#winOk / sec),
      errorsPerSec: round1(this.#winErrors / sec),
      p50Ms: p50,
      p95Ms: p95,
      p99Ms: p99,
      serverMemoryMb: server?.memoryMb ?? null,
      serverEventLoopP99Ms: server?.eventLoopP99Ms ?? null,
    };
    this.#winHist.reset();
    this.#winSent = 0;
    this.#winOk = 0;
    this.#winErrors = 0;
    this.#winStart = now;
    const last = this.lastWindow;
    // Strictly increasing t even if two rolls land in the same 10 ms.
    if (last !== undefined && point.t <= last.t) point.t = Math.round((last.t + 0.01) * 100) / 100;
    this.timeline.push(point);
    return point;
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
