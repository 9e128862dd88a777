/**
 * A private `redis-server` for the cluster tests: a free loopback port, no persistence, killed
 * by {@link killRedis} (call it in afterEach/afterAll) even when a test fails. The Debian
 * package `redis-server` provides the binary (.ci/run installs it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const running = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A running private Redis. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (a crash: nothing is saved, clients see the socket close). */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered (until resume). */
  pause(): void;
  /** SIGCONT after pause: what was sent meanwhile is executed and answered. */
  resume(): void;
  /** A new redis-server on the same port (after kill): empty, or with what it persisted. */
  restart(): Promise<void>;
}

function binary(): string {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (!path) throw new Error('redis-server is not installed: apt-get install redis-server (.ci/run does this)');
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port` (within 10 s). */
async function waitForPort(port: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts a private redis-server on a free 127.0.0.1 port. `persist`: an append-only file fsynced
 * at every write, in a private directory, so a restart after a kill has every acknowledged write.
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<PrivateRedis> {
  const bin = binary();
  const port = await freePort();
  const dir = options.persist ? fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-redis-')) : undefined;
  if (dir) dirs.add(dir);
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
      stdio: 'ignore',
    });
    running.add(c);
    c.once('exit', () => running.delete(c));
    child = c;
    await waitForPort(port);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: start,
  };
}

/** SIGKILLs every redis-server these tests started (and removes what they persisted). */
export function killRedis(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
