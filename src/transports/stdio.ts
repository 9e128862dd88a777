import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ErlmcpError, invalidArg } from '../core/errors.js';
import { ErrorCode, encodeMessage, errorResponse, type JsonRpcMessage, parseErrorResponse } from '../mcp/jsonrpc.js';
import { DEFAULT_MAX_MESSAGE_BYTES, LineReader, type LineSink } from './ndjson.js';
import { closedError, type MessageExtra, SENT, type Transport, type TransportSendOptions } from './transport.js';

/** Options shared by both stdio transports. */
export interface StdioOptions {
  /** Longest line (one message) in bytes; longer ones are discarded unbuffered (default 4 MiB). */
  maxMessageBytes?: number;
}

/** Options of {@link StdioServerTransport}. */
export interface StdioServerOptions extends StdioOptions {
  /** Where messages come from (default `process.stdin`). */
  stdin?: Readable;
  /** Where messages go (default `process.stdout`). */
  stdout?: Writable;
}

/** Options of {@link StdioClientTransport}. */
export interface StdioClientOptions extends StdioOptions {
  /** The program to run (not through a shell). */
  command: string;
  /** Its arguments (default none). */
  args?: string[];
  /**
   * Variables added to the child's environment. The child does NOT inherit the whole parent
   * environment (secrets would leak to every server): it gets only HOME, LOGNAME, PATH, SHELL,
   * TERM, USER (on Windows also APPDATA, HOMEDRIVE, HOMEPATH, LOCALAPPDATA, PATHEXT,
   * SYSTEMDRIVE, SYSTEMROOT, TEMP, USERNAME, USERPROFILE, PROGRAMFILES) plus these.
   */
  env?: Record<string, string>;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /** The child's stderr: shared with ours, readable as {@link StdioClientTransport.stderr}, or dropped (default 'inherit'). */
  stderr?: 'inherit' | 'pipe' | 'ignore';
  /** After close() ends the child's stdin, how long it may take to exit before SIGTERM, and again before SIGKILL (default 2,000 ms). */
  closeGraceMs?: number;
}

const RESOLVED = SENT;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw invalidArg(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Writes newline-delimited JSON with backpressure: one 'drain' listener serves every waiting
 * send, so thousands of sends under pressure add no listeners.
 */
class LineWriter {
  readonly #out: Writable;
  #waiters: Array<[() => void, (err: Error) => void]> = [];

  constructor(out: Writable) {
    this.#out = out;
  }

  get writable(): boolean {
    return this.#out.writable;
  }

  write(message: unknown): Promise<void> {
    if (!this.#out.writable) return Promise.reject(closedError());
    if (this.#out.write(`${encodeMessage(message as JsonRpcMessage)}\n`) && this.#waiters.length === 0) return RESOLVED;
    if (this.#waiters.length === 0) this.#out.once('drain', this.#drained);
    return new Promise((resolve, reject) => this.#waiters.push([resolve, reject]));
  }

  /** Settles every waiting send: resolved when the bytes were handed over, else rejected. */
  settle(err?: Error): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    this.#out.off('drain', this.#drained);
    for (const [resolve, reject] of waiters) err ? reject(err) : resolve();
  }

  readonly #drained = (): void => this.settle();
}

/**
 * The server end of stdio: newline-delimited JSON-RPC on this process's stdin/stdout (or any
 * stream pair). Lines that are not UTF-8 JSON are answered -32700; lines over
 * `maxMessageBytes` are answered -32015 with `data.limit`; serving continues with the next
 * line. The streams are not ended on close (they belong to the process); the transport only
 * stops reading. The end of stdin closes the transport.
 */
export class StdioServerTransport implements Transport {
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** Always undefined: a stdio connection is a single, implicit session. */
  sessionId?: string;
  readonly #in: Readable;
  readonly #out: Writable;
  readonly #writer: LineWriter;
  readonly #reader: LineReader;
  #started = false;
  #closed = false;
  #inPaused = false;

  constructor(options: StdioServerOptions = {}) {
    this.#in = options.stdin ?? process.stdin;
    this.#out = options.stdout ?? process.stdout;
    this.#writer = new LineWriter(this.#out);
    const max = positiveInt('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
    const sink: LineSink = {
      value: (value) => this.onmessage?.(value as JsonRpcMessage),
      invalid: (detail) => {
        this.#answer(parseErrorResponse(detail));
        this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdio: parse error: ${detail}`));
      },
      oversize: (limit) => {
        this.#answer(errorResponse(null, ErrorCode.MESSAGE_TOO_LARGE, 'Message too large', { limit }));
        this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `stdio: a line exceeded ${limit} bytes`));
      },
    };
    this.#reader = new LineReader(max, sink);
  }

  async start(): Promise<void> {
    if (this.#started) throw new ErlmcpError('ERR_ALREADY_STARTED', 'StdioServerTransport already started');
    this.#started = true;
    this.#in.on('data', this.#onData);
    this.#in.on('error', this.#onError);
    this.#in.on('end', this.#onEnd);
    this.#out.on('error', this.#onOutError);
  }

  /**
   * Writes one line. When stdout pushes back, reading stdin pauses until it drains: a client
   * that does not read its responses stops getting requests read, so the buffered output
   * stays bounded by what was already in flight.
   */
  send(message: JsonRpcMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const written = this.#writer.write(message);
    if (written !== RESOLVED && !this.#inPaused) {
      this.#inPaused = true;
      this.#in.pause();
      written.then(this.#resumeInput, this.#resumeInput);
    }
    return written;
  }

  readonly #resumeInput = (): void => {
    this.#inPaused = false;
    if (!this.#closed) this.#in.resume();
  };

  /** Stops reading; idempotent. Sends still waiting for 'drain' resolve (their bytes are in the stream). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.off('data', this.#onData);
    this.#in.off('error', this.#onError);
    this.#in.off('end', this.#onEnd);
    this.#out.off('error', this.#onOutError);
    // Pause only when nobody else reads stdin, so the process can exit.
    if (this.#in.listenerCount('data') === 0) this.#in.pause();
    this.#reader.clear();
    this.#writer.settle();
    this.onclose?.();
  }

  #answer(message: JsonRpcMessage): void {
    if (!this.#closed && this.#writer.writable) this.#writer.write(message).catch(() => {});
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  readonly #onError = (err: Error): void => {
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdio: ${err.message}`, { cause: err }));
  };

  // EPIPE and friends: the peer is gone. Unhandled, the 'error' event would crash the process.
  readonly #onOutError = (err: Error): void => {
    this.#writer.settle(closedError());
    this.#onError(err);
    void this.close();
  };

  readonly #onEnd = (): void => {
    void this.close();
  };
}

const DEFAULT_ENV_POSIX = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];
const DEFAULT_ENV_WIN32 = [
  'APPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
  'LOCALAPPDATA',
  'PATH',
  'PATHEXT',
  'PROCESSOR_ARCHITECTURE',
  'SYSTEMDRIVE',
  'SYSTEMROOT',
  'TEMP',
  'USERNAME',
  'USERPROFILE',
  'PROGRAMFILES',
];

/** The environment a spawned server gets before `env` is applied (see {@link StdioClientOptions.env}). */
export function defaultChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of process.platform === 'win32' ? DEFAULT_ENV_WIN32 : DEFAULT_ENV_POSIX) {
    const value = process.env[key];
    // Exported shell functions ("() { ...") are a code-injection vector; never pass them on.
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return env;
}

/**
 * The client end of stdio: spawns an MCP server and speaks newline-delimited JSON-RPC over its
 * stdin/stdout. onclose fires once, when the child has exited and its stdout is fully read.
 * Lines from the child that are not JSON, or too long, are reported through onerror and
 * skipped (a client does not answer them).
 */
export class StdioClientTransport implements Transport {
  onmessage?: (message: JsonRpcMessage, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  sessionId?: string;
  readonly #options: StdioClientOptions;
  readonly #graceMs: number;
  readonly #reader: LineReader;
  #child: ChildProcess | undefined;
  #writer: LineWriter | undefined;
  #closing = false;
  #exited = false;
  #exit: Promise<void> | undefined;

  constructor(options: StdioClientOptions) {
    if (typeof options?.command !== 'string' || options.command === '')
      throw invalidArg('command must be a non-empty string');
    this.#options = options;
    this.#graceMs = positiveInt('closeGraceMs', options.closeGraceMs, 2_000);
    const max = positiveInt('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
    this.#reader = new LineReader(max, {
      value: (value) => this.onmessage?.(value as JsonRpcMessage),
      invalid: (detail) =>
        this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdio: parse error from server: ${detail}`)),
      oversize: (limit) =>
        this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `stdio: server sent a line over ${limit} bytes`)),
    });
  }

  /** The child's process id once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The child's stderr when `stderr: 'pipe'` (null before start and otherwise). Read it, or the child blocks once the pipe is full. */
  get stderr(): Readable | null {
    return this.#child?.stderr ?? null;
  }

  /** Spawns the child; resolves once it runs, rejects with ERR_TRANSPORT when it cannot be spawned. */
  start(): Promise<void> {
    if (this.#child)
      return Promise.reject(new ErlmcpError('ERR_ALREADY_STARTED', 'StdioClientTransport already started'));
    const o = this.#options;
    const child = spawn(o.command, o.args ?? [], {
      cwd: o.cwd,
      env: { ...defaultChildEnv(), ...o.env },
      stdio: ['pipe', 'pipe', o.stderr ?? 'inherit'],
      shell: false,
      windowsHide: true,
    });
    this.#child = child;
    this.#writer = new LineWriter(child.stdin as Writable);
    return new Promise((resolve, reject) => {
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.on('error', (err) => {
        const e = new ErlmcpError('ERR_TRANSPORT', `stdio: ${o.command}: ${err.message}`, { cause: err });
        if (spawned) this.onerror?.(e);
        else reject(e);
      });
      // EPIPE when the child exits while we write: the 'close' below reports the end.
      child.stdin?.on('error', (err) => this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `stdio: ${err.message}`)));
      child.stdout?.on('data', (chunk: Buffer) => this.#reader.push(chunk));
      this.#exit = new Promise((done) => {
        // 'close', not 'exit': every line the child wrote has been delivered by then. Node
        // emits it after a failed spawn too; a transport that never opened fires no onclose.
        child.once('close', () => {
          this.#exited = true;
          this.#closing = true;
          this.#reader.clear();
          this.#writer?.settle(closedError());
          done();
          if (spawned) this.onclose?.();
        });
      });
    });
  }

  send(message: JsonRpcMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#closing) return Promise.reject(closedError());
    if (!this.#writer) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'StdioClientTransport not started'));
    return this.#writer.write(message);
  }

  /**
   * Ends the child's stdin (the MCP way of asking a stdio server to exit), then SIGTERM after
   * `closeGraceMs` and SIGKILL after another; resolves once the child has exited. Idempotent.
   */
  async close(): Promise<void> {
    const child = this.#child;
    this.#closing = true;
    if (!child || !this.#exit) return;
    if (!this.#exited) {
      child.stdin?.end();
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), this.#graceMs);
        kill.unref();
        void this.#exit?.then(() => clearTimeout(kill));
      }, this.#graceMs);
      timer.unref();
      await this.#exit;
      clearTimeout(timer);
    }
    await this.#exit;
  }
}
