import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { classifyProbe, type ProbeOutcome, type ProbeVerdict } from '../../src/mcp/client/probe.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { HttpStatusError } from '../../src/transports/http-client.js';
import { discoverResult } from './fake-server.js';

const V = ['2026-07-28'];
const http = (o: ProbeOutcome): ProbeVerdict => classifyProbe(o, { http: true, versions: V });
const stdio = (o: ProbeOutcome): ProbeVerdict => classifyProbe(o, { http: false, versions: V });
const rpc = (code: number, httpStatus?: number, data?: unknown): ProbeOutcome => ({
  kind: 'error',
  error: new McpError(code, 'm', data),
  httpStatus,
});
const failCode = (v: ProbeVerdict): string | number | undefined =>
  v.kind === 'fail' ? ((v.error as { code?: string | number }).code ?? 'no code') : undefined;

describe('classifyProbe: the answer to server/discover decides the era', () => {
  it('a DiscoverResult naming a version we speak is modern, on every transport', () => {
    const d = discoverResult(['2025-11-25', '2026-07-28']);
    for (const classify of [http, stdio]) {
      expect(classify({ kind: 'result', result: d })).toEqual({ kind: 'modern', version: '2026-07-28', discover: d });
    }
  });

  it('a DiscoverResult without a shared version, or not a DiscoverResult at all, falls back', () => {
    expect(stdio({ kind: 'result', result: discoverResult(['2027-01-01']) }).kind).toBe('legacy');
    expect(stdio({ kind: 'result', result: {} }).kind).toBe('legacy');
    expect(stdio({ kind: 'result', result: { ...discoverResult(), resultType: 'input_required' } }).kind).toBe(
      'legacy',
    );
  });

  it('HTTP: -32022/-32021/-32020 and 404 + -32601 mean a modern server: never a fallback', () => {
    expect(failCode(http(rpc(-32021, 400)))).toBe('ERR_ERA_NEGOTIATION');
    expect(failCode(http(rpc(-32020, 400)))).toBe('ERR_ERA_NEGOTIATION');
    expect(failCode(http(rpc(-32601, 404)))).toBe('ERR_ERA_NEGOTIATION');
    expect(http(rpc(-32022, 400, { supported: ['2026-07-28'], requested: '2026-07-28' }))).toEqual({
      kind: 'retry',
      version: '2026-07-28',
    });
    expect(failCode(http(rpc(-32022, 400, { supported: ['2027-01-01'] })))).toBe('ERR_ERA_NEGOTIATION');
  });

  it('HTTP: any other 4xx or JSON-RPC error falls back to initialize', () => {
    expect(http(rpc(-32601, 200)).kind).toBe('legacy'); // a stateless 2025 server answering in band
    expect(http(rpc(-32000, 400)).kind).toBe('legacy'); // the SDK v1's "No valid session ID"
    expect(http(rpc(-32600, 400)).kind).toBe('legacy');
    expect(http({ kind: 'http', status: 400, error: new HttpStatusError(400, 'x') }).kind).toBe('legacy');
    expect(http({ kind: 'http', status: 404, error: new HttpStatusError(404, 'x') }).kind).toBe('legacy');
    expect(http({ kind: 'http', status: 405, error: new HttpStatusError(405, 'x') }).kind).toBe('legacy');
    // -32022 naming only 2025 versions: the server told us to use one of them.
    expect(http(rpc(-32022, 400, { supported: ['2025-11-25'] }))).toEqual({
      kind: 'legacy',
      reason: 'the server supports only 2025-11-25',
    });
  });

  it('HTTP: 401/403, 5xx, timeouts and network failures are not era evidence', () => {
    const auth = http({ kind: 'http', status: 401, error: new HttpStatusError(401, 'no token') });
    expect(auth.kind === 'fail' && auth.error instanceof HttpStatusError && auth.error.status).toBe(401);
    const denied = http(rpc(-32600, 403));
    expect(denied.kind === 'fail' && denied.error instanceof HttpStatusError && denied.error.status).toBe(403);
    expect(failCode(http({ kind: 'http', status: 503, error: new HttpStatusError(503, 'x') }))).toBe(
      'ERR_ERA_NEGOTIATION',
    );
    expect(failCode(http(rpc(-32603, 500)))).toBe('ERR_ERA_NEGOTIATION');
    expect(failCode(http({ kind: 'timeout', timeoutMs: 5 }))).toBe(-32001);
    const net = new Error('ECONNREFUSED');
    expect(http({ kind: 'failed', error: net })).toEqual({ kind: 'fail', error: net });
  });

  it('stdio and WebSocket: a modern error is modern, any other error or silence is legacy', () => {
    expect(failCode(stdio(rpc(-32021)))).toBe('ERR_ERA_NEGOTIATION');
    expect(failCode(stdio(rpc(-32020)))).toBe('ERR_ERA_NEGOTIATION');
    expect(stdio(rpc(-32022, undefined, { supported: ['2026-07-28'] })).kind).toBe('retry');
    // No HTTP status on a shared channel: -32601 is what 2025 servers answer unknown methods with.
    expect(stdio(rpc(-32601)).kind).toBe('legacy');
    expect(stdio(rpc(-32602)).kind).toBe('legacy');
    expect(stdio(rpc(-32600)).kind).toBe('legacy');
    expect(stdio({ kind: 'timeout', timeoutMs: 5 })).toEqual({
      kind: 'legacy',
      reason: 'no answer to server/discover within 5 ms',
    });
  });

  it('a connection that closes mid-probe cannot fall back on the same stream', () => {
    const v = stdio({ kind: 'closed' });
    expect(v.kind === 'fail' && hasErrorCode(v.error, 'ERR_ERA_NEGOTIATION')).toBe(true);
  });
});
