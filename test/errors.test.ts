import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ErlmcpError, hasErrorCode } from '../src/index.js';

describe('errors', () => {
  it('a Rust panic becomes a JS error with ERR_PANIC and the process keeps running', () => {
    const binding = createRequire(import.meta.url)('../index.js') as { __panicForTest(): void };
    let err: unknown;
    try {
      binding.__panicForTest();
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_PANIC')).toBe(true);
    expect((err as Error).message).toContain('deliberate test panic');
    // Still alive and usable afterwards.
    expect(() => binding.__panicForTest()).toThrow(/panic/);
  });

  it('a hot-path call on an id with no live instance is ERR_INVALID_ARG, not a crash', () => {
    const binding = createRequire(import.meta.url)('../index.js') as {
      routerAdmit(id: number, handle: number): number;
      registryLookup(id: number, key: string): number;
    };
    expect(() => binding.routerAdmit(1_000_000, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => binding.registryLookup(1_000_000, 'k')).toThrow(/no live native instance/);
  });

  it('ErlmcpError carries a code and hasErrorCode checks it', () => {
    const e = new ErlmcpError('ERR_CIRCUIT_OPEN', 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ErlmcpError');
    expect(hasErrorCode(e, 'ERR_CIRCUIT_OPEN')).toBe(true);
    expect(hasErrorCode(e, 'ERR_INVALID_ARG')).toBe(false);
    expect(hasErrorCode(e)).toBe(true);
    expect(hasErrorCode(new Error('plain'))).toBe(false);
    expect(hasErrorCode('ERR_X')).toBe(false);
  });
});
