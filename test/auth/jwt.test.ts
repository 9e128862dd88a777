import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JwksCache, JwtVerifier, type JwtVerifierOptions } from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';
import { b64url, deadUrl, RESOURCE, type SigningKey, TestIssuer } from './issuer.js';

let issuer: TestIssuer;
let key: SigningKey;

beforeEach(async () => {
  issuer = await TestIssuer.start();
  key = await TestIssuer.key('k1');
  issuer.published = [key];
});

afterEach(async () => {
  vi.useRealTimers();
  await issuer.close();
});

function verifier(options: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({ issuer: issuer.issuer, audience: RESOURCE, jwksUri: issuer.jwksUri, ...options });
}

const refused = (description: string) => ({
  ok: false,
  failure: { status: 401, error: 'invalid_token', description },
});

describe('JwtVerifier', () => {
  it('a valid token: the identity has exactly the token facts', async () => {
    const token = await issuer.sign(key, { exp: 2_000_000_000, iat: 1_700_000_000 });
    expect(await verifier().verify(token)).toEqual({
      ok: true,
      identity: {
        subject: 'user-1',
        clientId: 'client-1',
        scopes: ['mcp:tools', 'mcp:read'],
        claims: {
          iss: issuer.issuer,
          aud: RESOURCE,
          sub: 'user-1',
          client_id: 'client-1',
          iat: 1_700_000_000,
          exp: 2_000_000_000,
          scope: 'mcp:tools mcp:read',
        },
        expiresAt: 2_000_000_000_000,
        issuer: issuer.issuer,
      },
    });
    expect(issuer.jwksFetches).toBe(1);
  });

  it('azp stands in for client_id; scp (array or string) for scope; an audience array is accepted', async () => {
    const v = verifier({ audience: ['https://other.example', RESOURCE] });
    const t1 = await issuer.sign(key, { client_id: undefined, azp: 'app-9', scope: undefined, scp: ['a', 'b', 'a'] });
    const r1 = await v.verify(t1);
    expect(r1.ok && [r1.identity.clientId, r1.identity.scopes]).toEqual(['app-9', ['a', 'b']]);
    const t2 = await issuer.sign(key, { scope: undefined, scp: 'x y', aud: ['https://x.example', RESOURCE] });
    const r2 = await v.verify(t2);
    expect(r2.ok && r2.identity.scopes).toEqual(['x', 'y']);
  });

  it('expired, not yet valid, wrong issuer, wrong audience, no exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const v = verifier();
    expect(await v.verify(await issuer.sign(key, { exp: now - 31 }))).toEqual(refused('token expired'));
    expect(await v.verify(await issuer.sign(key, { nbf: now + 120 }))).toEqual(refused('token not yet valid'));
    expect(await v.verify(await issuer.sign(key, { iss: 'https://evil.example' }))).toEqual(refused('wrong issuer'));
    expect(await v.verify(await issuer.sign(key, { aud: 'https://other.example/mcp' }))).toEqual(
      refused('wrong audience'),
    );
    expect(await v.verify(await issuer.sign(key, { exp: undefined }))).toEqual(refused('token has no valid exp claim'));
  });

  it('honours the clock tolerance (default 30 s, configurable)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign(key, { exp: now - 10 });
    expect((await verifier().verify(token)).ok).toBe(true);
    expect(await verifier({ clockToleranceSec: 0 }).verify(token)).toEqual(refused('token expired'));
  });

  it('refuses alg none, HS256 by default, a bad signature and garbage', async () => {
    const v = verifier();
    const payload = { iss: issuer.issuer, aud: RESOURCE, sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 };
    const unsecured = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    expect(await v.verify(unsecured)).toEqual(refused('signing algorithm not allowed'));
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new Uint8Array(32));
    expect(await v.verify(hs)).toEqual(refused('signing algorithm not allowed'));
    const good = await issuer.sign(key);
    const [h, p] = good.split('.');
    const forged = `${h}.${b64url({ ...payload, sub: 'admin' })}.${good.split('.')[2]}`;
    expect(await v.verify(forged)).toEqual(refused('invalid signature'));
    expect(await v.verify(`${h}.${p}`)).toEqual(refused('malformed token'));
    expect(await v.verify('not-a-jwt')).toEqual(refused('malformed token'));
  });

  it('HS256 works only when configured with a secret, and then RS256 does not', async () => {
    const secret = 'a-long-shared-secret-for-hmac-tests';
    const v = new JwtVerifier({ issuer: issuer.issuer, audience: RESOURCE, secret });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const hs = await new SignJWT({ iss: issuer.issuer, aud: RESOURCE, sub: 'u', exp })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    const r = await v.verify(hs);
    expect(r.ok && r.identity.subject).toBe('u');
    expect(await v.verify(await issuer.sign(key))).toEqual(refused('signing algorithm not allowed'));
  });

  it('requireAccessTokenType: typ must be at+jwt or application/at+jwt', async () => {
    const v = verifier({ requireAccessTokenType: true });
    expect((await v.verify(await issuer.sign(key))).ok).toBe(true);
    expect((await v.verify(await issuer.sign(key, {}, { typ: 'application/at+jwt' }))).ok).toBe(true);
    expect(await v.verify(await issuer.sign(key, {}, { typ: 'JWT' }))).toEqual(refused('token type is not at+jwt'));
    expect((await verifier().verify(await issuer.sign(key, {}, { typ: 'JWT' }))).ok).toBe(true);
  });

  it('tries every key when several match (no kid)', async () => {
    const other = await TestIssuer.key('k2');
    issuer.published = [other, key];
    const token = await issuer.sign(key, {}, { kid: undefined });
    expect((await verifier().verify(token)).ok).toBe(true);
  });

  it('refuses bad options with ERR_AUTH_CONFIG', () => {
    const base = { issuer: 'https://as.example', audience: RESOURCE, jwksUri: 'https://as.example/jwks' };
    for (const bad of [
      { ...base, algorithms: ['none'] },
      { ...base, algorithms: ['HS256'] },
      { ...base, algorithms: [] },
      { ...base, secret: 'x' },
      { issuer: base.issuer, audience: RESOURCE },
      { issuer: base.issuer, audience: RESOURCE, secret: 's', algorithms: ['RS256'] },
      { ...base, audience: [] },
      { ...base, issuer: '' },
      { ...base, jwksUri: 'http://as.example/jwks' },
      { ...base, clockToleranceSec: -1 },
    ]) {
      expectCode(() => new JwtVerifier(bad as JwtVerifierOptions), 'ERR_AUTH_CONFIG');
    }
  });
});

describe('JwtVerifier key set (JwksCache)', () => {
  it('an unknown kid after the cooldown refetches once and accepts the rotated key; another within the cooldown does not refetch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const v = verifier();
    expect((await v.verify(await issuer.sign(key))).ok).toBe(true);
    expect(issuer.jwksFetches).toBe(1);

    const rotated = await TestIssuer.key('k2');
    issuer.published = [key, rotated];
    vi.setSystemTime(Date.now() + 31_000);
    expect((await v.verify(await issuer.sign(rotated))).ok).toBe(true);
    expect(issuer.jwksFetches).toBe(2);

    const stranger = await TestIssuer.key('k3');
    expect(await v.verify(await issuer.sign(stranger))).toEqual(refused('unknown signing key'));
    expect(issuer.jwksFetches).toBe(2);
    // The known keys still verify without any fetch.
    expect((await v.verify(await issuer.sign(rotated))).ok).toBe(true);
    expect(issuer.jwksFetches).toBe(2);
  });

  it('concurrent first requests share one fetch', async () => {
    const v = verifier();
    const token = await issuer.sign(key);
    const results = await Promise.all([v.verify(token), v.verify(token), v.verify(token)]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(issuer.jwksFetches).toBe(1);
  });

  it('the endpoint going down after a successful fetch: cached keys keep working, past maxAge too', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const v = verifier();
    const token = await issuer.sign(key, { exp: Math.floor(Date.now() / 1000) + 7200 });
    expect((await v.verify(token)).ok).toBe(true);
    issuer.jwksMode = 'down';
    vi.setSystemTime(Date.now() + 11 * 60_000);
    // Stale: refreshed in the background, which fails; the old set still answers.
    expect((await v.verify(token)).ok).toBe(true);
    await vi.waitFor(() => expect(issuer.jwksFetches).toBe(2));
    expect((await v.verify(token)).ok).toBe(true);
    // A kid that may be in the set that could not be fetched: undecided (503), not refused.
    const rotated = await TestIssuer.key('k2');
    const r = await v.verify(await issuer.sign(rotated, { exp: Math.floor(Date.now() / 1000) + 60 }));
    expect(r).toEqual({
      ok: false,
      failure: { status: 503, error: undefined, description: 'signing keys unavailable', retryAfterSec: 30 },
    });
    expect(issuer.jwksFetches).toBe(2);
  });

  it('a stale set is refreshed, and a key removed from it stops working', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const v = verifier({ jwks: { maxAgeMs: 60_000 } });
    const next = await TestIssuer.key('k2');
    issuer.published = [key, next];
    const old = await issuer.sign(key, { exp: Math.floor(Date.now() / 1000) + 7200 });
    expect((await v.verify(old)).ok).toBe(true);
    issuer.published = [next];
    vi.setSystemTime(Date.now() + 61_000);
    await v.verify(old);
    await vi.waitFor(() => expect(issuer.jwksFetches).toBe(2));
    // The fetch reaching the issuer is not the new set being installed: its answer is parsed
    // after; until then the old set keeps answering (that is the point of a background refresh).
    await vi.waitFor(async () => expect(await v.verify(old)).toEqual(refused('unknown signing key')));
    expect(issuer.jwksFetches).toBe(2);
  });

  it('never reachable: 503 with retryAfterSec, no throw, no second attempt within the cooldown', async () => {
    const v = new JwtVerifier({ issuer: issuer.issuer, audience: RESOURCE, jwksUri: await deadUrl('/jwks') });
    const token = await issuer.sign(key);
    const unavailable = {
      ok: false,
      failure: { status: 503, error: undefined, description: 'signing keys unavailable', retryAfterSec: 30 },
    };
    expect(await v.verify(token)).toEqual(unavailable);
    expect(await v.verify(token)).toEqual(unavailable);
    expect(v.jwks?.ready).toBe(false);
  });

  it('an endpoint that never answers: 503 once the fetch timeout passes', async () => {
    issuer.jwksMode = 'hang';
    const v = verifier({ jwks: { timeoutMs: 200, cooldownMs: 10_000 } });
    expect(await v.verify(await issuer.sign(key))).toEqual({
      ok: false,
      failure: { status: 503, error: undefined, description: 'signing keys unavailable', retryAfterSec: 10 },
    });
    expect(issuer.jwksFetches).toBe(1);
  });

  it('refresh() warms the cache and reports whether a set is held', async () => {
    const jwks = new JwksCache({ jwksUri: issuer.jwksUri });
    expect(jwks.ready).toBe(false);
    expect(await jwks.refresh()).toBe(true);
    expect(jwks.ready).toBe(true);
    issuer.jwksMode = 'down';
    expect(await jwks.refresh()).toBe(true);
    expect(issuer.jwksFetches).toBe(2);
    expectCode(() => new JwksCache({ jwksUri: issuer.jwksUri, cooldownMs: 0 }), 'ERR_AUTH_CONFIG');
  });
});
