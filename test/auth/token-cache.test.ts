import { describe, expect, it } from 'vitest';
import { type AuthOutcome, type Principal, TokenCache } from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';

function accepted(expiresAt: number | undefined): AuthOutcome {
  const principal: Principal = {
    key: 'api-key|a',
    subject: undefined,
    clientId: 'a',
    scopes: [],
    claims: {},
    method: 'api-key',
    expiresAt,
  };
  return { ok: true, principal };
}
const refused: AuthOutcome = { ok: false, failure: { status: 401, error: 'invalid_token', description: 'x' } };
const unavailable: AuthOutcome = {
  ok: false,
  failure: { status: 503, error: undefined, description: 'x', retryAfterSec: 1 },
};

describe('TokenCache', () => {
  it('an acceptance lives until min(expiry, now + maxAge)', () => {
    const c = new TokenCache({ maxAgeMs: 1000 });
    const forever = accepted(undefined);
    c.set('a', forever, 0);
    expect(c.get('a', 999)).toBe(forever);
    expect(c.get('a', 1000)).toBeUndefined();
    const soon = accepted(500);
    c.set('b', soon, 0);
    expect(c.get('b', 499)).toBe(soon);
    expect(c.get('b', 500)).toBeUndefined();
    c.set('c', accepted(100), 100);
    expect(c.get('c', 100)).toBeUndefined();
    expect(c.size).toEqual({ accepted: 0, refused: 0 });
  });

  it('a refusal lives for negativeTtl; a 503 is never cached', () => {
    const c = new TokenCache({ negativeTtlMs: 50 });
    c.set('bad', refused, 0);
    expect(c.get('bad', 49)).toBe(refused);
    expect(c.get('bad', 50)).toBeUndefined();
    c.set('down', unavailable, 0);
    expect(c.get('down', 1)).toBeUndefined();
    const off = new TokenCache({ negativeTtlMs: 0 });
    off.set('bad', refused, 0);
    expect(off.get('bad', 0)).toBeUndefined();
  });

  it('bounded: the oldest insertion is evicted first; refusals cannot evict acceptances', () => {
    const c = new TokenCache({ maxEntries: 2, maxNegativeEntries: 1 });
    const [a, b, d] = [accepted(undefined), accepted(undefined), accepted(undefined)];
    c.set('a', a, 0);
    c.set('b', b, 0);
    c.get('a', 1);
    c.set('d', d, 0);
    expect([c.get('a', 1), c.get('b', 1), c.get('d', 1)]).toEqual([undefined, b, d]);
    c.set('x', refused, 0);
    c.set('y', refused, 0);
    expect([c.get('x', 1), c.get('y', 1)]).toEqual([undefined, refused]);
    expect(c.size).toEqual({ accepted: 2, refused: 1 });
    c.clear();
    expect(c.size).toEqual({ accepted: 0, refused: 0 });
  });

  it('refuses bad options with ERR_AUTH_CONFIG', () => {
    for (const bad of [{ maxEntries: 0 }, { maxAgeMs: 0 }, { negativeTtlMs: -1 }, { maxEntries: 1.5 }]) {
      expectCode(() => new TokenCache(bad), 'ERR_AUTH_CONFIG');
    }
  });
});
