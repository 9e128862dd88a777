import { describe, expect, it } from 'vitest';
import { FD_MARGIN, fdsWanted, planFds } from '../../src/load/fd-plan.js';

describe('file-descriptor plan', () => {
  it('asks for one fd per WebSocket session and one per HTTP request in flight, plus the margin', () => {
    expect(fdsWanted({ transport: 'ws', sessions: 1_000, inflight: 64, selfStarted: true })).toBe(1_000 + FD_MARGIN);
    expect(fdsWanted({ transport: 'http', sessions: 10, inflight: 64, selfStarted: true })).toBe(640 + FD_MARGIN);
  });

  it('keeps the sessions when the limit allows them and gives the server headroom', () => {
    const plan = planFds(
      { transport: 'ws', sessions: 1_000, inflight: 64, selfStarted: true },
      { soft: 20_000, hard: 20_000 },
    );
    expect(plan).toEqual({ sessions: 1_000, sockets: 1_000, serverMaxConnections: 1_100, limit: 20_000 });
  });

  it('caps WebSocket sessions at the limit minus the margin and says so', () => {
    const plan = planFds(
      { transport: 'ws', sessions: 100_000, inflight: 64, selfStarted: true },
      { soft: 20_000, hard: 20_000 },
    );
    expect(plan.sessions).toBe(19_900);
    expect(plan.serverMaxConnections).toBe(19_900);
    expect(plan.warning).toBe(
      'asked for 100000 WebSocket sessions, which need 100100 file descriptors, but the open-file limit of this ' +
        'process and the server it starts is 20000 (hard limit 20000, which only a privileged process can raise): ' +
        'using 19900 sessions. See docs/load.md to raise it.',
    );
  });

  it('does not cap Streamable HTTP sessions (they share sockets), only the sockets', () => {
    const plan = planFds(
      { transport: 'http', sessions: 100_000, inflight: 64, selfStarted: false },
      { soft: 20_000, hard: 20_000 },
    );
    expect(plan).toEqual({ sessions: 100_000, sockets: 19_900, serverMaxConnections: 110_000, limit: 20_000 });
  });

  it('plans without a limit where the platform has none', () => {
    const plan = planFds({ transport: 'ws', sessions: 50_000, inflight: 1, selfStarted: false }, undefined);
    expect(plan).toEqual({ sessions: 50_000, sockets: 50_000, serverMaxConnections: 55_000, limit: null });
    const inf = planFds(
      { transport: 'ws', sessions: 50_000, inflight: 1, selfStarted: false },
      {
        soft: Number.POSITIVE_INFINITY,
        hard: Number.POSITIVE_INFINITY,
      },
    );
    expect(inf.limit).toBeNull();
    expect(inf.sessions).toBe(50_000);
  });
});
