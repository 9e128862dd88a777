// Child-process plumbing for run.mjs: fork with IPC, wait for a message type with a timeout,
// and make sure no child outlives the parent (killed on exit and on SIGINT/SIGTERM; children
// also exit by themselves when the IPC channel closes or their lifetime runs out).
import { fork } from 'node:child_process';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

function killAll() {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}
process.on('exit', killAll);

/**
 * Puts a child this module did not fork (e.g. a spawned wrk) under the same guarantee: it is
 * SIGKILLed when the parent exits or gets SIGINT/SIGTERM/SIGHUP.
 * @param {import('node:child_process').ChildProcess} proc
 */
export function track(proc) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** A forked child with a message inbox, so no message is missed between waits. */
export class Child {
  /**
   * @param {string} file
   * @param {string[]} args
   * @param {string[]} execArgv
   * @param {string} label
   * @param {string} [execPath] what runs `execArgv file args` (default: this node), e.g. `taskset`
   */
  constructor(file, args, execArgv, label, execPath) {
    this.label = label;
    /** @type {any[]} */
    this.inbox = [];
    /** @type {((msg: any) => void) | undefined} */
    this.wake = undefined;
    this.exited = false;
    this.stderr = '';
    this.proc = fork(file, args, { execArgv, execPath, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    live.add(this.proc);
    this.proc.stderr?.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.proc.on('message', (msg) => {
      this.inbox.push(msg);
      this.wake?.(undefined);
    });
    this.exitPromise = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? signal;
        live.delete(this.proc);
        this.wake?.(undefined);
        resolve(undefined);
      });
    });
  }

  send(msg) {
    if (!this.exited && this.proc.connected) this.proc.send(msg);
  }

  /**
   * Resolves with the next message of `type` (or of any of the types given); rejects on a
   * `fatal` message, on exit, or after `timeoutMs`. Messages of other types stay in the inbox.
   * @param {string | string[]} type
   * @param {number} timeoutMs
   */
  async waitFor(type, timeoutMs) {
    const types = Array.isArray(type) ? type : [type];
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => types.includes(m?.type) || m?.type === 'fatal');
      if (i !== -1) {
        const [m] = this.inbox.splice(i, 1);
        if (m.type === 'fatal') throw new Error(`${this.label} crashed: ${m.error}`);
        return m;
      }
      if (this.exited) {
        throw new Error(
          `${this.label} exited (${this.exitCode}) before '${type}'${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
        );
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no '${type}' within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve(undefined);
        };
      });
      this.wake = undefined;
    }
  }

  /** Asks politely (`stop`/`close` message), then SIGKILLs after `graceMs`. */
  async stop(msg, graceMs = 3000) {
    if (this.exited) return;
    this.send(msg);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  kill() {
    if (!this.exited) this.proc.kill('SIGKILL');
    return this.exitPromise;
  }
}
