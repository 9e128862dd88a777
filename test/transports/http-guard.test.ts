import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  acceptsJsonAndSse,
  HostOriginPolicy,
  hostName,
  isJsonContentType,
  protocolVersionOk,
} from '../../src/transports/http-guard.js';
import { sseEvent } from '../../src/transports/sse.js';

function fakeReq(host: string | undefined, localAddress: string): IncomingMessage {
  return { headers: host === undefined ? {} : { host }, socket: { localAddress } } as unknown as IncomingMessage;
}

describe('HostOriginPolicy defaults', () => {
  const policy = new HostOriginPolicy(undefined, undefined);

  it('accepts only loopback host names on a loopback address, any port', () => {
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:9', '[::1]:8080', 'LOCALHOST']) {
      expect(policy.hostAllowed(fakeReq(host, '127.0.0.1')), host).toBe(true);
    }
    for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', undefined]) {
      expect(policy.hostAllowed(fakeReq(host, '::ffff:127.0.0.1')), String(host)).toBe(false);
    }
    expect(policy.hostAllowed(fakeReq('mcp.example', '10.0.0.5'))).toBe(true);
  });

  it('accepts same-origin and (on loopback) loopback origins; rejects opaque ones', () => {
    const req = fakeReq('mcp.example:8443', '10.0.0.5');
    expect(policy.originAllowed('https://mcp.example:8443', req)).toBe(true);
    expect(policy.originAllowed('https://other.example', req)).toBe(false);
    expect(policy.originAllowed('http://localhost:5173', req)).toBe(false);
    expect(policy.originAllowed('http://localhost:5173', fakeReq('127.0.0.1:1', '127.0.0.1'))).toBe(true);
    expect(policy.originAllowed('null', req)).toBe(false);
  });

  it('uses explicit lists when given', () => {
    const p = new HostOriginPolicy(['mcp.example'], ['https://app.example']);
    expect(p.hostAllowed(fakeReq('mcp.example:1234', '127.0.0.1'))).toBe(true);
    expect(p.hostAllowed(fakeReq('localhost', '127.0.0.1'))).toBe(false);
    expect(p.originAllowed('https://APP.example', fakeReq('x', '1.2.3.4'))).toBe(true);
    expect(p.originAllowed('https://mcp.example', fakeReq('mcp.example', '1.2.3.4'))).toBe(false);
    expect(new HostOriginPolicy(undefined, ['*']).originAllowed('https://any', fakeReq('x', '1.2.3.4'))).toBe(true);
  });
});

describe('header helpers', () => {
  it('hostName strips ports and keeps IPv6 brackets', () => {
    expect(hostName('Example.COM:80')).toBe('example.com');
    expect(hostName('[::1]:3000')).toBe('[::1]');
  });

  it('media types and Accept', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/jsonx')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
    expect(acceptsJsonAndSse('application/json, text/event-stream')).toBe(true);
    expect(acceptsJsonAndSse('TEXT/EVENT-STREAM, Application/Json')).toBe(true);
    expect(acceptsJsonAndSse('application/json')).toBe(false);
  });

  it('protocol versions: absent or supported', () => {
    expect(protocolVersionOk(undefined)).toBe(true);
    expect(protocolVersionOk('2025-06-18')).toBe(true);
    expect(protocolVersionOk('2099-01-01')).toBe(false);
  });

  it('frames SSE events on one data line', () => {
    expect(sseEvent(JSON.stringify({ a: 'x\ny' }))).toBe('event: message\ndata: {"a":"x\\ny"}\n\n');
    expect(sseEvent('{}', '3')).toBe('event: message\nid: 3\ndata: {}\n\n');
  });
});
