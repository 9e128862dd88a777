/**
 * Newline-delimited JSON framing for the stdio transports: splits a byte stream into lines with
 * bounded memory, decodes them as strict UTF-8 and parses them as JSON.
 */

/** Default largest line (message) in bytes: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

/** What a {@link LineReader} reports. */
export interface LineSink {
  /** A complete, parsed line. */
  value(value: unknown): void;
  /** A line that is not UTF-8 or not JSON; `detail` says why. */
  invalid(detail: string): void;
  /** A line longer than the limit; reported once, as soon as it is detected. Its bytes are dropped. */
  oversize(limit: number): void;
}

/**
 * Splits chunks into lines. A line that grows past `maxBytes` is discarded up to its newline
 * without being buffered, so memory stays at most `maxBytes` plus one chunk whatever the peer
 * sends. Empty lines (and lines holding only "\r") are ignored; a trailing "\r" is stripped.
 */
export class LineReader {
  readonly #max: number;
  readonly #sink: LineSink;
  // Fatal: invalid UTF-8 must be a parse error, not U+FFFD smuggled into a message.
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;

  constructor(maxBytes: number, sink: LineSink) {
    this.#max = maxBytes;
    this.#sink = sink;
  }

  /** Feeds one chunk; complete lines are reported synchronously, in order. */
  push(chunk: Buffer): void {
    let start = 0;
    const end = chunk.length;
    while (start < end) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.#keep(chunk.subarray(start));
        return;
      }
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#pendingBytes === 0) {
        this.#line(chunk.subarray(start, nl));
      } else {
        this.#pending.push(chunk.subarray(start, nl));
        const line = Buffer.concat(this.#pending, this.#pendingBytes + nl - start);
        this.#reset();
        this.#line(line);
      }
      start = nl + 1;
    }
  }

  /** Drops any partial line (the stream ended or the transport closed). */
  clear(): void {
    this.#reset();
    this.#discarding = false;
  }

  #keep(part: Buffer): void {
    if (this.#discarding) return;
    this.#pendingBytes += part.length;
    // +1: the line may still end in "\r", which does not count against the limit.
    if (this.#pendingBytes > this.#max + 1) {
      this.#reset();
      this.#discarding = true;
      this.#sink.oversize(this.#max);
      return;
    }
    // Copy: the stream may reuse its chunk buffers, and a small slice would pin a large one.
    this.#pending.push(Buffer.from(part));
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #line(bytes: Buffer): void {
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === CR) len--;
    if (len === 0) return;
    if (len > this.#max) {
      this.#sink.oversize(this.#max);
      return;
    }
    let text: string;
    try {
      text = this.#decoder.decode(len === bytes.length ? bytes : bytes.subarray(0, len));
    } catch {
      this.#sink.invalid('invalid UTF-8');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.#sink.invalid((err as Error).message);
      return;
    }
    this.#sink.value(value);
  }
}
