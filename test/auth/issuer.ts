/**
 * A local authorization server for the auth tests: signing keys made with jose, a JWKS and an
 * RFC 7662 introspection endpoint served by node:http on 127.0.0.1 (port 0), with counters so
 * tests can assert how often the verifiers called it.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export const RESOURCE = 'https://api.example.com/mcp';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** What the JWKS endpoint does: answer with the published keys, fail with a 500, or never answer. */
export type JwksMode = 'ok' | 'down' | 'hang';

/** What the introspection endpoint answers: a status and a JSON body. */
export type IntrospectionAnswer = { status: number; body: unknown };

export interface IntrospectionCall {
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

export class TestIssuer {
  readonly url: string;
  readonly issuer: string;
  readonly jwksUri: string;
  readonly introspectionUri: string;
  /** Keys in the served JWKS. */
  published: SigningKey[] = [];
  jwksMode: JwksMode = 'ok';
  jwksFetches = 0;
  introspectionCalls: IntrospectionCall[] = [];
  /** Decides the introspection answer per token; default: inactive. */
  introspect: (token: string) => IntrospectionAnswer = () => ({ status: 200, body: { active: false } });

  readonly #server: http.Server;

  private constructor(server: http.Server) {
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.issuer = this.url;
    this.jwksUri = `${this.url}/jwks`;
    this.introspectionUri = `${this.url}/introspect`;
  }

  static async start(): Promise<TestIssuer> {
    let self: TestIssuer | undefined;
    const server = http.createServer((req, res) => self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new TestIssuer(server);
    return self;
  }

  /** Makes a key pair (not yet published). */
  static async key(kid: string, alg = 'RS256'): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, jwk };
  }

  /** Signs an access token; defaults: this issuer, the test resource, sub/client_id, one hour. */
  async sign(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.issuer,
      aud: RESOURCE,
      sub: 'user-1',
      client_id: 'client-1',
      iat: now,
      exp: now + 3600,
      scope: 'mcp:tools mcp:read',
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/jwks') {
      this.jwksFetches++;
      if (this.jwksMode === 'hang') return;
      if (this.jwksMode === 'down') {
        res.writeHead(500).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
      return;
    }
    if (req.url === '/introspect' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        this.introspectionCalls.push({
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body,
        });
        const token = new URLSearchParams(body).get('token') ?? '';
        const answer = this.introspect(token);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
      return;
    }
    res.writeHead(404).end();
  }
}

/** A request-like object carrying exactly these raw headers (what readBearer and authenticate read). */
export function rawRequest(...rawHeaders: string[]): IncomingMessage {
  return { rawHeaders, headers: {} } as unknown as IncomingMessage;
}

/** A request with `Authorization: Bearer <token>`. */
export function bearerRequest(token: string): IncomingMessage {
  return rawRequest('Host', 'api.example.com', 'Authorization', `Bearer ${token}`);
}

/** A URL on 127.0.0.1 where nothing listens (a port just released). */
export async function deadUrl(path: string): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

/** base64url of a JSON value, for crafting tokens by hand. */
export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
