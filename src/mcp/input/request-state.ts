/**
 * `requestState` for multi round-trip requests (SEP-2322), sealed with AES-256-GCM: the client
 * carries it between rounds but can neither read nor alter it. Inside: the answers gathered in
 * earlier rounds (so a handler that asks again finds them), the handler's own state, an expiry
 * and a digest of the request it belongs to (method, target and arguments, and the principal
 * once there is one), so state cannot be replayed on another request, by another caller, or
 * late. Every process of a deployment that shares the key opens the others' state.
 */

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { ErlmcpError, invalidArg } from '../../core/errors.js';
import { ErrorCode, McpError } from '../jsonrpc.js';

/** Options of {@link RequestStateCodec}. */
export interface RequestStateOptions {
  /**
   * The secret the sealing key is derived from (HKDF-SHA-256): at least 32 bytes, as a Buffer
   * or a string. Give every process of a deployment the same one. Default: 32 random bytes
   * per process, so state opens only on the process that sealed it.
   */
  key?: string | Uint8Array;
  /** How long sealed state stays valid, in ms (default 600,000: ten minutes). */
  ttlMs?: number;
  /** Largest sealed state in bytes; larger is refused with -32603 (default 65,536). */
  maxBytes?: number;
}

/** What a sealed state holds. */
export interface StatePayload {
  /** Answers of earlier rounds, by input-request key. */
  answers: Record<string, unknown>;
  /** The handler's own state (`ctx.inputRequired({ state })`), if any. */
  state?: unknown;
  /**
   * What the round that sealed it asked, key -> method: the only keys of the retry's answers
   * kept, each checked against its method's result shape.
   */
  asked?: Record<string, string>;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = Buffer.from('erlmcp requestState v1');

function invalidState(detail: string): McpError {
  return new McpError(ErrorCode.INVALID_PARAMS, `Invalid requestState: ${detail}`);
}

/** JSON with object keys sorted, so that a client re-sending the same arguments in another key order still matches. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The digest a state is bound to: what identifies "the same request" across rounds (method,
 * its target, its arguments, the caller). 128 bits of SHA-256 are plenty against collisions.
 */
export function bindingOf(method: string, params: Record<string, unknown>, principal: string | undefined): string {
  const target = method === 'resources/read' ? params.uri : params.name;
  const h = createHash('sha256');
  h.update(method).update('\0').update(String(target)).update('\0');
  h.update(canonical(method === 'resources/read' ? null : (params.arguments ?? null)));
  h.update('\0').update(principal ?? '');
  return h.digest('base64url').slice(0, 22);
}

/** Seals and opens request state with one derived key. */
export class RequestStateCodec {
  readonly ttlMs: number;
  readonly maxBytes: number;
  readonly #key: Buffer;

  constructor(options: RequestStateOptions = {}) {
    const secret = options.key === undefined ? randomBytes(32) : Buffer.from(options.key as string | Uint8Array);
    if (secret.length < 32) throw invalidArg('requestState key must be at least 32 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32));
    this.ttlMs = options.ttlMs ?? 600_000;
    if (!(this.ttlMs > 0)) throw invalidArg('requestState ttlMs must be positive');
    this.maxBytes = options.maxBytes ?? 65_536;
    if (!(this.maxBytes >= 256)) throw invalidArg('requestState maxBytes must be at least 256');
  }

  /** Seals `payload` for the request `binding` names; -32603 when it would exceed maxBytes. */
  seal(payload: StatePayload, binding: string, now = Date.now()): string {
    const plain = Buffer.from(
      JSON.stringify({
        v: VERSION,
        b: binding,
        e: now + this.ttlMs,
        a: payload.answers,
        s: payload.state,
        q: payload.asked,
      }),
    );
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    if (sealed.length > this.maxBytes) {
      throw new McpError(
        ErrorCode.INTERNAL_ERROR,
        `requestState would be ${sealed.length} bytes, over the limit of ${this.maxBytes}: ask for less input per request or keep less state`,
      );
    }
    return sealed;
  }

  /**
   * Opens state sealed for `binding`.
   * @throws McpError -32602 when it was altered, sealed with another key, expired, or belongs
   *   to another request.
   */
  open(sealed: unknown, binding: string, now = Date.now()): StatePayload {
    if (typeof sealed !== 'string' || sealed.length === 0) throw invalidState('must be a non-empty string');
    if (sealed.length > this.maxBytes * 2) throw invalidState('too long');
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES || raw.toString('base64url') !== sealed) throw invalidState('malformed');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw invalidState('integrity check failed (altered, or sealed by a server with another key)');
    }
    let doc: { v?: unknown; b?: unknown; e?: unknown; a?: unknown; s?: unknown; q?: unknown };
    try {
      doc = JSON.parse(plain.toString('utf8'));
    } catch (err) {
      throw new ErlmcpError('ERR_PANIC', `sealed requestState is not JSON: ${(err as Error).message}`);
    }
    if (doc.v !== VERSION) throw invalidState(`unknown version ${String(doc.v)}`);
    if (typeof doc.e !== 'number' || now > doc.e) throw invalidState('expired; start the request again without it');
    if (doc.b !== binding)
      throw invalidState('it belongs to another request (method, target, arguments or caller differ)');
    const out: StatePayload = {
      answers: typeof doc.a === 'object' && doc.a !== null ? (doc.a as Record<string, unknown>) : {},
    };
    if (doc.s !== undefined) out.state = doc.s;
    if (typeof doc.q === 'object' && doc.q !== null && !Array.isArray(doc.q)) {
      const asked: Record<string, string> = {};
      for (const [k, m] of Object.entries(doc.q as Record<string, unknown>)) if (typeof m === 'string') asked[k] = m;
      out.asked = asked;
    }
    return out;
  }
}
