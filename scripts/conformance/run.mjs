#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server mode)
// against erlmcp: starts test/conformance/everything-server.mjs on 127.0.0.1 (port 0) in a
// child process, points the suite's CLI at it with the expected-failures baseline, reads the
// checks.json files it writes into a temporary directory, prints a summary and exits
//   0  every scenario passed or is an expected failure,
//   1  an unexpected failure, a stale baseline entry (an expected failure that now passes:
//      the suite treats those as errors too) or a scenario without results,
//   2  setup error or timeout.
// It builds nothing: run `npm run build:ts` first. Docs: docs/conformance.md.
//
// Usage: node scripts/conformance/run.mjs [--scenario NAME] [--suite active|all|pending]
//          [--timeout-ms N] [--verbose] [--keep-results] [--fixture FILE]
// --fixture runs another server script that prints {"url": ...} on its first stdout line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRELOAD = path.join(ROOT, 'scripts/conformance/node20-preload.mjs');
const DEFAULT_FIXTURE = path.join(ROOT, 'test/conformance/everything-server.mjs');
const BASELINE = path.join(ROOT, 'test/conformance/expected-failures.yml');
const CLI = path.join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const DIST_ENTRY = path.join(ROOT, 'dist/index.mjs');

const FIXTURE_READY_MS = 15_000;
const DEFAULT_TIMEOUT_MS = 180_000;

function parseArgs(argv) {
  const opts = {
    scenario: undefined,
    suite: 'active',
    timeoutMs: DEFAULT_TIMEOUT_MS,
    verbose: false,
    keep: false,
    fixture: DEFAULT_FIXTURE,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--scenario') opts.scenario = value();
    else if (a === '--suite') opts.suite = value();
    else if (a === '--timeout-ms') opts.timeoutMs = Number(value());
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--keep-results') opts.keep = true;
    else if (a === '--fixture') opts.fixture = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'node scripts/conformance/run.mjs [--scenario NAME] [--suite active|all|pending] [--timeout-ms N] [--verbose] [--keep-results] [--fixture FILE]\n',
      );
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  if (!(opts.timeoutMs > 0)) fail('--timeout-ms must be a positive number');
  return opts;
}

function fail(message) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(2);
}

/** The `server:` list of the baseline (a YAML subset: `server:` then `  - name  # comment`). */
function readBaseline(file) {
  const names = [];
  let inServer = false;
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '') continue;
    const key = /^([A-Za-z_-]+):\s*(.*)$/.exec(line);
    if (key) {
      inServer = key[1] === 'server';
      if (inServer && key[2] !== '' && key[2] !== '[]') {
        throw new Error(`${file}: write the server list one "- name" per line`);
      }
      continue;
    }
    const item = /^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/.exec(line);
    if (item && inServer) names.push(item[1]);
  }
  return new Set(names);
}

/** Starts the fixture and resolves with its URL once it prints {"url": ...}. */
function startFixture(file) {
  const child = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-16_384);
  });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`the fixture did not start within ${FIXTURE_READY_MS} ms`)),
      FIXTURE_READY_MS,
    );
    child.stdout.setEncoding('utf8');
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining whatever else it prints
      try {
        resolve(JSON.parse(out.slice(0, nl)).url);
      } catch {
        reject(new Error(`the fixture printed ${JSON.stringify(out.slice(0, nl))} instead of {"url": ...}`));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the fixture exited (${signal ?? code}) before it was ready`));
    });
  });
  return { child, ready, stderr: () => stderr };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
function stop(child, graceMs = 3_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs the suite's CLI; resolves with its exit code and output (null code on timeout). */
function runSuite(url, resultsDir, opts, deadline) {
  const args = ['--import', PRELOAD, CLI, 'server', '--url', url, '--expected-failures', BASELINE, '-o', resultsDir];
  if (opts.scenario) args.push('--scenario', opts.scenario);
  else args.push('--suite', opts.suite);
  const child = spawn(process.execPath, args, { cwd: resultsDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d) => {
    output += d;
    if (opts.verbose) process.stdout.write(d);
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        output += `\n[conformance] the suite did not finish in time; killed\n`;
        child.kill('SIGKILL');
      },
      Math.max(0, deadline - Date.now()),
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? null : code, output, child });
    });
  });
}

/** checks.json files under `dir`, grouped by scenario (dir names: server-<scenario>-<ISO time>). */
function readResults(dir) {
  const byScenario = new Map();
  for (const entry of fs.readdirSync(dir, { recursive: true })) {
    const rel = String(entry);
    if (path.basename(rel) !== 'checks.json') continue;
    const folder = path.basename(path.dirname(rel));
    const scenario = folder.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    const checks = JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
    byScenario.set(scenario, checks);
  }
  return byScenario;
}

/** Rows in the order the suite ran the scenarios (`order`), then any others by name. */
function summarize(results, baseline, order) {
  const rows = [];
  const totals = { SUCCESS: 0, FAILURE: 0, WARNING: 0, INFO: 0 };
  const rank = (s) => (order.includes(s) ? order.indexOf(s) : order.length);
  const sorted = [...results].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  for (const [scenario, checks] of sorted) {
    const count = { SUCCESS: 0, FAILURE: 0, WARNING: 0, INFO: 0 };
    for (const c of checks) if (c.status in count) count[c.status]++;
    for (const k of Object.keys(totals)) totals[k] += count[k];
    // As the suite's own baseline check: a scenario with a FAILURE or a WARNING did not pass.
    const passed = count.FAILURE === 0 && count.WARNING === 0;
    const expected = baseline.has(scenario);
    // A scenario with only INFO checks found nothing to test (e.g. an optional behaviour the
    // server does not use); the suite counts it as passed, the table says so.
    const verdict = passed
      ? expected
        ? 'STALE'
        : count.SUCCESS === 0
          ? 'pass (info)'
          : 'pass'
      : expected
        ? 'expected-fail'
        : 'FAIL';
    const problems = checks
      .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
      .map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}`);
    rows.push({ scenario, count, verdict, problems });
  }
  return { rows, totals };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  for (const [file, hint] of [
    [DIST_ENTRY, 'run `npm run build:ts` first'],
    [CLI, 'run `npm install` (devDependency @modelcontextprotocol/conformance)'],
    [BASELINE, 'the expected-failures file is missing'],
  ]) {
    if (!fs.existsSync(file)) fail(`${path.relative(ROOT, file)} not found: ${hint}`);
  }
  const baseline = readBaseline(BASELINE);
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-conformance-'));
  const fixture = startFixture(opts.fixture);
  const cleanup = async () => {
    await stop(fixture.child);
    if (!opts.keep) fs.rmSync(resultsDir, { recursive: true, force: true });
  };
  const onSignal = async (sig) => {
    await cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let url;
  try {
    url = await fixture.ready;
  } catch (err) {
    process.stderr.write(`conformance: ${err.message}\n${fixture.stderr()}`);
    await cleanup();
    process.exit(2);
  }
  process.stdout.write(
    `conformance: fixture at ${url}; running ${opts.scenario ? `scenario ${opts.scenario}` : `the ${opts.suite} suite`}\n`,
  );

  const run = await runSuite(url, resultsDir, opts, deadline);
  const fixtureDied = fixture.child.exitCode !== null || fixture.child.signalCode !== null;
  const results = readResults(resultsDir);
  // Scenarios the suite ran, from its log; any of them without a checks.json is an error.
  const announced = [...run.output.matchAll(/=== Running scenario: (\S+) ===/g)].map((m) => m[1]);
  if (opts.scenario) announced.push(opts.scenario);
  const { rows, totals } = summarize(results, baseline, announced);
  const missing = [...new Set(announced)].filter((s) => !results.has(s));

  const failed = rows.filter((r) => r.verdict === 'FAIL');
  const stale = rows.filter((r) => r.verdict === 'STALE');
  const expectedFail = rows.filter((r) => r.verdict === 'expected-fail');
  const passed = rows.filter((r) => r.verdict.startsWith('pass'));

  const width = Math.max(10, ...rows.map((r) => r.scenario.length));
  const lines = ['', `${'Scenario'.padEnd(width)}  result         pass fail warn info`];
  for (const r of rows) {
    const c = r.count;
    lines.push(
      `${r.scenario.padEnd(width)}  ${r.verdict.padEnd(13)} ${String(c.SUCCESS).padStart(5)}${String(c.FAILURE).padStart(5)}${String(c.WARNING).padStart(5)}${String(c.INFO).padStart(5)}`,
    );
    if (!r.verdict.startsWith('pass')) for (const p of r.problems) lines.push(`    ${p}`);
  }
  for (const s of missing) lines.push(`${s.padEnd(width)}  NO RESULTS`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  lines.push(
    '',
    `Scenarios: ${passed.length} passed, ${expectedFail.length} expected failures, ${failed.length} unexpected failures, ${stale.length} stale baseline entries, ${missing.length} without results (of ${rows.length + missing.length})`,
    `Checks:    ${totals.SUCCESS} passed, ${totals.FAILURE} failed, ${totals.WARNING} warnings, ${totals.INFO} info`,
    `Time:      ${seconds} s`,
  );
  for (const name of baseline) {
    if (!results.has(name) && !opts.scenario && opts.suite === 'active') {
      lines.push(`note: baseline entry ${name} was not run (not in the active suite?)`);
    }
  }

  let exitCode = 0;
  const reasons = [];
  if (run.code === null) {
    exitCode = 2;
    reasons.push(`the suite did not finish within ${opts.timeoutMs} ms`);
  } else {
    if (failed.length > 0) reasons.push(`unexpected failures: ${failed.map((r) => r.scenario).join(', ')}`);
    if (stale.length > 0)
      reasons.push(
        `now passing, remove from test/conformance/expected-failures.yml: ${stale.map((r) => r.scenario).join(', ')}`,
      );
    if (missing.length > 0) reasons.push(`no results for: ${missing.join(', ')}`);
    if (rows.length === 0) reasons.push('the suite produced no results');
    if (run.code !== 0) reasons.push(`the suite's CLI exited with ${run.code}`);
    if (reasons.length > 0) exitCode = 1;
  }
  if (fixtureDied) {
    exitCode = Math.max(exitCode, 1);
    reasons.push(`the fixture exited during the run:\n${fixture.stderr()}`);
  }

  if (exitCode !== 0 && !opts.verbose) process.stdout.write(`\n---- suite output ----\n${run.output}\n---- end ----\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (reasons.length > 0) process.stdout.write(`\nconformance: FAILED\n  ${reasons.join('\n  ')}\n`);
  else process.stdout.write('\nconformance: OK\n');
  if (opts.keep) process.stdout.write(`results kept in ${resultsDir}\n`);

  await cleanup();
  process.exit(exitCode);
}

main().catch((err) => {
  process.stderr.write(`conformance: ${err?.stack ?? err}\n`);
  process.exit(2);
});
