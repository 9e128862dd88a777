/**
 * Opaque cursors for the MCP list methods (tools/list, resources/list, prompts/list,
 * resources/templates/list). A cursor is base64url of an offset and a checksum of it: opaque,
 * so clients do not build their own, and checked, so a garbled or hand-made one is refused
 * with -32602 as the specification asks instead of silently giving some other page. The
 * checksum is not a secret and not security; it only makes accidental forgery unlikely.
 */

import { assertInt } from '../core/errors.js';
import { ErrorCode, McpError } from './jsonrpc.js';

/** One page of a list result. `nextCursor` is absent on the last page. */
export interface Page<T> {
  page: T[];
  nextCursor?: string;
}

/** Largest page size accepted (and largest offset a cursor encodes: an unsigned 32-bit value). */
export const MAX_PAGE_SIZE = 0xffffffff;

/** 4 bytes of offset + 4 bytes of checksum, base64url without padding. */
const CURSOR_BYTES = 8;
const CURSOR_LENGTH = 11;
const CURSOR_SHAPE = /^[A-Za-z0-9_-]{11}$/;
/** Mixed into the checksum so that a cursor is not just "any 8 bytes with a valid FNV". */
const SALT = 0x6572_6c6d; // "erlm"

/** FNV-1a over the 4 offset bytes, seeded with the salt. */
function checksum(offset: number): number {
  let h = (0x811c9dc5 ^ SALT) >>> 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    h ^= (offset >>> shift) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The cursor for `offset`. */
export function encodeCursor(offset: number): string {
  const buf = Buffer.allocUnsafe(CURSOR_BYTES);
  buf.writeUInt32BE(offset >>> 0, 0);
  buf.writeUInt32BE(checksum(offset >>> 0), 4);
  return buf.toString('base64url');
}

/**
 * The offset in `cursor`.
 * @throws McpError `INVALID_PARAMS` (-32602) "Invalid cursor" when it is not one this module made.
 */
export function decodeCursor(cursor: string): number {
  if (typeof cursor !== 'string' || cursor.length !== CURSOR_LENGTH || !CURSOR_SHAPE.test(cursor)) {
    throw invalidCursor();
  }
  const buf = Buffer.from(cursor, 'base64url');
  const offset = buf.readUInt32BE(0);
  // Re-encoding catches non-canonical spellings (the last character carries spare bits).
  if (buf.readUInt32BE(4) !== checksum(offset) || encodeCursor(offset) !== cursor) throw invalidCursor();
  return offset;
}

function invalidCursor(): McpError {
  return new McpError(ErrorCode.INVALID_PARAMS, 'Invalid cursor');
}

/**
 * One page of `items` starting where `cursor` says (the start when undefined), at most
 * `pageSize` long, with a `nextCursor` when more items follow. Items must come in the same order
 * on every call (the caller sorts or keeps registration order). A cursor past the end (the list
 * shrank between calls) gives an empty last page rather than an error.
 * @throws McpError `INVALID_PARAMS` (-32602) "Invalid cursor" for a cursor this module did not make.
 * @throws ErlmcpError `ERR_INVALID_ARG` when `pageSize` is not an integer in 1..{@link MAX_PAGE_SIZE}.
 */
export function paginate<T>(items: readonly T[], cursor: string | undefined, pageSize: number): Page<T> {
  assertInt('pageSize', pageSize, 1, MAX_PAGE_SIZE);
  const start = cursor === undefined ? 0 : decodeCursor(cursor);
  if (start >= items.length) return { page: [] };
  const end = Math.min(items.length, start + pageSize);
  const page = items.slice(start, end);
  return end < items.length ? { page, nextCursor: encodeCursor(end) } : { page };
}
