import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { StdioServerTransport } from '../../src/transports/stdio.js';
import { expectRejectCode } from '../helpers.js';

/** A server transport on in-memory streams; `lines()` returns what it wrote, parsed. */
function harness(maxMessageBytes?: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let written = '';
  stdout.on('data', (c: Buffer) => {
    written += c.toString();
  });
  const t = new StdioServerTransport({ stdin, stdout, maxMessageBytes });
  const received: unknown[] = [];
  const errors: Error[] = [];
  let closes = 0;
  t.onmessage = (m) => received.push(m);
  t.onerror = (e) => errors.push(e);
  t.onclose = () => closes++;
  return {
    t,
    stdin,
    stdout,
    received,
    errors,
    closes: () => closes,
    lines: () =>
      written
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StdioServerTransport', () => {
  it('delivers messages in order, handles \\r\\n, ignores empty lines', async () => {
    const h = harness();
    await h.t.start();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"method":"a"}\r\n\n');
    h.stdin.write('{"jsonrpc":"2.0","id":2,');
    h.stdin.write('"method":"b"}\n{"jsonrpc":"2.0","method":"c"}\n');
    await tick();
    expect(h.received).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'a' },
      { jsonrpc: '2.0', id: 2, method: 'b' },
      { jsonrpc: '2.0', method: 'c' },
    ]);
    expect(h.errors).toEqual([]);
  });

  it('writes one JSON line per send', async () => {
    const h = harness();
    await h.t.start();
    await h.t.send({ jsonrpc: '2.0', id: 1, result: { s: 'line\nbreak' } });
    await h.t.send({ jsonrpc: '2.0', method: 'n' });
    await tick();
    expect(h.lines()).toEqual([
      { jsonrpc: '2.0', id: 1, result: { s: 'line\nbreak' } },
      { jsonrpc: '2.0', method: 'n' },
    ]);
  });

  it('answers invalid JSON and invalid UTF-8 with -32700 (id null) and keeps serving', async () => {
    const h = harness();
    await h.t.start();
    h.stdin.write('{not json}\n');
    h.stdin.write(Buffer.from([0x22, 0xff, 0x22, 0x0a]));
    h.stdin.write('{"jsonrpc":"2.0","id":3,"method":"ok"}\n');
    await tick();
    const answers = h.lines();
    expect(answers).toHaveLength(2);
    for (const a of answers) {
      expect(a).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
      expect(a.error.message).toMatch(/^Parse error: /);
    }
    expect(answers[1].error.message).toBe('Parse error: invalid UTF-8');
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_TRANSPORT', 'ERR_TRANSPORT']);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 3, method: 'ok' }]);
  });

  it('answers an oversize line with -32015 and data.limit, then serves the next line', async () => {
    const h = harness(1024);
    await h.t.start();
    for (let i = 0; i < 100; i++) h.stdin.write('x'.repeat(1000));
    h.stdin.write('\n{"jsonrpc":"2.0","id":"next","method":"ok"}\n');
    await tick();
    expect(h.lines()).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32015, message: 'Message too large', data: { limit: 1024 } } },
    ]);
    expect(h.errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 'next', method: 'ok' }]);
  });

  it('resolves send() only after drain when the writable is full', async () => {
    const chunks: string[] = [];
    let release: (() => void) | undefined;
    const stdout = new Writable({
      highWaterMark: 16,
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        release = cb;
      },
    });
    const t = new StdioServerTransport({ stdin: new PassThrough(), stdout });
    await t.start();
    const settled: number[] = [];
    const sends = [1, 2, 3].map((id) =>
      t.send({ jsonrpc: '2.0', id, result: { pad: 'x'.repeat(32) } }).then(() => settled.push(id)),
    );
    await tick();
    expect(settled).toEqual([]);
    for (let i = 0; i < 3; i++) {
      release?.();
      await tick();
    }
    await Promise.all(sends);
    expect(settled).toEqual([1, 2, 3]);
    expect(chunks.map((c) => JSON.parse(c).id)).toEqual([1, 2, 3]);
    expect(stdout.listenerCount('drain')).toBe(0);
  });

  it('closes once (on close() and on stdin end); send after close rejects ERR_CONNECTION_CLOSED', async () => {
    const h = harness();
    await h.t.start();
    await expectRejectCode(h.t.start(), 'ERR_ALREADY_STARTED');
    h.stdin.end();
    await tick();
    expect(h.closes()).toBe(1);
    await h.t.close();
    await h.t.close();
    expect(h.closes()).toBe(1);
    await expectRejectCode(h.t.send({ jsonrpc: '2.0', method: 'x' }), 'ERR_CONNECTION_CLOSED');
    expect(h.stdin.listenerCount('data')).toBe(0);
  });

  it('carries an SDK-shaped conversation between two cross-wired instances', async () => {
    const a2b = new PassThrough();
    const b2a = new PassThrough();
    const a = new StdioServerTransport({ stdin: b2a, stdout: a2b });
    const b = new StdioServerTransport({ stdin: a2b, stdout: b2a });
    const got: JsonRpcMessage[] = [];
    b.onmessage = (m) => {
      got.push(m);
      if ('id' in m && 'method' in m) void b.send({ jsonrpc: '2.0', id: m.id, result: { n: got.length } });
    };
    const answers: JsonRpcMessage[] = [];
    a.onmessage = (m) => answers.push(m);
    await Promise.all([a.start(), b.start()]);
    for (let i = 0; i < 500; i++) await a.send({ jsonrpc: '2.0', id: i, method: 'm' });
    await new Promise((r) => setTimeout(r, 50));
    expect(answers.map((m) => ('id' in m ? m.id : -1))).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('StdioServerTransport output backpressure', () => {
  it('stops reading requests while stdout is backed up and resumes when it drains', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough({ highWaterMark: 1024 }); // nobody reads it yet
    const t = new StdioServerTransport({ stdin, stdout });
    const received: number[] = [];
    // Answer every request with 600 bytes: the second answer fills stdout past its mark.
    t.onmessage = (m) => {
      const id = (m as { id: number }).id;
      received.push(id);
      void t.send({ jsonrpc: '2.0', id, result: { pad: 'x'.repeat(600) } });
    };
    await t.start();
    for (let i = 0; i < 50; i++) stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' })}\n`);
    await tick();
    await tick();
    const whileBlocked = received.length;
    expect(whileBlocked).toBeLessThan(50);
    // Read the output: the transport resumes and serves every remaining request, in order.
    const out: string[] = [];
    stdout.on('data', (c: Buffer) => out.push(c.toString()));
    for (let i = 0; i < 200 && received.length < 50; i++) await tick();
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await t.close();
  });
});
