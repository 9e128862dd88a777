/**
 * File descriptors a run needs and what it gets. A WebSocket session holds one socket (one fd)
 * in the harness and one in the server; Streamable HTTP sessions share the agents' keep-alive
 * sockets, so there the socket count is bounded instead of the sessions. A server the harness
 * starts inherits the harness's (raised) limit.
 */
import type { FdLimits } from '../ops/fd-limit.js';
import type { LoadTransport } from './options.js';

/** Descriptors kept free for everything that is not a session socket (stdio, pipes, probes, files). */
export const FD_MARGIN = 100;

/** What {@link planFds} decided. */
export interface FdPlan {
  /** Sessions the run may open (the asked number, or fewer when the limit caps it). */
  sessions: number;
  /** HTTP: sockets all agents together may hold; WebSocket: one per session. */
  sockets: number;
  /** maxConnections for a server the harness starts. */
  serverMaxConnections: number;
  /** The soft limit the harness runs with; null where the platform has none. */
  limit: number | null;
  /** Set when the limit lowered the run: the sentence for stderr and report.warnings. */
  warning?: string;
}

/** Inputs of {@link planFds}. */
export interface FdNeed {
  transport: LoadTransport;
  /** The most sessions the scenario holds at once. */
  sessions: number;
  /** Unanswered requests per session (HTTP needs up to one socket for each). */
  inflight: number;
  /** True when the harness starts the server (which then shares the limit). */
  selfStarted: boolean;
}

/** Descriptors the harness asks for before raising its soft limit. */
export function fdsWanted(need: FdNeed): number {
  const sockets = need.transport === 'ws' ? need.sessions : need.sessions * need.inflight;
  return sockets + FD_MARGIN;
}

/** Decides sessions, sockets and the server's maxConnections under `limits` (the limits after raising). */
export function planFds(need: FdNeed, limits: FdLimits | undefined): FdPlan {
  const soft = limits === undefined || !Number.isFinite(limits.soft) ? null : limits.soft;
  const budget = soft === null ? Number.POSITIVE_INFINITY : Math.max(1, soft - FD_MARGIN);
  // Headroom above the sessions asked, so the server's own limit is never what refuses them.
  const headroom = Math.max(100, Math.ceil(need.sessions * 0.1));
  if (need.transport === 'http') {
    const sockets = Math.min(need.sessions * need.inflight, budget, 65_536);
    return { sessions: need.sessions, sockets, serverMaxConnections: need.sessions + headroom, limit: soft };
  }
  const sessions = Math.min(need.sessions, budget);
  const serverMax = Math.min(need.sessions + headroom, budget);
  const plan: FdPlan = { sessions, sockets: sessions, serverMaxConnections: serverMax, limit: soft };
  if (sessions < need.sessions) {
    const hard = limits?.hard;
    const who = need.selfStarted ? 'this process and the server it starts' : 'this process';
    plan.warning =
      `asked for ${need.sessions} WebSocket sessions, which need ${need.sessions + FD_MARGIN} file descriptors, ` +
      `but the open-file limit of ${who} is ${soft}` +
      (hard !== undefined && Number.isFinite(hard)
        ? ` (hard limit ${hard}, which only a privileged process can raise)`
        : '') +
      `: using ${sessions} sessions. See docs/load.md to raise it.`;
  }
  return plan;
}
