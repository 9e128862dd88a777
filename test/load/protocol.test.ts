import { describe, expect, it } from 'vitest';
import { parseHealth } from '../../src/load/health.js';
import {
  callBody,
  ECHO_MESSAGE,
  errorKindOf,
  httpStatusKind,
  isRefusalCode,
  outcomeOf,
} from '../../src/load/protocol.js';

describe('load protocol', () => {
  it('builds a tools/call of echo with a numeric id', () => {
    expect(JSON.parse(callBody(42))).toEqual({
      jsonrpc: '2.0',
      id: 42,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: ECHO_MESSAGE } },
    });
  });

  it('maps JSON-RPC error codes to error kinds (docs/errors.md)', () => {
    expect(errorKindOf(-32010)).toBe('rate_limited');
    expect(errorKindOf(-32011)).toBe('overloaded');
    expect(errorKindOf(-32012)).toBe('overloaded');
    expect(errorKindOf(-32013)).toBe('circuit_open');
    expect(errorKindOf(-32001)).toBe('timeout');
    expect(errorKindOf(-32014)).toBe('transport');
    expect(errorKindOf(-32000)).toBe('transport');
    expect(errorKindOf(-32603)).toBe('protocol');
    expect(errorKindOf('x')).toBe('protocol');
  });

  it('counts only the echoed text as ok', () => {
    expect(outcomeOf({ id: 1, result: { content: [{ text: ECHO_MESSAGE }] } })).toBe('ok');
    expect(outcomeOf({ id: 1, result: { content: [{ text: 'other' }] } })).toBe('protocol');
    expect(outcomeOf({ id: 1, result: {} })).toBe('protocol');
    expect(outcomeOf({ id: 1, error: { code: -32010 } })).toBe('rate_limited');
  });

  it('maps bare HTTP statuses and initialize refusals', () => {
    expect(httpStatusKind(429)).toBe('rate_limited');
    expect(httpStatusKind(503)).toBe('overloaded');
    expect(httpStatusKind(504)).toBe('timeout');
    expect(httpStatusKind(404)).toBe('transport');
    expect(isRefusalCode(-32012)).toBe(true);
    expect(isRefusalCode(-32603)).toBe(false);
  });
});

describe('parseHealth', () => {
  const body = {
    status: 'healthy',
    uptime_s: 3,
    connections: 2,
    sessions: 2,
    queue_depth: 0,
    memory_mb: 90.5,
    heap_used_mb: 20,
    gc_pause_ms: 1.5,
    gc_pause_total_ms: 7,
    gc_count: 4,
    event_loop_delay_p99_ms: 2.2,
    throughput_msg_sec: 100,
    errors_1m: 0,
    breaker: { state: 'closed', opened: 0 },
    shards: { count: 64, restarts: 2, restart_ms: { p50: 0.4, p99: 0.9, max: 1 }, depth_max: 0, per_shard: [] },
  };

  it('reads the fields the harness uses', () => {
    expect(parseHealth(body, 5)).toEqual({
      at: 5,
      status: 'healthy',
      memoryMb: 90.5,
      heapUsedMb: 20,
      gcPauseMs: 1.5,
      gcPauseTotalMs: 7,
      eventLoopP99Ms: 2.2,
      connections: 2,
      sessions: 2,
      queueDepth: 0,
      shards: { count: 64, restarts: 2, restartMs: { p50: 0.4, p99: 0.9, max: 1 } },
    });
    expect(parseHealth({ ...body, shards: null }, 0)).toMatchObject({ shards: null });
    expect(parseHealth({ ...body, shards: { ...body.shards, restart_ms: null } }, 0)).toMatchObject({
      shards: { restartMs: null },
    });
  });

  it('says why a body is not a usable /health answer', () => {
    expect(parseHealth([], 0)).toBe('the body is not a JSON object');
    expect(parseHealth({ ...body, memory_mb: '90' }, 0)).toBe('field memory_mb is missing or not a number');
  });
});
