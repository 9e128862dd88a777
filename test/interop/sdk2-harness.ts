/**
 * What test/interop/sdk2-client.integration.test.ts needs around the official SDK v2 client:
 * its three version-negotiation modes, a client with sampling and elicitation handlers that
 * record what they were asked, `erlmcp serve` child processes that are always stopped, and
 * bounded waits. (Recording the wire: ./wire-tap.ts.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  Client,
  type ClientOptions,
  type CreateMessageRequest,
  type ElicitRequest,
} from '@modelcontextprotocol/client';

export const ROOT = path.join(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'erlmcp.js');
export const INTEROP_FIXTURE = path.join(ROOT, 'test', 'fixtures', 'erlmcp-interop-server.mjs');
export const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** One of the SDK v2 client's version-negotiation modes and the era it must end up in against erlmcp. */
export interface Mode {
  name: string;
  negotiation: ClientOptions['versionNegotiation'];
  era: 'modern' | 'legacy';
}

export const MODES: readonly Mode[] = [
  { name: "pinned { pin: '2026-07-28' }", negotiation: { mode: { pin: '2026-07-28' } }, era: 'modern' },
  { name: "'auto'", negotiation: { mode: 'auto' }, era: 'modern' },
  { name: 'default (legacy)', negotiation: undefined, era: 'legacy' },
];

/** The version each era negotiates with erlmcp. */
export const VERSION_OF = { modern: '2026-07-28', legacy: '2025-11-25' } as const;

/** What the client's sampling and elicitation handlers were asked, in order. */
export interface Asked {
  sampling: CreateMessageRequest['params'][];
  elicitation: ElicitRequest['params'][];
}

/** The sampling handler's answer to a question. */
export const sampled = (question: string) => `the model says: ${question}`;
/** The name the elicitation handler gives. */
export const ELICITED_NAME = 'Ada';

/**
 * An SDK v2 client in `mode`, declaring sampling and elicitation, whose handlers (set with
 * setRequestHandler, which the client also uses to fulfil MRTR input requests) record their
 * requests. `errors` collects what the client reported through onerror. `options` adds to the
 * client's options.
 */
export function sdkClient(mode: Mode, options: ClientOptions = {}): { client: Client; asked: Asked; errors: Error[] } {
  const client = new Client(
    { name: 'sdk2-interop', version: '2.4.0-test' },
    { capabilities: { sampling: {}, elicitation: {} }, versionNegotiation: mode.negotiation, ...options },
  );
  const asked: Asked = { sampling: [], elicitation: [] };
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  client.setRequestHandler('sampling/createMessage', async (req) => {
    asked.sampling.push(req.params);
    const first = req.params.messages[0]?.content;
    const question = first !== undefined && !Array.isArray(first) && first.type === 'text' ? first.text : '?';
    return { role: 'assistant', model: 'fake-model', content: { type: 'text', text: sampled(question) } };
  });
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.elicitation.push(req.params);
    return { action: 'accept', content: { name: ELICITED_NAME } };
  });
  return { client, asked, errors };
}

// ---- bounded waits ------------------------------------------------------------------------

/** Polls `cond` every 10 ms until it holds; fails naming `what` after `ms` (a bound, not a timing assertion). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`gave up after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- child processes ----------------------------------------------------------------------

/** The child processes a test file started, stopped by {@link Children.stopAll} whatever happened. */
export class Children {
  readonly #children: ChildProcess[] = [];
  readonly #transports: { close(): Promise<void> }[] = [];

  /** `erlmcp serve` on 127.0.0.1 and a free port, resolved with the URL it logs once listening. */
  serve(env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.#children.push(child);
    const lines: string[] = [];
    return new Promise((resolve, reject) => {
      const bound = setTimeout(
        () => reject(new Error(`erlmcp serve logged no URL in 30 s:\n${lines.join('\n')}`)),
        30_000,
      );
      let buf = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          lines.push(line);
          let entry: { http?: string } = {};
          try {
            entry = JSON.parse(line) as { http?: string };
          } catch {}
          if (entry.http !== undefined) {
            clearTimeout(bound);
            resolve({ child, url: entry.http });
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(bound);
        reject(new Error(`erlmcp serve exited early (${code ?? signal}):\n${lines.join('\n')}`));
      });
    });
  }

  /**
   * An SDK stdio transport (track it before connecting): closed at the end, and its child
   * process killed if it is still running after that.
   */
  track<T extends { close(): Promise<void> }>(transport: T): T {
    this.#transports.push(transport);
    return transport;
  }

  /** Closes tracked transports; SIGTERM to each child still running, SIGKILL to those not gone within 5 s. */
  async stopAll(): Promise<void> {
    // The SDK keeps its ChildProcess private (and forgets it on close): take hold of the objects
    // first. Holding the object, not its pid, means a kill can only reach that very process.
    for (const t of this.#transports) {
      const child = (t as { _process?: ChildProcess })._process;
      if (child !== undefined) this.#children.push(child);
    }
    await Promise.allSettled(this.#transports.splice(0).map((t) => t.close()));
    await Promise.all(this.#children.splice(0).map(stop));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const bound = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(bound);
}
