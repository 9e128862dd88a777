import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Authenticator,
  type AuthenticatorOptions,
  type AuthOutcome,
  hashApiKey,
  MISSING_TOKEN,
} from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';
import { bearerRequest, deadUrl, RESOURCE, rawRequest, type SigningKey, TestIssuer } from './issuer.js';

const METADATA_URL = 'https://api.example.com/.well-known/oauth-protected-resource/mcp';
const API_KEY = 'k_test_c2VjcmV0LWFwaS1rZXktMQ';

let issuer: TestIssuer;
let key: SigningKey;
let auth: Authenticator | undefined;

beforeEach(async () => {
  issuer = await TestIssuer.start();
  key = await TestIssuer.key('k1', 'ES256');
  issuer.published = [key];
});
afterEach(async () => {
  vi.useRealTimers();
  auth?.close();
  auth = undefined;
  await issuer.close();
});

function make(options: Partial<AuthenticatorOptions> = {}): Authenticator {
  auth = new Authenticator({
    resource: RESOURCE,
    authorizationServers: [issuer.issuer],
    scopesSupported: ['mcp:tools', 'mcp:read'],
    jwt: { jwksUri: issuer.jwksUri },
    ...options,
  });
  return auth;
}

const refused = (description: string) => ({ ok: false, failure: { status: 401, error: 'invalid_token', description } });

describe('Authenticator', () => {
  it('a valid JWT: the exact principal', async () => {
    const a = make();
    const token = await issuer.sign(key, { exp: 2_000_000_000, iat: 1_700_000_000 });
    const outcome = a.authenticate(bearerRequest(token));
    expect(outcome).toBeInstanceOf(Promise);
    expect(await outcome).toEqual({
      ok: true,
      principal: {
        key: `${issuer.issuer}|client-1`,
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
        method: 'jwt',
        expiresAt: 2_000_000_000_000,
      },
    });
  });

  it('a cached token is answered synchronously, without another JWKS request', async () => {
    const a = make();
    const token = await issuer.sign(key);
    const first = await a.authenticate(bearerRequest(token));
    expect(first.ok).toBe(true);
    const second = a.authenticate(bearerRequest(token));
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toBe(first);
    expect(issuer.jwksFetches).toBe(1);
    const uncached = make({ cache: false });
    expect((await uncached.authenticate(bearerRequest(token))).ok).toBe(true);
    expect(uncached.authenticate(bearerRequest(token))).toBeInstanceOf(Promise);
  });

  it('the last accepted header is remembered, but never past its verdict, for another header, or for two headers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = make({ cache: { maxAgeMs: 60_000 } });
    const t1 = await issuer.sign(key, { client_id: 'one' });
    const t2 = await issuer.sign(key, { client_id: 'two' });
    const one = (await a.authenticate(bearerRequest(t1))) as AuthOutcome;
    const two = (await a.authenticate(bearerRequest(t2))) as AuthOutcome;
    // Alternating headers: each answered with its own principal (the memo holds one).
    for (let i = 0; i < 3; i++) {
      expect(a.authenticate(bearerRequest(t1))).toBe(one);
      expect(a.authenticate(bearerRequest(t2))).toBe(two);
    }
    // The same value twice in one request is still two headers: 400, not the remembered verdict.
    const dup = a.authenticate(rawRequest('Authorization', `Bearer ${t2}`, 'Authorization', `Bearer ${t2}`));
    expect(dup).toMatchObject({ ok: false, failure: { status: 400, error: 'invalid_request' } });
    // Past maxAge the verdict is gone: verified again (a Promise), not remembered.
    vi.setSystemTime(Date.now() + 61_000);
    expect(a.authenticate(bearerRequest(t2))).toBeInstanceOf(Promise);
  });

  it('concurrent first requests with one token share one verification', async () => {
    const a = make();
    const token = await issuer.sign(key);
    const p1 = a.authenticate(bearerRequest(token));
    const p2 = a.authenticate(bearerRequest(token));
    expect(p2).toBe(p1);
    expect((await p1).ok).toBe(true);
    expect(issuer.jwksFetches).toBe(1);
  });

  it('a cache entry expires at maxAge (re-verified) and at the token expiry (then refused)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = make({ cache: { maxAgeMs: 60_000 } });
    const t0 = Date.now();
    const long = await issuer.sign(key, { exp: Math.floor(t0 / 1000) + 3600 });
    const short = await issuer.sign(key, { exp: Math.floor(t0 / 1000) + 20 });
    expect((await a.authenticate(bearerRequest(long))).ok).toBe(true);
    expect((await a.authenticate(bearerRequest(short))).ok).toBe(true);

    vi.setSystemTime(t0 + 61_000);
    const again = a.authenticate(bearerRequest(long));
    expect(again).toBeInstanceOf(Promise);
    expect((await again).ok).toBe(true);
    expect(a.authenticate(bearerRequest(long))).not.toBeInstanceOf(Promise);

    const expired = a.authenticate(bearerRequest(short));
    expect(expired).toBeInstanceOf(Promise);
    expect(await expired).toEqual(refused('token expired'));
    expect(issuer.jwksFetches).toBe(1);
  });

  it('a refused token is cached briefly; a 503 is not cached', async () => {
    const a = make();
    const stranger = await TestIssuer.key('zz', 'ES256');
    // Forged issuer-side: the key is not in the JWKS.
    const bad = await issuer.sign(stranger);
    expect(await a.authenticate(bearerRequest(bad))).toEqual(refused('unknown signing key'));
    const again = a.authenticate(bearerRequest(bad));
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toEqual(refused('unknown signing key'));

    const down = make({ jwt: { jwksUri: await deadUrl('/jwks') } });
    const token = await issuer.sign(key);
    const unavailable = {
      ok: false,
      failure: { status: 503, error: undefined, description: 'signing keys unavailable', retryAfterSec: 30 },
    };
    expect(await down.authenticate(bearerRequest(token))).toEqual(unavailable);
    const second = down.authenticate(bearerRequest(token));
    expect(second).toBeInstanceOf(Promise);
    expect(await second).toEqual(unavailable);
  });

  it('header problems are answered synchronously', () => {
    const a = make();
    expect(a.authenticate(rawRequest('Host', 'x'))).toEqual({ ok: false, failure: MISSING_TOKEN });
    expect(a.authenticate(rawRequest('Authorization', 'Basic dTpw'))).toEqual({
      ok: false,
      failure: { status: 400, error: 'invalid_request', description: 'the Authorization scheme is not Bearer' },
    });
    const tiny = make({ maxTokenBytes: 4 });
    expect(tiny.authenticate(bearerRequest('abcde'))).toEqual({
      ok: false,
      failure: { status: 400, error: 'invalid_request', description: 'bearer token too long' },
    });
  });

  it('API keys: the right key is a principal, a wrong one is not recognized', async () => {
    const a = make({
      jwt: undefined,
      apiKeys: [{ id: 'ci', sha256: hashApiKey(API_KEY), subject: 'robot', scopes: ['mcp:tools'] }],
    });
    expect(await a.authenticate(bearerRequest(API_KEY))).toEqual({
      ok: true,
      principal: {
        key: 'api-key|ci',
        subject: 'robot',
        clientId: 'ci',
        scopes: ['mcp:tools'],
        claims: {},
        method: 'api-key',
        expiresAt: undefined,
      },
    });
    expect(a.authenticate(bearerRequest(API_KEY))).not.toBeInstanceOf(Promise);
    expect(await a.authenticate(bearerRequest('k_test_wrong'))).toEqual(refused('token not recognized'));
  });

  it('verifier order: API key, then JWT for JWS-shaped tokens, then introspection', async () => {
    issuer.introspect = (t) =>
      t === 'opaque-1'
        ? { status: 200, body: { active: true, sub: 'u-2', client_id: 'app-2', iss: 'https://as.example' } }
        : { status: 200, body: { active: false } };
    const a = make({
      apiKeys: [{ id: 'ci', sha256: hashApiKey(API_KEY) }],
      introspection: { introspectionUri: issuer.introspectionUri, clientId: 'rs', clientSecret: 'pw' },
    });
    const api = await a.authenticate(bearerRequest(API_KEY));
    expect(api.ok && api.principal.method).toBe('api-key');
    const jwt = await a.authenticate(bearerRequest(await issuer.sign(key)));
    expect(jwt.ok && jwt.principal.method).toBe('jwt');
    expect(issuer.introspectionCalls).toHaveLength(0);
    const opaque = await a.authenticate(bearerRequest('opaque-1'));
    expect(opaque.ok && [opaque.principal.method, opaque.principal.key]).toEqual([
      'introspection',
      'https://as.example|app-2',
    ]);
    expect(await a.authenticate(bearerRequest('opaque-2'))).toEqual(refused('token is not active'));
    expect(issuer.introspectionCalls).toHaveLength(2);
  });

  it('a custom verifier: identity, null, and a throw (503, never a crash)', async () => {
    const a = make({
      jwt: undefined,
      verify: async (token, req) => {
        if (token === 'boom') throw new Error('db down');
        if (token !== 'good') return null;
        expect(req.rawHeaders).toContain('Authorization');
        return { subject: 'alice', scopes: ['s1'], claims: { tenant: 't1' }, issuer: 'https://idp.example' };
      },
    });
    expect(await a.authenticate(bearerRequest('good'))).toEqual({
      ok: true,
      principal: {
        key: 'https://idp.example|alice',
        subject: 'alice',
        clientId: undefined,
        scopes: ['s1'],
        claims: { tenant: 't1' },
        method: 'custom',
        expiresAt: undefined,
      },
    });
    expect(await a.authenticate(bearerRequest('nope'))).toEqual(refused('token not recognized'));
    expect(await a.authenticate(bearerRequest('boom'))).toEqual({
      ok: false,
      failure: { status: 503, error: undefined, description: 'token verifier failed', retryAfterSec: 1 },
    });
  });

  it('principalKey: clientId (default) or subject, each falling back to the other; neither is refused', async () => {
    const bySubject = make({ principalKey: 'subject' });
    const r = (await bySubject.authenticate(bearerRequest(await issuer.sign(key)))) as AuthOutcome;
    expect(r.ok && r.principal.key).toBe(`${issuer.issuer}|user-1`);
    const byClient = make();
    const noClient = (await byClient.authenticate(
      bearerRequest(await issuer.sign(key, { client_id: undefined })),
    )) as AuthOutcome;
    expect(noClient.ok && noClient.principal.key).toBe(`${issuer.issuer}|user-1`);
    const anonymous = await byClient.authenticate(
      bearerRequest(await issuer.sign(key, { client_id: undefined, sub: undefined })),
    );
    expect(anonymous).toEqual(refused('token names neither a client nor a subject'));
  });

  it('challenge: exact status, headers and body', () => {
    const a = make();
    expect(a.challenge(MISSING_TOKEN)).toEqual({
      status: 401,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'www-authenticate': `Bearer resource_metadata="${METADATA_URL}"`,
      },
      body: '{"error_description":"no bearer token"}',
    });
    expect(a.challenge({ status: 401, error: 'invalid_token', description: 'token expired' })).toEqual({
      status: 401,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'www-authenticate': `Bearer resource_metadata="${METADATA_URL}", error="invalid_token", error_description="token expired"`,
      },
      body: '{"error":"invalid_token","error_description":"token expired"}',
    });
    expect(
      a.challenge({ status: 503, error: undefined, description: 'signing keys unavailable', retryAfterSec: 7 }),
    ).toEqual({
      status: 503,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '7' },
      body: '{"error":"temporarily_unavailable","error_description":"signing keys unavailable"}',
    });
  });

  it('an insufficient_scope failure names the scopes in its challenge', () => {
    const a = make();
    const f = {
      status: 403,
      error: 'insufficient_scope',
      description: 'missing scope mcp:write',
      scope: 'mcp:tools mcp:write',
    } as const;
    expect(a.challenge(f).headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${METADATA_URL}", error="insufficient_scope", error_description="missing scope mcp:write", scope="mcp:tools mcp:write"`,
    );
  });

  it('metadata and its paths', () => {
    const a = make();
    expect(a.metadata()).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['mcp:tools', 'mcp:read'],
      bearer_methods_supported: ['header'],
    });
    expect(a.metadataPaths).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    expect(a.resourceMetadataUrl).toBe(METADATA_URL);
  });

  it('refuses bad options with ERR_AUTH_CONFIG', () => {
    const base = { resource: RESOURCE, authorizationServers: ['https://as.example'] };
    expectCode(() => new Authenticator(base), 'ERR_AUTH_CONFIG');
    expectCode(
      () =>
        new Authenticator({
          ...base,
          authorizationServers: ['https://a.example', 'https://b.example'],
          jwt: { jwksUri: 'https://a.example/jwks' },
        }),
      'ERR_AUTH_CONFIG',
    );
    expectCode(() => new Authenticator({ ...base, apiKeys: [{ id: 'x', sha256: 'nope' }] }), 'ERR_AUTH_CONFIG');
    expectCode(
      () => new Authenticator({ ...base, verify: async () => null, principalKey: 'email' as never }),
      'ERR_AUTH_CONFIG',
    );
    expectCode(() => new Authenticator({ ...base, verify: async () => null, maxTokenBytes: 0 }), 'ERR_AUTH_CONFIG');
    expectCode(
      () => new Authenticator({ ...base, verify: async () => null, cache: { maxEntries: 0 } }),
      'ERR_AUTH_CONFIG',
    );
  });
});
