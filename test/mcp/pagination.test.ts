import { describe, expect, it } from 'vitest';
import { ErlmcpError } from '../../src/core/errors.js';
import { ErrorCode, McpError } from '../../src/mcp/jsonrpc.js';
import { decodeCursor, encodeCursor, paginate } from '../../src/mcp/pagination.js';

const ITEMS = Array.from({ length: 10 }, (_, i) => `item${i}`);

function invalidCursor(cursor: string, items: readonly unknown[] = ITEMS): McpError {
  try {
    paginate(items, cursor, 3);
  } catch (err) {
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.INVALID_PARAMS);
    expect((err as McpError).message).toBe('Invalid cursor');
    return err as McpError;
  }
  throw new Error(`expected cursor ${JSON.stringify(cursor)} to be rejected`);
}

/** Walks every page, returning the pages. */
function walk<T>(items: readonly T[], pageSize: number): T[][] {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const r = paginate(items, cursor, pageSize);
    pages.push(r.page);
    cursor = r.nextCursor;
  } while (cursor !== undefined && pages.length <= items.length + 1);
  return pages;
}

describe('paginate', () => {
  it('returns exact pages in order, the last without nextCursor', () => {
    const first = paginate(ITEMS, undefined, 4);
    expect(first.page).toEqual(['item0', 'item1', 'item2', 'item3']);
    expect(typeof first.nextCursor).toBe('string');
    const second = paginate(ITEMS, first.nextCursor, 4);
    expect(second.page).toEqual(['item4', 'item5', 'item6', 'item7']);
    const last = paginate(ITEMS, second.nextCursor, 4);
    expect(last).toEqual({ page: ['item8', 'item9'] });
    expect('nextCursor' in last).toBe(false);
  });

  it('covers every item exactly once for any page size', () => {
    for (const size of [1, 2, 3, 5, 9, 10, 11, 1000]) {
      const pages = walk(ITEMS, size);
      expect(pages.flat()).toEqual(ITEMS);
      expect(pages.length).toBe(Math.ceil(ITEMS.length / size));
      for (const p of pages.slice(0, -1)) expect(p.length).toBe(size);
    }
  });

  it('gives no nextCursor when the list fits one page exactly', () => {
    expect(paginate(ITEMS, undefined, 10)).toEqual({ page: ITEMS });
  });

  it('handles the empty list', () => {
    expect(paginate([], undefined, 5)).toEqual({ page: [] });
  });

  it('returns a copy, not the caller array', () => {
    const r = paginate(ITEMS, undefined, 100);
    expect(r.page).not.toBe(ITEMS);
    r.page.push('x');
    expect(ITEMS.length).toBe(10);
  });

  it('gives an empty last page for a cursor past the end (the list shrank)', () => {
    const { nextCursor } = paginate(ITEMS, undefined, 8);
    expect(paginate(ITEMS.slice(0, 5), nextCursor, 8)).toEqual({ page: [] });
    expect(paginate([], encodeCursor(1_000_000), 8)).toEqual({ page: [] });
  });

  it('makes cursors that are opaque, URL-safe and stable', () => {
    const c = paginate(ITEMS, undefined, 3).nextCursor as string;
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(c).not.toContain('3');
    expect(paginate(ITEMS, undefined, 3).nextCursor).toBe(c);
    expect(decodeCursor(c)).toBe(3);
    for (const n of [0, 1, 255, 256, 65_535, 0xffffffff]) expect(decodeCursor(encodeCursor(n))).toBe(n);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not a cursor'],
    ['a number', '3'],
    ['base64 of a plain offset', Buffer.from('3').toString('base64url')],
    ['too long', `${encodeCursor(3)}A`],
    ['too short', encodeCursor(3).slice(0, -1)],
    ['padded base64', `${encodeCursor(3)}=`],
    ['standard base64 alphabet', encodeCursor(3).replace(/./, '+')],
  ])('rejects %s', (_label, cursor) => {
    invalidCursor(cursor);
  });

  it('rejects a cursor with a changed offset or tag', () => {
    const good = encodeCursor(3);
    const bytes = Buffer.from(good, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const forged = Buffer.from(bytes);
      forged[i] = (forged[i] as number) ^ 0x01;
      invalidCursor(forged.toString('base64url'));
    }
  });

  it('rejects every single-character corruption of a cursor', () => {
    const good = encodeCursor(6);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < good.length; i++) {
      for (const ch of alphabet) {
        if (ch === good[i]) continue;
        const bad = good.slice(0, i) + ch + good.slice(i + 1);
        expect(() => paginate(ITEMS, bad, 3), bad).toThrow(McpError);
      }
    }
  });

  it('serialises the invalid cursor error as -32602 on the wire', () => {
    expect(invalidCursor('zzz').toJSON()).toEqual({ code: -32602, message: 'Invalid cursor' });
  });

  it('refuses a bad page size as a local error', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        paginate(ITEMS, undefined, size);
        throw new Error(`expected page size ${size} to be rejected`);
      } catch (err) {
        expect(err).toBeInstanceOf(ErlmcpError);
        expect((err as ErlmcpError).code).toBe('ERR_INVALID_ARG');
      }
    }
  });
});
