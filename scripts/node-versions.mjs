#!/usr/bin/env node
// `npm run test:node` (in `npm test`): runs the vitest suite again on the Node versions users run
// today, 22 and 24, with Node binaries from the npm registry (scripts/node-dist.mjs; pinned
// versions, cached under node_modules/.cache/erlmcp-node). The project itself builds and runs on
// Node 20 (end of life since April 2026, still supported); the native addon is Node-API, so the
// one build serves every version. dist/ must be built (`npm run build:ts`; `test:js` does it).
//
// Usage: node scripts/node-versions.mjs [--only 22|24] [vitest args...]
// $ERLMCP_NODE_22 / $ERLMCP_NODE_24 point at a local binary instead of the download.
// Exit code: 0 when every version passed, 1 when one failed, 2 on a setup error.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNode, major, NodeDistError, probeVersion } from './node-dist.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'node_modules/.cache/erlmcp-node');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
/** The newest release of each line published for every platform the registry serves. */
const VERSIONS = { 22: '22.23.3', 24: '24.22.3' };

function fail(message) {
  process.stderr.write(`test:node: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = { only: undefined, vitest: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') {
      out.only = argv[++i];
      if (!(out.only in VERSIONS)) fail(`--only takes ${Object.keys(VERSIONS).join(' or ')}`);
    } else {
      out.vitest.push(argv[i]);
    }
  }
  return out;
}

async function binaryFor(line) {
  const override = process.env[`ERLMCP_NODE_${line}`];
  if (override) {
    const v = probeVersion(override);
    if (!v || major(v) !== Number(line))
      fail(`ERLMCP_NODE_${line}=${override} is not a Node ${line} (${v ?? 'does not run'})`);
    return { bin: override, version: v, source: 'env' };
  }
  try {
    return await installNode({
      version: VERSIONS[line],
      cacheRoot: CACHE,
      log: (l) => process.stdout.write(`test:node: ${l}\n`),
    });
  } catch (err) {
    if (err instanceof NodeDistError)
      fail(`${err.message}\nSet ERLMCP_NODE_${line}=/path/to/node to use a local Node ${line}.`);
    throw err;
  }
}

function run(bin, args) {
  return new Promise((resolve) => {
    const child = spawn(bin, [VITEST, 'run', ...args], { cwd: ROOT, stdio: 'inherit', env: process.env });
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal ? 1 : (code ?? 1));
    });
  });
}

const opts = parseArgs(process.argv.slice(2));
const lines = opts.only ? [opts.only] : Object.keys(VERSIONS);
const results = [];
for (const line of lines) {
  const node = await binaryFor(line);
  process.stdout.write(`\ntest:node: vitest on Node ${node.version} (${node.source}: ${node.bin})\n`);
  const started = Date.now();
  const code = await run(node.bin, opts.vitest);
  results.push({ version: node.version, code, seconds: ((Date.now() - started) / 1000).toFixed(0) });
}
process.stdout.write('\n');
for (const r of results)
  process.stdout.write(`test:node: Node ${r.version}: ${r.code === 0 ? 'passed' : 'FAILED'} (${r.seconds} s)\n`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
