/**
 * A private `redis-server` for the cluster tests: a free loopback port, no persistence, killed
 * by {@link killRedis} (call it in afterEach/afterAll) even when a test fails. The Debian
 * package `redis-server` provides the binary (.ci/run installs it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

const running = new Set<ChildProcess>();

/** A running private Redis. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (a crash: nothing is saved, clients see the socket close). */
  kill(): Promise<void>;
  /** A fresh, empty redis-server on the same port (after kill). */
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

/** Starts a private redis-server on a free 127.0.0.1 port. */
export async function startRedis(): Promise<PrivateRedis> {
  const bin = binary();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
    restart: start,
  };
}

/** SIGKILLs every redis-server these tests started. */
export function killRedis(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}
