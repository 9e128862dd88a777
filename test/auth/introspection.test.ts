import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IntrospectionOptions, IntrospectionVerifier } from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';
import { deadUrl, RESOURCE, TestIssuer } from './issuer.js';

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await TestIssuer.start();
});
afterEach(async () => {
  await issuer.close();
});

function verifier(options: Partial<IntrospectionOptions> = {}): IntrospectionVerifier {
  return new IntrospectionVerifier({
    introspectionUri: issuer.introspectionUri,
    clientId: 'rs client',
    clientSecret: 's3cr:t',
    ...options,
  });
}

const refused = (description: string) => ({ ok: false, failure: { status: 401, error: 'invalid_token', description } });
const unavailable = {
  ok: false,
  failure: { status: 503, error: undefined, description: 'token introspection unavailable', retryAfterSec: 5 },
};

describe('IntrospectionVerifier', () => {
  it('an active token: the identity, after a form-encoded POST with client_secret_basic', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const body = {
      active: true,
      sub: 'u-7',
      client_id: 'app-3',
      scope: 'mcp:tools',
      exp,
      iss: 'https://as.example',
      aud: RESOURCE,
    };
    issuer.introspect = (token) =>
      token === 'opaque+/=' ? { status: 200, body } : { status: 200, body: { active: false } };
    expect(await verifier().verify('opaque+/=')).toEqual({
      ok: true,
      identity: {
        subject: 'u-7',
        clientId: 'app-3',
        scopes: ['mcp:tools'],
        claims: body,
        expiresAt: exp * 1000,
        issuer: 'https://as.example',
      },
    });
    expect(issuer.introspectionCalls).toEqual([
      {
        authorization: `Basic ${Buffer.from('rs+client:s3cr%3At').toString('base64')}`,
        contentType: 'application/x-www-form-urlencoded',
        body: 'token=opaque%2B%2F%3D&token_type_hint=access_token',
      },
    ]);
  });

  it('inactive, expired, not yet valid: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    issuer.introspect = () => ({ status: 200, body: { active: false } });
    expect(await verifier().verify('t')).toEqual(refused('token is not active'));
    issuer.introspect = () => ({ status: 200, body: { active: 'true' } });
    expect(await verifier().verify('t')).toEqual(refused('token is not active'));
    issuer.introspect = () => ({ status: 200, body: { active: true, sub: 'u', exp: now - 60 } });
    expect(await verifier().verify('t')).toEqual(refused('token expired'));
    issuer.introspect = () => ({ status: 200, body: { active: true, sub: 'u', nbf: now + 600 } });
    expect(await verifier().verify('t')).toEqual(refused('token not yet valid'));
  });

  it('checks iss and aud only when configured, and then strictly', async () => {
    issuer.introspect = () => ({ status: 200, body: { active: true, sub: 'u' } });
    expect((await verifier().verify('t')).ok).toBe(true);
    const r = await verifier({ issuer: 'https://as.example' }).verify('t');
    expect(r).toEqual(refused('wrong issuer'));
    expect(await verifier({ audience: RESOURCE }).verify('t')).toEqual(refused('wrong audience'));
    issuer.introspect = () => ({
      status: 200,
      body: { active: true, sub: 'u', iss: 'https://as.example', aud: ['https://x.example', RESOURCE] },
    });
    expect((await verifier({ issuer: 'https://as.example', audience: [RESOURCE] }).verify('t')).ok).toBe(true);
    expect(await verifier({ audience: 'https://other.example' }).verify('t')).toEqual(refused('wrong audience'));
  });

  it('the issuer of the identity falls back to the configured one', async () => {
    issuer.introspect = () => ({ status: 200, body: { active: true, sub: 'u', iss: 'https://as.example' } });
    const r = await verifier({ issuer: 'https://as.example' }).verify('t');
    expect(r.ok && r.identity.issuer).toBe('https://as.example');
    issuer.introspect = () => ({ status: 200, body: { active: true, sub: 'u' } });
    const r2 = await verifier().verify('t');
    expect(r2.ok && r2.identity.issuer).toBe(undefined);
  });

  it('endpoint errors, non-JSON, unreachable and timeouts: 503, not 401', async () => {
    issuer.introspect = () => ({ status: 500, body: { error: 'server_error' } });
    expect(await verifier().verify('t')).toEqual(unavailable);
    issuer.introspect = () => ({ status: 401, body: { error: 'invalid_client' } });
    expect(await verifier().verify('t')).toEqual(unavailable);
    issuer.introspect = () => ({ status: 200, body: [1, 2] });
    expect(await verifier().verify('t')).toEqual(unavailable);
    expect(await verifier({ introspectionUri: await deadUrl('/introspect') }).verify('t')).toEqual(unavailable);
  });

  it('an endpoint that never answers: 503 after the timeout', async () => {
    // A path the issuer leaves unanswered: reuse the hanging JWKS mode through the JWKS URL.
    issuer.jwksMode = 'hang';
    const v = verifier({ introspectionUri: issuer.jwksUri, timeoutMs: 200, retryAfterSec: 2 });
    expect(await v.verify('t')).toEqual({ ok: false, failure: { ...unavailable.failure, retryAfterSec: 2 } });
  });

  it('refuses bad options with ERR_AUTH_CONFIG', () => {
    const base = { introspectionUri: 'https://as.example/introspect', clientId: 'c', clientSecret: 's' };
    for (const bad of [
      { ...base, introspectionUri: 'http://as.example/introspect' },
      { ...base, clientId: '' },
      { ...base, clientSecret: '' },
      { ...base, timeoutMs: 0 },
      { ...base, issuer: '' },
    ]) {
      expectCode(() => new IntrospectionVerifier(bad), 'ERR_AUTH_CONFIG');
    }
  });
});
