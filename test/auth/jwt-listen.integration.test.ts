/**
 * The real Authenticator in front of listen(): JWT access tokens from a local issuer (keys made
 * with jose, JWKS on 127.0.0.1), the protected resource metadata open at both well-known
 * paths, the wire form of each refusal, malformed Authorization headers, and `erlmcp serve`
 * refusing a non-loopback host without auth.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { runServe } from '../../src/cli/serve.js';
import { McpServer } from '../../src/mcp/server.js';
import { type Listener, listen } from '../../src/transports/listen.js';
import { request2026 } from '../mcp/era.js';
import { postJson } from '../transports/stateless-fixtures.js';
import { type SigningKey, TestIssuer } from './issuer.js';

let issuer: TestIssuer;
let key: SigningKey;
let listener: Listener | undefined;
let server: McpServer | undefined;
let resource: string;

beforeEach(async () => {
  issuer = await TestIssuer.start();
  key = await TestIssuer.key('k1', 'ES256');
  issuer.published = [key];
  server = new McpServer({ name: 'jwt', version: '1.0.0' });
  server.registerTool('whoami', {}, (_a, ctx) => ({
    content: [{ type: 'text', text: `${ctx.auth?.subject} via ${ctx.auth?.method}` }],
  }));
  // The resource identifier is what tokens are issued for; it need not carry the test's port.
  resource = 'http://127.0.0.1/mcp';
  const auth = new Authenticator({
    resource,
    authorizationServers: [issuer.issuer],
    scopesSupported: ['mcp:tools'],
    jwt: { jwksUri: issuer.jwksUri },
  });
  listener = await listen(server, { host: '127.0.0.1', port: 0, auth });
});

afterEach(async () => {
  await listener?.close();
  await server?.close();
  await issuer.close();
});

const call = (id: number) => request2026(id, 'tools/call', { name: 'whoami', arguments: {} });
const sign = (claims: Record<string, unknown> = {}) => issuer.sign(key, { aud: resource, ...claims });
const port = () => (listener as Listener).port;

async function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port(), '127.0.0.1', () => s.end(text));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    // An oversized header block may be refused by node with a reset while we still write
    // (Node 24 does): what arrived before it, and the reset, are the answer.
    s.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' ? resolve(`${out}[ECONNRESET]`) : reject(err),
    );
  });
}

describe('JWT access tokens in front of listen()', () => {
  it('a valid token is served; its keys were fetched once for many requests', async () => {
    const token = await sign();
    for (let i = 1; i <= 5; i++) {
      const r = await postJson(port(), call(i), { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      expect(r.body.result.content).toEqual([{ type: 'text', text: 'user-1 via jwt' }]);
    }
    expect(issuer.jwksFetches).toBe(1);
  });

  it('expired, wrong audience and alg none are each a 401 invalid_token with its reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      await sign({ exp: now - 3600 }),
      await sign({ aud: 'https://other.example.com/mcp' }),
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ iss: issuer.issuer, aud: resource, sub: 'x', exp: now + 600 }),
      ).toString('base64url')}.`,
    ];
    for (const token of cases) {
      const r = await postJson(port(), call(1), { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(401);
      expect(String(r.reply.headers['www-authenticate'])).toMatch(
        /^Bearer resource_metadata="http:\/\/127\.0\.0\.1\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token", error_description="[^"]+"$/,
      );
      expect(r.body.error).toBe('invalid_token');
    }
  });

  it('serves the protected resource metadata without a token at both well-known paths', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await fetch(`http://127.0.0.1:${port()}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({
        resource,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('malformed Authorization headers are answered 400 invalid_request, and the server keeps serving', async () => {
    const head = (extra: string) =>
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}Content-Length: 2\r\nConnection: close\r\n\r\n{}`;
    const token = await sign();
    const answers = [
      await raw(head('Authorization: Bearer\r\n')),
      await raw(head(`Authorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\n`)),
      await raw(head(`Authorization: Bearer ${'a'.repeat(64 * 1024)}\r\n`)),
    ];
    expect(answers[0]).toMatch(/^HTTP\/1\.1 400 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 400 /);
    // Past node's 16 KiB header limit node itself answers 431 (Node 20, 22) or resets (Node 24).
    const big = answers[2] as string;
    expect(big.startsWith('HTTP/1.1 431 ') || big.endsWith('[ECONNRESET]')).toBe(true);
    expect(answers[0]).toContain('error="invalid_request"');
    expect(answers[1]).toContain('error="invalid_request"');
    const ok = await postJson(port(), call(9), { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
  });
});

describe('erlmcp serve', () => {
  it('refuses a non-loopback host without auth unless auth.allowAnonymous', async () => {
    await expect(
      runServe({ overrides: { server: { host: '0.0.0.0', port: 0 }, logging: { level: 'silent' } }, env: {} }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/refusing to serve 0\.0\.0\.0 without authorization/),
    });
  });
});
