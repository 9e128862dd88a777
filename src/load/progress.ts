/**
 * The live progress line on stderr: on a terminal rewritten in place every 500 ms, otherwise
 * (a log file, CI) one line every 5 s so the log stays readable.
 */

/** What the line shows. */
export interface ProgressState {
  elapsedSec: number;
  sessions: number;
  /** Ok answers per second over the latest window. */
  okPerSec: number;
  /** p95 of the latest window in ms; null without ok answers. */
  p95Ms: number | null;
  /** Errors so far. */
  errors: number;
  /** Optional phase name (e.g. `step 5000 @ 165000 req/s`). */
  phase?: string;
}

/** The progress text for `s` (no line ending). */
export function formatProgress(s: ProgressState): string {
  const p95 = s.p95Ms === null ? '-' : `${s.p95Ms.toFixed(1)} ms`;
  const phase = s.phase === undefined ? '' : ` | ${s.phase}`;
  return (
    `[${s.elapsedSec.toFixed(1)}s] sessions ${s.sessions} | ${Math.round(s.okPerSec)} req/s | ` +
    `p95 ${p95} | errors ${s.errors}${phase}`
  );
}

/** Writes the progress line until {@link stop}; see the file comment. */
export class ProgressLine {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #read: () => ProgressState;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, read: () => ProgressState) {
    this.#out = out;
    this.#read = read;
  }

  start(): void {
    const tty = this.#out.isTTY === true;
    this.#timer = setInterval(() => this.#draw(tty), tty ? 500 : 5_000);
    this.#timer.unref();
  }

  /** Prints a message on its own line without tearing the progress line. */
  note(text: string): void {
    this.#clear();
    this.#out.write(`${text}\n`);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }

  #draw(tty: boolean): void {
    const text = formatProgress(this.#read());
    if (tty) {
      this.#out.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  #clear(): void {
    if (this.#drawn) this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
