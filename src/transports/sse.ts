import type { ServerResponse } from 'node:http';

/**
 * Server-Sent Events on the server side: event framing, one outbound stream with a bound on
 * its unsent bytes, and the hub that keeps every open stream alive with one shared timer
 * (listeners hold tens of thousands of sessions; one timer per stream would not scale).
 */

/** The comment line written on idle streams so proxies and clients do not time them out. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

/**
 * One SSE event carrying one JSON-RPC message. `json` comes from JSON.stringify, which escapes
 * every line break, so a single `data:` line is always a valid frame.
 */
export function sseEvent(json: string, id?: string): string {
  return id === undefined ? `event: message\ndata: ${json}\n\n` : `event: message\nid: ${id}\ndata: ${json}\n\n`;
}

/** What a stream reports to whoever owns it (the session transport). */
export interface SseStreamOwner {
  /** The stream's unsent bytes went over the reject mark; the stream is already ended. */
  streamOverflow(stream: SseStream, buffered: number): void;
  /** The stream's unsent bytes went over the warn mark (once per stream). */
  streamWarn(stream: SseStream, buffered: number): void;
  /** The client went away or the stream was ended. */
  streamClosed(stream: SseStream): void;
}

const kStream = Symbol('erlmcp.sseStream');
type TaggedResponse = ServerResponse & { [kStream]?: SseStream };

// One module-level listener for every stream (no per-stream closure): `this` is the response.
function onResponseClose(this: TaggedResponse): void {
  this[kStream]?.closed();
}

/**
 * One open text/event-stream response. Writes never block: they go to the response's buffer,
 * whose size (res.writableLength, socket included) is checked after each write against the
 * hub's warn and reject marks, so a client that stops reading costs at most the reject mark.
 */
export class SseStream {
  readonly res: ServerResponse;
  readonly owner: SseStreamOwner;
  readonly #hub: SseHub;
  #open = true;
  #warned = false;

  /** Takes over `res`, whose 200 text/event-stream head the caller has already written. */
  constructor(res: ServerResponse, owner: SseStreamOwner, hub: SseHub) {
    this.res = res;
    this.owner = owner;
    this.#hub = hub;
    (res as TaggedResponse)[kStream] = this;
    res.once('close', onResponseClose);
    hub.add(this);
  }

  /** False once the stream has ended or its client went away. */
  get open(): boolean {
    return this.#open && !this.res.destroyed;
  }

  /** Writes one frame; false when the stream is gone or just overflowed (and was ended). */
  write(chunk: string): boolean {
    if (!this.#open) return false;
    const res = this.res;
    if (res.destroyed) {
      this.closed();
      return false;
    }
    res.write(chunk);
    const buffered = res.writableLength;
    if (buffered >= this.#hub.warnBytes) {
      if (buffered >= this.#hub.rejectBytes) {
        // Destroy rather than end: ending would wait for the very bytes the client is not reading.
        this.#open = false;
        this.#hub.delete(this);
        res.destroy();
        this.owner.streamOverflow(this, buffered);
        return false;
      }
      if (!this.#warned) {
        this.#warned = true;
        this.owner.streamWarn(this, buffered);
      }
    }
    return true;
  }

  /** Ends the stream after whatever is buffered (idempotent). */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#hub.delete(this);
    if (!this.res.destroyed) this.res.end();
    this.owner.streamClosed(this);
  }

  /** @internal The response closed underneath the stream (client gone, or after end). */
  closed(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#hub.delete(this);
    this.owner.streamClosed(this);
  }
}

/**
 * The set of open streams of one listener, with one keep-alive timer shared by all of them
 * (armed only while a stream is open) and the per-stream buffer marks.
 */
export class SseHub {
  /** Milliseconds between keep-alive comments. */
  readonly keepAliveMs: number;
  /** Unsent bytes at which a stream is reported slow (75 % of the stream limit). */
  readonly warnBytes: number;
  /** Unsent bytes at which a stream is ended and its session failed (95 % of the limit). */
  readonly rejectBytes: number;
  readonly #streams = new Set<SseStream>();
  #timer: NodeJS.Timeout | undefined;

  constructor(keepAliveMs: number, maxBufferedBytes: number) {
    this.keepAliveMs = keepAliveMs;
    this.warnBytes = Math.ceil(maxBufferedBytes * 0.75);
    this.rejectBytes = Math.ceil(maxBufferedBytes * 0.95);
  }

  /** Open streams. */
  get size(): number {
    return this.#streams.size;
  }

  add(stream: SseStream): void {
    this.#streams.add(stream);
    if (this.#timer === undefined && this.keepAliveMs > 0) {
      this.#timer = setInterval(SseHub.#tick, this.keepAliveMs, this);
      this.#timer.unref();
    }
  }

  delete(stream: SseStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Ends every open stream and stops the timer. */
  close(): void {
    for (const s of [...this.#streams]) s.end();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  static #tick(hub: SseHub): void {
    // Copy: a write can overflow a stream, which removes it (and may close its session).
    for (const s of [...hub.#streams]) s.write(SSE_KEEP_ALIVE);
  }
}
