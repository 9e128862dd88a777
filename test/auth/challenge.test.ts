import { describe, expect, it } from 'vitest';
import { failureBody, MISSING_TOKEN, wwwAuthenticate } from '../../src/auth/index.js';

const URL = 'https://api.example.com/.well-known/oauth-protected-resource/mcp';

describe('wwwAuthenticate', () => {
  it('no credential: only resource_metadata', () => {
    expect(wwwAuthenticate(URL, MISSING_TOKEN)).toBe(
      'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"',
    );
  });

  it('invalid_token and invalid_request carry error and error_description', () => {
    expect(wwwAuthenticate(URL, { status: 401, error: 'invalid_token', description: 'token expired' })).toBe(
      `Bearer resource_metadata="${URL}", error="invalid_token", error_description="token expired"`,
    );
    expect(wwwAuthenticate(URL, { status: 400, error: 'invalid_request', description: 'empty bearer token' })).toBe(
      `Bearer resource_metadata="${URL}", error="invalid_request", error_description="empty bearer token"`,
    );
  });

  it('insufficient_scope carries scope', () => {
    const f = { status: 403, error: 'insufficient_scope', description: 'missing scope b', scope: 'a b' } as const;
    expect(wwwAuthenticate(URL, f)).toBe(
      `Bearer resource_metadata="${URL}", error="insufficient_scope", error_description="missing scope b", scope="a b"`,
    );
  });

  it('escapes quotes and backslashes, drops control and non-ASCII characters', () => {
    const f = {
      status: 401,
      error: 'invalid_token',
      description: 'a "q" \\ b\r\nSet-Cookie: x\u0000 caf\u00e9 \u2603',
    } as const;
    expect(wwwAuthenticate(URL, f)).toBe(
      `Bearer resource_metadata="${URL}", error="invalid_token", error_description="a \\"q\\" \\\\ bSet-Cookie: x caf "`,
    );
  });

  it('a 503 has no error attribute', () => {
    expect(wwwAuthenticate(URL, { status: 503, error: undefined, description: 'x', retryAfterSec: 3 })).toBe(
      `Bearer resource_metadata="${URL}"`,
    );
  });
});

describe('failureBody', () => {
  it('error first, then error_description; scope for 403; temporarily_unavailable for 503; no error when missing', () => {
    expect(JSON.stringify(failureBody({ status: 401, error: 'invalid_token', description: 'wrong audience' }))).toBe(
      '{"error":"invalid_token","error_description":"wrong audience"}',
    );
    expect(failureBody({ status: 403, error: 'insufficient_scope', description: 'd', scope: 'a' })).toEqual({
      error: 'insufficient_scope',
      error_description: 'd',
      scope: 'a',
    });
    expect(failureBody({ status: 503, error: undefined, description: 'signing keys unavailable' })).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'signing keys unavailable',
    });
    expect(failureBody(MISSING_TOKEN)).toEqual({ error_description: 'no bearer token' });
  });
});
