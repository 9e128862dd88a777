import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKeyStore, hashApiKey } from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';

const KEY = 'k_live_Zm9vYmFyYmF6cXV4cXV1eA';

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey(KEY)).toBe(createHash('sha256').update(KEY).digest('hex'));
  });
});

describe('ApiKeyStore', () => {
  it('finds the right key by its hash (any hex case), and nothing for a wrong one', () => {
    const store = new ApiKeyStore([
      { id: 'ci', sha256: hashApiKey(KEY).toUpperCase(), subject: 'robot', scopes: ['mcp:tools', 'mcp:tools', 'x'] },
      { id: 'other', sha256: hashApiKey('another-key') },
    ]);
    expect(store.size).toBe(2);
    expect(store.lookup(KEY)).toEqual({
      subject: 'robot',
      clientId: 'ci',
      scopes: ['mcp:tools', 'x'],
      claims: {},
      expiresAt: undefined,
    });
    expect(store.lookup('another-key')).toMatchObject({ clientId: 'other', subject: undefined, scopes: [] });
    expect(store.lookup(`${KEY}x`)).toBeUndefined();
    expect(store.lookup(hashApiKey(KEY))).toBeUndefined();
    expect(new ApiKeyStore([]).lookup(KEY)).toBeUndefined();
  });

  it('refuses malformed and duplicate entries with ERR_AUTH_CONFIG', () => {
    const h = hashApiKey(KEY);
    for (const bad of [
      [{ id: '', sha256: h }],
      [{ id: 'a', sha256: 'abc' }],
      [{ id: 'a', sha256: `${h.slice(0, 63)}g` }],
      [
        { id: 'a', sha256: h },
        { id: 'a', sha256: hashApiKey('x') },
      ],
      [
        { id: 'a', sha256: h },
        { id: 'b', sha256: h.toUpperCase() },
      ],
    ]) {
      expectCode(() => new ApiKeyStore(bad), 'ERR_AUTH_CONFIG');
    }
  });
});
