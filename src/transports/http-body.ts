import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body up to a byte limit, without buffering past it, and decodes it as
 * UTF-8 JSON exactly once. State lives in one object per request and the stream listeners
 * are shared module functions (`this` is the request), so reading a body allocates no
 * closures.
 */

/** Receives the outcome of a {@link BodyReader}; exactly one method is called, once. */
export interface BodySink<C> {
  bodyRead(reader: BodyReader<C>, body: Buffer): void;
  /** The body went over the limit; reading stopped and nothing more is kept. */
  bodyTooLarge(reader: BodyReader<C>): void;
  /** The request failed (client aborted); there is nobody to answer. */
  bodyFailed(reader: BodyReader<C>, error: Error): void;
}

const kReader = Symbol('erlmcp.bodyReader');
type TaggedRequest = IncomingMessage & { [kReader]?: BodyReader<unknown> };

function onData(this: TaggedRequest, chunk: Buffer): void {
  this[kReader]?.chunk(chunk);
}
function onEnd(this: TaggedRequest): void {
  this[kReader]?.finish();
}
function onError(this: TaggedRequest, err: Error): void {
  this[kReader]?.fail(err);
}

/** One body being read. `context` carries whatever the sink needs to answer the request. */
export class BodyReader<C> {
  readonly req: IncomingMessage;
  readonly limit: number;
  readonly context: C;
  readonly #sink: BodySink<C>;
  #first: Buffer | undefined;
  #rest: Buffer[] | undefined;
  #size = 0;

  constructor(req: IncomingMessage, limit: number, context: C, sink: BodySink<C>) {
    this.req = req;
    this.limit = limit;
    this.context = context;
    this.#sink = sink;
  }

  /**
   * Starts reading. A Content-Length over the limit is refused before a byte is read. The
   * sink may be called synchronously (that case) or later.
   */
  start(): void {
    const declared = this.req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.limit) {
      this.#sink.bodyTooLarge(this);
      return;
    }
    const req = this.req as TaggedRequest;
    req[kReader] = this as BodyReader<unknown>;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  }

  /** @internal */
  chunk(chunk: Buffer): void {
    const size = this.#size + chunk.length;
    if (size > this.limit) {
      this.#detach();
      this.#sink.bodyTooLarge(this);
      return;
    }
    this.#size = size;
    if (this.#first === undefined) this.#first = chunk;
    else if (this.#rest === undefined) this.#rest = [this.#first, chunk];
    else this.#rest.push(chunk);
  }

  /** @internal */
  finish(): void {
    this.#detach();
    const rest = this.#rest;
    const body = rest !== undefined ? Buffer.concat(rest, this.#size) : (this.#first ?? Buffer.alloc(0));
    this.#first = undefined;
    this.#rest = undefined;
    this.#sink.bodyRead(this, body);
  }

  /** @internal */
  fail(err: Error): void {
    this.#detach();
    this.#first = undefined;
    this.#rest = undefined;
    this.#sink.bodyFailed(this, err);
  }

  #detach(): void {
    const req = this.req as TaggedRequest;
    req[kReader] = undefined;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    // Keep an error listener: an aborted upload after a 413 must not become an uncaught error.
    // The request stays flowing, so whatever else arrives is discarded, never buffered.
  }
}

/**
 * Decodes a body as JSON. Throws a SyntaxError (invalid JSON) or an Error (invalid UTF-8);
 * the message is meant for a JSON-RPC parse error.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (!isUtf8(body)) throw new Error('the body is not valid UTF-8');
  return JSON.parse(body.toString('utf8'));
}
