/**
 * The sessions of a run: opened at a ramp rate with a bounded number of handshakes in flight,
 * counted as established, refused (the server turned them away) or failed (anything else),
 * and kept in one array for round-robin scheduling.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createLoadAgent, HttpLoadSession } from './http-session.js';
import type { Recorder } from './recorder.js';
import type { LoadSession, SessionEnv, SessionHooks } from './session.js';
import { sleep } from './sleep.js';
import { WsLoadSession } from './ws-session.js';

/** Handshakes in flight at once while opening sessions (default of {@link PoolOptions.handshakes}). */
export const DEFAULT_HANDSHAKES = 64;

/** Options of {@link SessionPool}. */
export interface PoolOptions {
  url: URL;
  /**
   * The nodes of a cluster (url among them): session i opens on node i mod N and, over HTTP,
   * sends its requests to node (i + floor(i / N)) mod N, as a load balancer without affinity
   * would: 1 in N sessions direct, the others through a cross-node hop. Absent: `url` alone.
   */
  nodes?: readonly URL[];
  transport: 'ws' | 'http';
  recorder: Recorder;
  /** Handshake (and polite close) deadline in ms. */
  timeoutMs: number;
  /** Local addresses to spread sockets over; empty lets the kernel choose. */
  sources: readonly string[];
  /** HTTP only: sockets all agents together may hold (the fd budget). */
  httpSockets: number;
  /** Handshakes in flight at once (default 64). */
  handshakes?: number;
}

/** Options of {@link SessionPool.grow}. */
export interface GrowOptions {
  /** Sessions started per second (Infinity: as fast as the handshake bound allows). */
  rampRate: number;
  /** performance.now() after which no new open is started. */
  deadline: number;
  /** Stops starting new opens when aborted. */
  signal?: AbortSignal;
  /** Called after each session is established (flood raises its rate here). */
  onEstablished?: (session: LoadSession) => void;
}

/** Counts and holds the sessions of a run; see the file comment. */
export class SessionPool {
  /** Established sessions in the order they opened (closed ones stay, in state 'closed'). */
  readonly sessions: LoadSession[] = [];
  /** Opens started: `attempted === established + refused + failed` once every open ended. */
  attempted = 0;
  /** Opens that completed the MCP handshake. */
  established = 0;
  /** Opens the server turned away (503/429, close 1013/1008, initialize -32010..-32012). */
  refused = 0;
  /** Opens that failed otherwise (socket error, timeout, a bad answer). */
  failed = 0;
  /** Most sessions open at once. */
  peak = 0;
  /** Sessions open now. */
  live = 0;
  /** Why opens were refused or failed, with counts. */
  readonly reasons = new Map<string, number>();
  /** Driver callbacks every session calls (drivers replace `onSettled`). */
  readonly hooks: SessionHooks;
  readonly #options: PoolOptions;
  readonly #agents: http.Agent[] = [];
  readonly #connecting = new Set<LoadSession>();
  /** Addresses sockets are bound to, round-robin (empty: the kernel picks). */
  readonly #bind: readonly string[];

  constructor(options: PoolOptions) {
    this.#options = options;
    this.hooks = {
      onClosed: () => {
        this.live--;
      },
    };
    // One source needs no bind: binding before connect makes the kernel search for a free port
    // over every socket of that address (milliseconds per connect at thousands of sockets),
    // while a plain connect picks its port by the whole 4-tuple. The source is the same.
    this.#bind = options.sources.length > 1 ? options.sources : [];
    if (options.transport === 'http') {
      const count = Math.max(1, this.#bind.length);
      const perAgent = Math.max(1, Math.ceil(options.httpSockets / count));
      for (let i = 0; i < count; i++) this.#agents.push(createLoadAgent(options.url, perAgent, this.#bind[i]));
    }
  }

  /** Opens `count` more sessions; resolves when every started open has ended. */
  async grow(count: number, options: GrowOptions): Promise<void> {
    const limit = this.#options.handshakes ?? DEFAULT_HANDSHAKES;
    const start = performance.now();
    let launched = 0;
    let active = 0;
    let wake: (() => void) | undefined;
    const settle = () => {
      active--;
      wake?.();
    };
    while (launched < count) {
      const now = performance.now();
      if (now >= options.deadline || options.signal?.aborted) break;
      const due =
        options.rampRate === Number.POSITIVE_INFINITY
          ? count
          : Math.min(count, Math.floor(((now - start) * options.rampRate) / 1000) + 1);
      while (launched < due && active < limit) {
        launched++;
        active++;
        this.#openOne(options.onEstablished).then(settle, settle);
      }
      if (launched >= count) break;
      if (active >= limit) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      } else {
        const next = start + ((launched + 0.5) * 1000) / options.rampRate;
        await sleep(Math.min(50, Math.max(1, next - performance.now())));
      }
    }
    while (active > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }

  async #openOne(onEstablished: GrowOptions['onEstablished']): Promise<void> {
    const index = this.attempted++;
    const session = this.#create(index);
    this.#connecting.add(session);
    const outcome = await session.connect();
    this.#connecting.delete(session);
    if (outcome.ok) {
      this.established++;
      this.live++;
      if (this.live > this.peak) this.peak = this.live;
      this.sessions.push(session);
      onEstablished?.(session);
      return;
    }
    if (outcome.refused) this.refused++;
    else this.failed++;
    const key = `${outcome.refused ? 'refused' : 'failed'}: ${outcome.reason}`;
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
  }

  #create(index: number): LoadSession {
    const o = this.#options;
    const bind = this.#bind;
    const nodes = o.nodes ?? [];
    const n = nodes.length;
    const env: SessionEnv = {
      url: n > 0 ? (nodes[index % n] as URL) : o.url,
      requestUrl: n > 1 && o.transport === 'http' ? nodes[(index + Math.floor(index / n)) % n] : undefined,
      recorder: o.recorder,
      timeoutMs: o.timeoutMs,
      localAddress: bind.length > 0 ? bind[index % bind.length] : undefined,
      hooks: this.hooks,
    };
    if (o.transport === 'ws') return new WsLoadSession(index, env);
    const agent = this.#agents[index % this.#agents.length] as http.Agent;
    return new HttpLoadSession(index, env, agent);
  }

  /** Requests sent and unanswered across all sessions. */
  inflight(): number {
    let n = 0;
    for (const s of this.sessions) n += s.inflight;
    return n;
  }

  /** Ends the run for every session: returns the unanswered requests (lost); later answers are ignored. */
  abandonAll(): number {
    let lost = 0;
    for (const s of this.sessions) lost += s.abandon();
    return lost;
  }

  /** The reasons opens were refused or failed, most frequent first, as one line. */
  reasonsText(): string {
    return [...this.reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} (${v})`)
      .join('; ');
  }

  /**
   * Closes every session politely, `parallel` at a time, until `deadline` (performance.now());
   * whatever is still open then is destroyed, as are the HTTP agents.
   */
  async closeAll(deadline: number, parallel = 256): Promise<void> {
    const queue = this.sessions.filter((s) => s.state === 'open');
    let next = 0;
    const worker = async () => {
      while (next < queue.length && performance.now() < deadline) {
        const s = queue[next++] as LoadSession;
        await s.close();
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
    this.destroyAll();
  }

  /** Drops every socket now (also sessions still in their handshake). */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.#connecting) s.destroy();
    for (const a of this.#agents) a.destroy();
  }
}
