import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { type StdioClientOptions, StdioClientTransport } from '../../src/transports/stdio.js';
import { expectRejectCode } from '../helpers.js';

const ECHO = fileURLToPath(new URL('../fixtures/stdio-echo.mjs', import.meta.url));
const live: StdioClientTransport[] = [];

function client(options: Partial<StdioClientOptions> = {}, flags: string[] = []) {
  const t = new StdioClientTransport({ command: process.execPath, args: [ECHO, ...flags], ...options });
  live.push(t);
  const received: JsonRpcMessage[] = [];
  const errors: Error[] = [];
  let closes = 0;
  t.onmessage = (m) => received.push(m);
  t.onerror = (e) => errors.push(e);
  t.onclose = () => closes++;
  return { t, received, errors, closes: () => closes };
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((t) => t.close()));
});

describe('StdioClientTransport', () => {
  it('answers 2,000 concurrent requests in order, none lost or duplicated', async () => {
    const c = client();
    await c.t.start();
    expect(c.t.pid).toBeGreaterThan(0);
    const n = 2_000;
    await Promise.all(
      Array.from({ length: n }, (_, i) => c.t.send({ jsonrpc: '2.0', id: i, method: 'm', params: { i } })),
    );
    await until(() => c.received.length >= n);
    expect(c.received).toEqual(
      Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, result: { echo: { i } } })),
    );
    expect(c.errors).toEqual([]);
  });

  it('close() ends stdin, the child exits, onclose fires once; send afterwards rejects', async () => {
    const c = client();
    await c.t.start();
    await c.t.close();
    expect(c.closes()).toBe(1);
    await c.t.close();
    expect(c.closes()).toBe(1);
    await expectRejectCode(c.t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
  });

  it('fires onclose once when the child exits by itself', async () => {
    const c = client();
    await c.t.start();
    await c.t.send({ jsonrpc: '2.0', id: 1, method: 'exit', params: { code: 3 } });
    await until(() => c.closes() === 1);
    await expectRejectCode(c.t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
    await c.t.close();
    expect(c.closes()).toBe(1);
  });

  it('kills a child that ignores the end of stdin and SIGTERM after the grace periods', async () => {
    const c = client({ closeGraceMs: 100 }, ['--ignore-end', '--ignore-term']);
    await c.t.start();
    await c.t.send({ jsonrpc: '2.0', id: 1, method: 'ping' }); // the child is up and has its SIGTERM handler
    await until(() => c.received.length === 1);
    const started = Date.now();
    await c.t.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(c.closes()).toBe(1);
  });

  it('reports a non-JSON line from the server and keeps reading', async () => {
    const c = client();
    await c.t.start();
    await c.t.send({ jsonrpc: '2.0', id: 1, method: 'garbage' });
    await c.t.send({ jsonrpc: '2.0', id: 2, method: 'm' });
    await until(() => c.received.length === 2);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(c.received.map((m) => ('id' in m ? m.id : null))).toEqual([1, 2]);
  });

  it("exposes the child's stderr with stderr: 'pipe'", async () => {
    const c = client({ stderr: 'pipe' });
    expect(c.t.stderr).toBeNull();
    await c.t.start();
    let text = '';
    c.t.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
    });
    await c.t.send({ jsonrpc: '2.0', id: 1, method: 'stderr', params: { text: 'to stderr' } });
    await until(() => text.includes('to stderr\n'));
  });

  it('passes env over a minimal default environment, not the whole parent environment', async () => {
    process.env.ERLMCP_TEST_SECRET = 'do-not-leak';
    try {
      const c = client({ env: { ERLMCP_TEST_VAR: 'given' } });
      await c.t.start();
      await c.t.send({ jsonrpc: '2.0', id: 1, method: 'env' });
      await until(() => c.received.length === 1);
      const env = (c.received[0] as unknown as { result: { env: Record<string, string> } }).result.env;
      expect(env.ERLMCP_TEST_VAR).toBe('given');
      expect(env.ERLMCP_TEST_SECRET).toBeUndefined();
      if (process.env.PATH !== undefined) expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.ERLMCP_TEST_SECRET;
    }
  });

  it('rejects start() with ERR_TRANSPORT when the command cannot be spawned, and fires no onclose', async () => {
    const t = new StdioClientTransport({ command: '/nonexistent/erlmcp-test-binary' });
    let closes = 0;
    t.onclose = () => closes++;
    await expectRejectCode(t.start(), 'ERR_TRANSPORT');
    await new Promise((r) => setTimeout(r, 50));
    expect(closes).toBe(0);
    await expectRejectCode(t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
    await t.close();
  });

  it('refuses send() before start() and a second start()', async () => {
    const c = client();
    await expectRejectCode(c.t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_NOT_CONNECTED');
    await c.t.start();
    await expectRejectCode(c.t.start(), 'ERR_ALREADY_STARTED');
  });

  it('reports an oversize line from the server as ERR_MESSAGE_TOO_LARGE and serves the next', async () => {
    const c = client({ maxMessageBytes: 100 });
    await c.t.start();
    await c.t.send({ jsonrpc: '2.0', id: 1, method: 'm', params: { pad: 'x'.repeat(200) } });
    await c.t.send({ jsonrpc: '2.0', id: 2, method: 'm' });
    await until(() => c.received.length === 1);
    expect(c.received[0]).toMatchObject({ id: 2 });
    expect(c.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
  });
});
