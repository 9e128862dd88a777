/**
 * An incremental parser for the text/event-stream format (WHATWG HTML, "Server-sent events",
 * event stream interpretation): feed it decoded text in chunks of any size; it calls `onevent`
 * for each dispatched event. Comments (keep-alives) and events without data are skipped, as a
 * browser's EventSource does.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The event type ('message' when the stream named none). */
  event: string;
  /** The data lines joined with '\n'. */
  data: string;
  /** The last event id seen on the stream (undefined before any). */
  id: string | undefined;
}

export class SseParser {
  /** Called for each complete event that carries data. */
  onevent: (event: SseEvent) => void;
  /** Called when the stream sets a reconnection delay (`retry:` in milliseconds). */
  onretry?: (ms: number) => void;
  #buf = '';
  #data = '';
  #hasData = false;
  #type = '';
  #lastId: string | undefined;
  /** The previous chunk ended in '\r': a '\n' opening the next one belongs to that line ending. */
  #skipLf = false;
  #started = false;

  constructor(onevent: (event: SseEvent) => void) {
    this.onevent = onevent;
  }

  /** The last event id seen, for a Last-Event-ID header. */
  get lastEventId(): string | undefined {
    return this.#lastId;
  }

  /** Feeds decoded text. */
  feed(chunk: string): void {
    let text = this.#buf.length === 0 ? chunk : this.#buf + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.#skipLf && text.length > 0) {
      this.#skipLf = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    const len = text.length;
    // Track the next CR separately so a stream without CRs is scanned once, not once per line.
    let nextCr = text.indexOf('\r', start);
    while (start < len) {
      const nextLf = text.indexOf('\n', start);
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
      let end: number;
      let after: number;
      if (nextCr !== -1 && (nextLf === -1 || nextCr < nextLf)) {
        end = nextCr;
        if (end + 1 < len) {
          after = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        } else {
          after = end + 1;
          this.#skipLf = true;
        }
      } else if (nextLf !== -1) {
        end = nextLf;
        after = end + 1;
      } else {
        break;
      }
      this.#line(text, start, end);
      start = after;
    }
    this.#buf = start >= len ? '' : text.slice(start);
  }

  /** The stream ended: an event without its closing blank line is discarded, per the standard. */
  end(): void {
    this.#buf = '';
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
  }

  #line(text: string, start: number, end: number): void {
    if (start === end) {
      this.#dispatch();
      return;
    }
    if (text.charCodeAt(start) === 58 /* : */) return; // comment
    const colon = text.indexOf(':', start);
    let field: string;
    let value: string;
    if (colon === -1 || colon > end) {
      field = text.slice(start, end);
      value = '';
    } else {
      field = text.slice(start, colon);
      const v = text.charCodeAt(colon + 1) === 32 /* space */ && colon + 1 < end ? colon + 2 : colon + 1;
      value = text.slice(v, end);
    }
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onretry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  #dispatch(): void {
    if (!this.#hasData) {
      this.#type = '';
      return;
    }
    const event: SseEvent = { event: this.#type || 'message', data: this.#data, id: this.#lastId };
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
    this.onevent(event);
  }
}
