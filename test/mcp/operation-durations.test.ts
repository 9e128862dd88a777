import { afterEach, describe, expect, it } from 'vitest';
import { OPERATION_BOUNDS_SECONDS, OPERATION_METHODS, operationIndex } from '../../src/mcp/operations.js';
import { McpServer } from '../../src/mcp/server.js';
import { rawClient } from './harness.js';

const servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('request durations per MCP method', () => {
  it('records every answered request under its method and outcome', async () => {
    const server = new McpServer({ name: 'd', version: '1' });
    servers.push(server);
    server.registerTool('echo', {}, (a: { m?: string }) => ({ content: [{ type: 'text', text: a.m ?? '' }] }));
    server.registerTool('boom', {}, () => {
      throw new Error('backend down');
    });
    const c = await rawClient(server);
    await c.initialize();
    for (let i = 0; i < 3; i++) await c.request(i, 'tools/call', { name: 'echo', arguments: { m: 'x' } });
    // A tool that throws answers a result with isError: true, not a JSON-RPC error.
    expect((await c.request('boom', 'tools/call', { name: 'boom', arguments: {} })).result.isError).toBe(true);
    await c.request('bad', 'tools/call', { name: 'nope', arguments: {} }); // invalid params
    await c.request('p', 'ping');
    await c.request('u', 'made/up'); // method not found, recorded as _OTHER
    const snap = server.gate.operationDurations();
    expect(snap.boundsSeconds).toEqual(OPERATION_BOUNDS_SECONDS);
    const count = (method: string, ok: boolean) => snap.series.find((s) => s.method === method && s.ok === ok)?.count;
    expect(count('initialize', true)).toBe(1);
    expect(count('tools/call', true)).toBe(4);
    expect(count('tools/call', false)).toBe(1);
    expect(count('ping', true)).toBe(1);
    expect(count('_OTHER', false)).toBe(1);
    expect(snap.series).toHaveLength(OPERATION_METHODS.length * 2);
    for (const s of snap.series) {
      expect(s.counts).toHaveLength(OPERATION_BOUNDS_SECONDS.length + 1);
      expect(s.counts.reduce((a, b) => a + b, 0)).toBe(s.count);
      expect(s.sumSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it('maps unknown methods to _OTHER so clients cannot grow the label set', () => {
    expect(OPERATION_METHODS[operationIndex('tools/call')]).toBe('tools/call');
    expect(OPERATION_METHODS[operationIndex('x'.repeat(100))]).toBe('_OTHER');
  });
});
