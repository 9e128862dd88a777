#!/usr/bin/env node
// `npm install` hook. Uses the prebuilt binary when one matches this platform (the
// erlmcp-<platform> optional dependency, or a local erlmcp.<platform>.node); otherwise builds
// the addon from the Rust sources shipped with the package, in release mode. Set
// ERLMCP_BUILD_FROM_SOURCE=1 to build even when a prebuilt binary loads.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function tryLoad() {
  try {
    // Fresh process: a failed require would otherwise be cached in this one.
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'index.js'))})`], {
      stdio: 'pipe',
      encoding: 'utf8',
    });
    return r.status === 0 ? null : (r.stderr || 'unknown error').trim().split('\n').slice(-3).join('\n');
  } catch (err) {
    return String(err);
  }
}

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function fail(message) {
  console.error(`erlmcp: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  console.error(`erlmcp: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} exited with ${r.status}`);
}

function buildFromSource() {
  const triple = platformTriple();
  if (!fs.existsSync(path.join(root, 'crates', 'erlmcp-node', 'Cargo.toml'))) {
    fail(`no prebuilt binary for ${triple} and no Rust sources to build one from.`);
  }
  const cargo = spawnSync('cargo', ['--version'], { stdio: 'pipe', shell: process.platform === 'win32' });
  if (cargo.error || cargo.status !== 0) {
    fail(
      `no prebuilt binary matches ${triple}, and building from source needs Rust's cargo on PATH ` +
        '(install it from https://rustup.rs, then run `npm rebuild erlmcp`).',
    );
  }
  const napiCli = (() => {
    try {
      return require.resolve('@napi-rs/cli/package.json', { paths: [root] });
    } catch {
      return null;
    }
  })();
  if (napiCli) {
    // Development checkout: the napi CLI also regenerates index.js / index.d.ts.
    const pkg = require(path.join(root, 'package.json'));
    const [cmd, ...args] = pkg.scripts['build:native'].split(' ');
    run('npx', ['--no-install', cmd, ...args]);
    return;
  }
  // Installed as a dependency: plain cargo, then name the library the way index.js looks for it.
  run('cargo', ['build', '--release', '--locked', '-p', 'erlmcp-node']);
  const lib = { win32: 'erlmcp_node.dll', darwin: 'liberlmcp_node.dylib' }[process.platform] ?? 'liberlmcp_node.so';
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
  fs.copyFileSync(path.join(target, 'release', lib), path.join(root, `erlmcp.${triple}.node`));
}

const forced = process.env.ERLMCP_BUILD_FROM_SOURCE === '1';
const loadError = forced ? 'forced by ERLMCP_BUILD_FROM_SOURCE=1' : tryLoad();
if (loadError === null) process.exit(0);
console.error(`erlmcp: no usable prebuilt binary (${loadError.split('\n')[0]}); building from source.`);
buildFromSource();
const after = tryLoad();
if (after !== null) fail(`the addon was built but does not load:\n${after}`);
