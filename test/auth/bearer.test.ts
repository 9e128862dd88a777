import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MISSING_TOKEN, parseAuthorization, readBearer } from '../../src/auth/index.js';
import { rawRequest } from './issuer.js';

const invalid = (description: string) => ({
  failure: { status: 400, error: 'invalid_request', description },
  missing: false,
});

describe('readBearer', () => {
  it('returns the token of a single Bearer header, whatever the case of the name and scheme', () => {
    expect(readBearer(rawRequest('Host', 'x', 'Authorization', 'Bearer abc.DEF-_~+/=='))).toEqual({
      token: 'abc.DEF-_~+/==',
    });
    expect(readBearer(rawRequest('authorization', 'bearer tok'))).toEqual({ token: 'tok' });
    expect(readBearer(rawRequest('AUTHORIZATION', 'BEARER   tok'))).toEqual({ token: 'tok' });
  });

  it('no Authorization header is "missing": 401 without an error attribute', () => {
    const r = readBearer(rawRequest('Host', 'x', 'Authorizations', 'Bearer x'));
    expect(r).toEqual({ failure: { status: 401, error: undefined, description: 'no bearer token' }, missing: true });
    expect(r.failure).toBe(MISSING_TOKEN);
  });

  it('refuses two Authorization headers, even when both are valid', () => {
    expect(readBearer(rawRequest('Authorization', 'Bearer a', 'authorization', 'Bearer a'))).toEqual(
      invalid('more than one Authorization header'),
    );
  });

  it('refuses other schemes and empty tokens', () => {
    expect(readBearer(rawRequest('Authorization', 'Basic dXNlcjpwYXNz'))).toEqual(
      invalid('the Authorization scheme is not Bearer'),
    );
    expect(readBearer(rawRequest('Authorization', 'Bearertoken'))).toEqual(
      invalid('the Authorization scheme is not Bearer'),
    );
    expect(readBearer(rawRequest('Authorization', ''))).toEqual(invalid('the Authorization scheme is not Bearer'));
    expect(readBearer(rawRequest('Authorization', 'Bearer'))).toEqual(invalid('empty bearer token'));
    expect(readBearer(rawRequest('Authorization', 'Bearer   '))).toEqual(invalid('empty bearer token'));
  });

  it('refuses characters outside b64token, and padding anywhere but the end', () => {
    for (const bad of ['a b', 'a,b', 'a=b', 'tok"', 'caf\u00e9', 'a\tb', 'a;b']) {
      expect(parseAuthorization(`Bearer ${bad}`)).toEqual(invalid('bearer token is not a valid b64token'));
    }
  });

  it('refuses a token over the limit without echoing it, and accepts one at the limit', () => {
    const huge = 'a'.repeat(64 * 1024);
    const r = readBearer(rawRequest('Authorization', `Bearer ${huge}`));
    expect(r).toEqual(invalid('bearer token too long'));
    expect(JSON.stringify(r)).not.toContain('aaaa');
    expect(readBearer(rawRequest('Authorization', `Bearer ${'a'.repeat(8192)}`))).toEqual({ token: 'a'.repeat(8192) });
    expect(readBearer(rawRequest('Authorization', `Bearer ${'a'.repeat(8193)}`))).toEqual(
      invalid('bearer token too long'),
    );
    expect(parseAuthorization('Bearer abcdef', 5)).toEqual(invalid('bearer token too long'));
  });
});

describe('readBearer on a real node request', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** Sends raw request bytes; resolves with what readBearer said and what node kept in req.headers. */
  async function send(head: string, maxHeaderSize?: number): Promise<{ result: unknown; headerSeen: unknown }> {
    let seen: { result: unknown; headerSeen: unknown } | undefined;
    server = http.createServer(maxHeaderSize === undefined ? {} : { maxHeaderSize }, (req, res) => {
      seen = { result: readBearer(req), headerSeen: req.headers.authorization };
      res.end('ok');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write(`${head}\r\n`));
      sock.on('data', () => sock.end());
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
    return seen as { result: unknown; headerSeen: unknown };
  }

  it('two Authorization headers: node keeps one in req.headers, readBearer sees both', async () => {
    const r = await send('GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\n');
    expect(r.headerSeen).toBe('Bearer one');
    expect(r.result).toEqual(invalid('more than one Authorization header'));
  });

  it('one header: the token, with the surrounding whitespace node strips', async () => {
    const r = await send('GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization:   Bearer t0k.en  \r\n');
    expect(r.result).toEqual({ token: 't0k.en' });
  });

  it('a 64 KB token (past the default 16 KiB header limit of node) is refused with 400 by the reader, not a crash', async () => {
    const head = `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'x'.repeat(64 * 1024)}\r\n`;
    const r = await send(head, 128 * 1024);
    expect(r.result).toEqual(invalid('bearer token too long'));
  });
});
