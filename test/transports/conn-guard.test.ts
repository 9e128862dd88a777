import { describe, expect, it } from 'vitest';
import { ConnectionGuard, defaultMaxRawConnections } from '../../src/transports/conn-guard.js';

describe('defaultMaxRawConnections', () => {
  it('keeps 10 % of the open-file limit free, at least 64 and at most 1,024 descriptors', () => {
    expect(defaultMaxRawConnections({ soft: 20_000, hard: 20_000 })).toBe(18_976);
    expect(defaultMaxRawConnections({ soft: 1_024, hard: 4_096 })).toBe(922);
    expect(defaultMaxRawConnections({ soft: 256, hard: 256 })).toBe(192);
    expect(defaultMaxRawConnections({ soft: 1_048_576, hard: 1_048_576 })).toBe(1_047_552);
  });

  it('falls back to 65,536 without a limit', () => {
    expect(defaultMaxRawConnections({ soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY })).toBe(65_536);
  });
});

describe('ConnectionGuard', () => {
  it('maps its deadlines to node:http server options, checking at most 1 s late', () => {
    const guard = new ConnectionGuard({ maxRawConnections: 10 });
    expect(guard.serverOptions()).toEqual({
      headersTimeout: 5_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    const short = new ConnectionGuard({ headersTimeoutMs: 300, bodyTimeoutMs: 500, idleTimeoutMs: 300 });
    expect(short.serverOptions().connectionsCheckingInterval).toBe(60);
  });

  it('starts with nothing counted', () => {
    expect(new ConnectionGuard({ maxRawConnections: 7 }).stats()).toEqual({
      open: 0,
      maxRawConnections: 7,
      closed: { headersTimeout: 0, bodyTimeout: 0, idleTimeout: 0, overLimit: 0 },
    });
  });

  it('refuses invalid options with ERR_INVALID_ARG', () => {
    for (const options of [
      { headersTimeoutMs: 0 },
      { bodyTimeoutMs: 1.5 },
      { idleTimeoutMs: -1 },
      { maxRawConnections: 0 },
      { headersTimeoutMs: 2_000, bodyTimeoutMs: 1_000 },
    ]) {
      expect(() => new ConnectionGuard(options)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
  });
});
