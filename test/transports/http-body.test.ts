import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyReader, type BodySink, parseJsonBody } from '../../src/transports/http-body.js';

function fakeRequest(headers: Record<string, string> = {}): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

function read(req: PassThrough & { headers: Record<string, string> }, limit: number) {
  const out: { body?: Buffer; tooLarge?: boolean; error?: Error } = {};
  const sink: BodySink<null> = {
    bodyRead: (_r, body) => {
      out.body = body;
    },
    bodyTooLarge: () => {
      out.tooLarge = true;
    },
    bodyFailed: (_r, error) => {
      out.error = error;
    },
  };
  new BodyReader(req as unknown as IncomingMessage, limit, null, sink).start();
  return out;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BodyReader', () => {
  it('returns a single chunk as is and concatenates several', async () => {
    const one = fakeRequest();
    const a = read(one, 100);
    one.end(Buffer.from('{"a":1}'));
    await tick();
    expect(a.body?.toString()).toBe('{"a":1}');
    const many = fakeRequest();
    const b = read(many, 100);
    many.write('{"a"');
    many.write(':');
    many.end('2}');
    await tick();
    expect(b.body?.toString()).toBe('{"a":2}');
  });

  it('refuses a declared Content-Length over the limit before reading', () => {
    const req = fakeRequest({ 'content-length': '101' });
    const out = read(req, 100);
    expect(out.tooLarge).toBe(true);
    expect(req.listenerCount('data')).toBe(0);
  });

  it('stops at the limit without keeping what follows', async () => {
    const req = fakeRequest();
    const out = read(req, 10);
    req.write('12345');
    req.write('678901');
    await tick();
    expect(out.tooLarge).toBe(true);
    expect(req.listenerCount('data')).toBe(0);
    req.end('more');
    await tick();
    expect(out.body).toBeUndefined();
  });

  it('reports a failed request once and survives errors after a 413', async () => {
    const req = fakeRequest();
    const out = read(req, 100);
    req.destroy(new Error('aborted'));
    await tick();
    expect(out.error?.message).toBe('aborted');
    const late = fakeRequest();
    const l = read(late, 1);
    late.write('12');
    await tick();
    expect(l.tooLarge).toBe(true);
    late.destroy(new Error('reset'));
    await tick();
    expect(l.error).toBeUndefined();
  });

  it('gives an empty body for a request without one', async () => {
    const req = fakeRequest();
    const out = read(req, 10);
    req.end();
    await tick();
    expect(out.body?.length).toBe(0);
  });
});

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON and rejects invalid UTF-8 and invalid JSON', () => {
    expect(parseJsonBody(Buffer.from('{"é":"✓"}'))).toEqual({ é: '✓' });
    expect(() => parseJsonBody(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toThrow(/UTF-8/);
    expect(() => parseJsonBody(Buffer.from('{'))).toThrow(SyntaxError);
    expect(() => parseJsonBody(Buffer.alloc(0))).toThrow(SyntaxError);
  });
});
