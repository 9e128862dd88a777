/**
 * The MRTR requestState codec (src/mcp/input/request-state.ts): AES-256-GCM sealed, bound to
 * the request (method, target, arguments), expiring. Every refusal is -32602. The clock is the
 * codec's `now` argument, so expiry is tested without waiting.
 */
import { describe, expect, it } from 'vitest';
import { bindingOf, RequestStateCodec } from '../../src/mcp/input/request-state.js';
import { McpError } from '../../src/mcp/jsonrpc.js';
import { expectCode } from '../helpers.js';

const KEY = 'k'.repeat(32);
const T0 = 1_800_000_000_000;

function refusedWith(fn: () => unknown, detail: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(McpError);
  expect((thrown as McpError).code).toBe(-32602);
  expect((thrown as McpError).message).toMatch(/^Invalid requestState: /);
  expect((thrown as McpError).message).toContain(detail);
}

/** Flips one bit of the sealed bytes at `byte` and re-encodes (still canonical base64url). */
function flip(sealed: string, byte: number): string {
  const raw = Buffer.from(sealed, 'base64url');
  raw.writeUInt8(raw.readUInt8(byte) ^ 0x01, byte);
  return raw.toString('base64url');
}

describe('RequestStateCodec', () => {
  const binding = bindingOf('tools/call', { name: 'book', arguments: { city: 'Oslo', n: 2 } }, undefined);

  it('round-trips answers, state and what each asked key asked for', () => {
    const codec = new RequestStateCodec({ key: KEY });
    const payload = {
      answers: { 'elicitation-1': { action: 'accept', content: { ok: true } } },
      state: { step: 2 },
      asked: { x: 'elicitation/create', y: 'sampling/createMessage' },
    };
    const sealed = codec.seal(payload, binding, T0);
    expect(typeof sealed).toBe('string');
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    // Opaque: nothing of the payload shows through.
    expect(sealed).not.toContain('accept');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('step');
    expect(codec.open(sealed, binding, T0)).toEqual(payload);
  });

  it('two seals of the same payload differ (random IV) and both open', () => {
    const codec = new RequestStateCodec({ key: KEY });
    const a = codec.seal({ answers: {} }, binding, T0);
    const b = codec.seal({ answers: {} }, binding, T0);
    expect(a).not.toBe(b);
    expect(codec.open(a, binding, T0)).toEqual({ answers: {} });
    expect(codec.open(b, binding, T0)).toEqual({ answers: {} });
  });

  it('expires after ttlMs (exactly at the boundary it is still valid)', () => {
    const codec = new RequestStateCodec({ key: KEY, ttlMs: 1_000 });
    const sealed = codec.seal({ answers: {} }, binding, T0);
    expect(codec.open(sealed, binding, T0 + 1_000)).toEqual({ answers: {} });
    refusedWith(() => codec.open(sealed, binding, T0 + 1_001), 'expired');
    // The default is ten minutes.
    const d = new RequestStateCodec({ key: KEY });
    expect(d.ttlMs).toBe(600_000);
    const s = d.seal({ answers: {} }, binding, T0);
    expect(d.open(s, binding, T0 + 600_000)).toEqual({ answers: {} });
    refusedWith(() => d.open(s, binding, T0 + 600_001), 'expired');
  });

  it('refuses state bound to another request: other tool, other arguments, other method', () => {
    const codec = new RequestStateCodec({ key: KEY });
    const sealed = codec.seal({ answers: {} }, binding, T0);
    for (const other of [
      bindingOf('tools/call', { name: 'cancel', arguments: { city: 'Oslo', n: 2 } }, undefined),
      bindingOf('tools/call', { name: 'book', arguments: { city: 'Bergen', n: 2 } }, undefined),
      bindingOf('tools/call', { name: 'book', arguments: { city: 'Oslo' } }, undefined),
      bindingOf('tools/call', { name: 'book' }, undefined),
      bindingOf('prompts/get', { name: 'book', arguments: { city: 'Oslo', n: 2 } }, undefined),
      bindingOf('tools/call', { name: 'book', arguments: { city: 'Oslo', n: 2 } }, 'alice'),
    ]) {
      refusedWith(() => codec.open(sealed, other, T0), 'belongs to another request');
    }
  });

  it('the binding ignores key order and the MRTR fields of the retry', () => {
    expect(bindingOf('tools/call', { name: 'book', arguments: { n: 2, city: 'Oslo' } }, undefined)).toBe(binding);
    expect(
      bindingOf(
        'tools/call',
        {
          name: 'book',
          arguments: { city: 'Oslo', n: 2 },
          inputResponses: { a: 1 },
          requestState: 'x',
          _meta: { y: 1 },
        },
        undefined,
      ),
    ).toBe(binding);
    // resources/read binds the URI only.
    expect(bindingOf('resources/read', { uri: 'a://b' }, undefined)).not.toBe(
      bindingOf('resources/read', { uri: 'a://c' }, undefined),
    );
  });

  it('refuses state sealed with another key, and opens state sealed by another codec with the same key', () => {
    const a = new RequestStateCodec({ key: KEY });
    const b = new RequestStateCodec({ key: 'x'.repeat(32) });
    const twin = new RequestStateCodec({ key: Buffer.from(KEY) });
    const sealed = a.seal({ answers: { k: 1 } }, binding, T0);
    refusedWith(() => b.open(sealed, binding, T0), 'integrity check failed');
    expect(twin.open(sealed, binding, T0)).toEqual({ answers: { k: 1 } });
    // Two default codecs (random keys) never open each other's state.
    refusedWith(
      () => new RequestStateCodec().open(new RequestStateCodec().seal({ answers: {} }, binding, T0), binding, T0),
      'integrity',
    );
  });

  it('refuses every single-bit change of the IV, the tag and the body', () => {
    const codec = new RequestStateCodec({ key: KEY });
    const sealed = codec.seal({ answers: { a: 'b' }, state: 1 }, binding, T0);
    const len = Buffer.from(sealed, 'base64url').length;
    for (const byte of [0, 5, 11, 12, 20, 27, 28, Math.floor(len / 2), len - 1]) {
      refusedWith(() => codec.open(flip(sealed, byte), binding, T0), 'integrity check failed');
    }
  });

  it.each([
    ['not a string', 42, 'must be a non-empty string'],
    ['an object', { a: 1 }, 'must be a non-empty string'],
    ['null', null, 'must be a non-empty string'],
    ['empty', '', 'must be a non-empty string'],
    ['too short', 'AAAA', 'malformed'],
    ['not base64url', '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!', 'malformed'],
    ['padded base64', `${'A'.repeat(42)}==`, 'malformed'],
  ])('refuses a requestState that is %s', (_what, value, detail) => {
    const codec = new RequestStateCodec({ key: KEY });
    refusedWith(() => codec.open(value, binding, T0), detail);
  });

  it('refuses an over-long requestState without decrypting it', () => {
    const codec = new RequestStateCodec({ key: KEY, maxBytes: 256 });
    refusedWith(() => codec.open('A'.repeat(513), binding, T0), 'too long');
  });

  it('sealing more than maxBytes is -32603 naming the limit', () => {
    const codec = new RequestStateCodec({ key: KEY, maxBytes: 256 });
    let thrown: unknown;
    try {
      codec.seal({ answers: { big: 'x'.repeat(400) } }, binding, T0);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(McpError);
    expect((thrown as McpError).code).toBe(-32603);
    expect((thrown as McpError).message).toContain('over the limit of 256');
  });

  it('validates its options with ERR_INVALID_ARG', () => {
    expectCode(() => new RequestStateCodec({ key: 'short' }), 'ERR_INVALID_ARG');
    expectCode(() => new RequestStateCodec({ key: new Uint8Array(31) }), 'ERR_INVALID_ARG');
    expectCode(() => new RequestStateCodec({ ttlMs: 0 }), 'ERR_INVALID_ARG');
    expectCode(() => new RequestStateCodec({ ttlMs: -1 }), 'ERR_INVALID_ARG');
    expectCode(() => new RequestStateCodec({ maxBytes: 255 }), 'ERR_INVALID_ARG');
    expect(new RequestStateCodec({ key: new Uint8Array(32) }).maxBytes).toBe(65_536);
  });
});
