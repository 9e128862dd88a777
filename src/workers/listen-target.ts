/**
 * Where a server listens so that several servers of one process (one per worker thread, or
 * several in one thread) share one port: each has its own `SO_REUSEPORT` socket, and the
 * kernel spreads new connections over them. See docs/workers.md.
 */
import type { ListenOptions } from 'node:net';
import { assertInt, assertString, ErlmcpError, invalidArg } from '../core/errors.js';
import { native } from '../native.js';

/**
 * How the shared socket is made:
 * - `'node'`: Node's own `listen({ reusePort: true })`, which exists from Node 22.12 / 23.1
 *   (older versions silently ignore the option and the second listener fails with EADDRINUSE).
 * - `'native'`: the socket is created, bound and put in listening state by the Rust core with
 *   SO_REUSEADDR + SO_REUSEPORT and handed to Node as `listen({ fd })`; works on every Node on
 *   Linux (and other unix), not on Windows.
 * - `'auto'`: `'node'` where Node supports it, else `'native'`.
 */
export type ReusePortMode = 'auto' | 'node' | 'native';

/** Options of {@link sharedListenTarget}. */
export interface SharedListenTargetOptions {
  /** Address to bind: an IP literal or a name. */
  host: string;
  /** Port to share; 0 picks one ephemeral port for the whole process (see below). */
  port: number;
  /** Default 'auto'. */
  mode?: ReusePortMode;
  /** Accept queue length of this listener (default 511, Node's). Each listener has its own. */
  backlog?: number;
}

/** What {@link sharedListenTarget} answers. */
export interface SharedListenTarget {
  /**
   * The argument for `server.listen(target.listen, cb)`. In 'native' mode it holds a file
   * descriptor that this process owns: pass it to `listen()` exactly once (the server then
   * closes it), or close it yourself.
   */
  readonly listen: (ListenOptions & { host: string; port: number; reusePort: true }) | { fd: number };
  /** The port every listener of the group binds (never 0). */
  readonly port: number;
  /** The mode actually used ('auto' resolved). */
  readonly mode: 'node' | 'native';
}

/** Whether this Node's `net` honours `listen({ reusePort })`: 22.12+ in 22.x, 23.1+, 24+. */
export function nodeHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * Where to listen so that every server asking for the same `host` and `port` shares it.
 *
 * Port 0 cannot simply be passed on: with SO_REUSEPORT each socket bound to port 0 gets its
 * own random port. So the port is picked once per process and address by the native core,
 * which keeps a bound, never-listening placeholder socket on it for the life of the process
 * (it takes no connections, and keeps sockets without SO_REUSEPORT off the port), and every
 * listener of the process that asks for port 0 on that address binds that port. Worker
 * threads share it because the native state is process-global.
 *
 * Throws `ERR_LISTEN` when mode 'node' is asked on a Node without `reusePort`, or when the
 * native socket cannot be made (the message carries the OS error, e.g. EADDRINUSE when a
 * socket without SO_REUSEPORT holds the port); `ERR_INVALID_ARG` for bad options.
 */
export function sharedListenTarget(options: SharedListenTargetOptions): SharedListenTarget {
  const { host, port } = options;
  assertString('host', host);
  assertInt('port', port, 0, 65_535);
  const backlog = options.backlog ?? 511;
  assertInt('backlog', backlog, 0, 2 ** 31 - 1);
  const mode = resolveMode(options.mode ?? 'auto');
  const shared = port === 0 ? native.reuseportSharedPort(host) : port;
  if (mode === 'node') return { listen: { host, port: shared, reusePort: true, backlog }, port: shared, mode };
  return { listen: { fd: native.reuseportListen(host, shared, backlog) }, port: shared, mode };
}

function resolveMode(mode: ReusePortMode): 'node' | 'native' {
  switch (mode) {
    case 'native':
      return 'native';
    case 'node':
      // Refused rather than passed on: an old Node ignores the option without a word, and
      // the failure would show up later as EADDRINUSE on the second listener.
      if (!nodeHasReusePort()) {
        throw new ErlmcpError(
          'ERR_LISTEN',
          `reusePort mode 'node' needs Node >= 22.12 (or >= 23.1); this is ${process.versions.node}: use mode 'native' or 'auto'`,
        );
      }
      return 'node';
    case 'auto':
      return nodeHasReusePort() ? 'node' : 'native';
    default:
      throw invalidArg(`reusePort mode must be 'auto', 'node' or 'native', got ${String(mode)}`);
  }
}
