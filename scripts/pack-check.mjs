#!/usr/bin/env node
// Proves the prebuilt-binary install path: packs the platform package (erlmcp-<triple>, holding
// the .node built here) and the root package the way `napi pre-publish` would publish them,
// installs both tarballs into a fresh project outside this tree with no Rust toolchain on PATH,
// and runs a registry round trip there through ESM `import` and CommonJS `require`.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function triple() {
  const { platform, arch } = process;
  if (platform === 'linux')
    return `linux-${arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function step(msg) {
  console.log(`pack:check: ${msg}`);
}

function npm(args, cwd, env = process.env) {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`npm ${args.join(' ')} failed in ${cwd} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

const t = triple();
const binary = `${pkg.napi.binaryName}.${t}.node`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-pack-'));
try {
  if (!fs.existsSync(path.join(root, binary))) throw new Error(`${binary} is missing: run npm run build:native first`);
  if (!fs.existsSync(path.join(root, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run npm run build:ts first');

  // 1. The platform package, from napi's npm/<triple> directory plus the binary.
  const platDir = path.join(work, 'platform');
  fs.cpSync(path.join(root, 'npm', t), platDir, { recursive: true });
  fs.copyFileSync(path.join(root, binary), path.join(platDir, binary));
  const platTgz = path.join(work, npm(['pack', '--pack-destination', work], platDir).trim().split('\n').pop());
  step(`packed ${path.basename(platTgz)}`);

  // 2. The root package, with the optional dependency `napi pre-publish` adds at release time
  //    (only this platform's: the others are not published from here).
  npm(['pack', '--ignore-scripts', '--pack-destination', work], root);
  const rootTgz = path.join(work, `${pkg.name}-${pkg.version}.tgz`);
  const stage = path.join(work, 'stage');
  fs.mkdirSync(stage);
  execFileSync('tar', ['xzf', rootTgz, '-C', stage]);
  const stagedPkgPath = path.join(stage, 'package', 'package.json');
  const staged = JSON.parse(fs.readFileSync(stagedPkgPath, 'utf8'));
  staged.optionalDependencies = { [`${pkg.name}-${t}`]: pkg.version };
  fs.writeFileSync(stagedPkgPath, JSON.stringify(staged, null, 2));
  if (fs.readdirSync(path.join(stage, 'package')).some((f) => f.endsWith('.node'))) {
    throw new Error('the root package must not contain a .node binary');
  }
  fs.rmSync(rootTgz);
  npm(['pack', '--ignore-scripts', '--pack-destination', work], path.join(stage, 'package'));
  step(`packed ${path.basename(rootTgz)} (optionalDependencies: ${Object.keys(staged.optionalDependencies)})`);

  // 3. A fresh consumer project, no source tree, no cargo/rustc on PATH.
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const pathNoRust = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !['cargo', 'rustc'].some((b) => fs.existsSync(path.join(d, b))))
    .join(path.delimiter);
  const env = {
    ...process.env,
    PATH: pathNoRust,
    CARGO_HOME: path.join(work, 'no-cargo'),
    RUSTUP_HOME: path.join(work, 'no-rustup'),
  };
  if (spawnSync('cargo', ['--version'], { env }).status === 0) throw new Error('cargo is still reachable');
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', platTgz, rootTgz], app, env);
  step('installed both tarballs with no Rust toolchain on PATH');

  // 4. Round trips through both module systems; the same classes either way.
  const roundTrip = `
    const r = new ShardedRegistry({ shards: 16 });
    if (r.register('session-a', 7) !== true) throw new Error('register failed');
    if (r.register('session-a', 8) !== false) throw new Error('duplicate register accepted');
    if (r.lookup('session-a') !== 7) throw new Error('lookup failed');
    const many = r.lookupMany(['session-a', 'nope']);
    if (many[0] !== 7 || many[1] !== -1) throw new Error('lookupMany failed');
    if (r.unregister('session-a') !== 7 || r.size !== 0) throw new Error('unregister failed');
  `;
  fs.writeFileSync(
    path.join(app, 'esm.mjs'),
    `import { ShardedRegistry } from 'erlmcp';\nimport { createRequire } from 'node:module';\n${roundTrip}\n` +
      `const cjs = createRequire(import.meta.url)('erlmcp');\n` +
      `if (cjs.ShardedRegistry !== ShardedRegistry) throw new Error('ESM and CJS classes differ');\nconsole.log('esm ok');\n`,
  );
  fs.writeFileSync(
    path.join(app, 'cjs.cjs'),
    `const { ShardedRegistry } = require('erlmcp');\n${roundTrip}\nconsole.log('cjs ok');\n`,
  );
  for (const f of ['esm.mjs', 'cjs.cjs']) {
    const out = execFileSync(process.execPath, [f], { cwd: app, env, encoding: 'utf8' }).trim();
    step(`${f}: ${out}`);
  }
  const resolved = execFileSync(process.execPath, ['-p', `require.resolve('${pkg.name}-${t}')`], {
    cwd: app,
    env,
    encoding: 'utf8',
  }).trim();
  step(`binary loaded from ${path.relative(app, resolved)}`);
  // The installed `erlmcp` command serves MCP over stdio: one initialize round trip.
  const bin = path.join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'erlmcp.cmd' : 'erlmcp');
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'pack-check', version: '0' } },
  });
  const served = spawnSync(bin, ['serve', '--stdio', '--log-level', 'silent'], {
    cwd: app,
    env,
    input: `${init}\n`,
    encoding: 'utf8',
    timeout: 30_000,
    shell: process.platform === 'win32',
  });
  const answer = JSON.parse(served.stdout.split('\n')[0] || '{}');
  if (answer.result?.serverInfo?.name !== 'erlmcp-demo') {
    throw new Error(`erlmcp serve --stdio did not answer initialize: ${served.stdout}${served.stderr}`);
  }
  step(`bin: erlmcp serve --stdio answered initialize (protocol ${answer.result.protocolVersion})`);
  console.log('pack:check passed');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
