#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server mode)
// against erlmcp, once per spec revision: for each of 2025-11-25 and 2026-07-28 it starts
// test/conformance/everything-server.mjs on 127.0.0.1 (port 0) on this node, runs
// `conformance server --requirements <revision>` on Node 22 (see suite-node.mjs) with that
// revision's baseline test/conformance/expected-failures.<revision>.yml, reads the checks.json
// files it writes into a temporary directory, and judges every scenario the requirement set
// runs, scored and not_scored alike (a scenario passes when it has no FAILURE and no WARNING
// check). Exit code:
//   0  every scenario passed or is an expected failure, in every revision run,
//   1  an unexpected failure, a stale baseline entry (an expected failure that now passes, or
//      one naming a scenario that did not run), a scenario without results, a non-zero exit of
//      the suite's CLI, or the fixture died,
//   2  setup error (no dist/, no suite, no Node 22, fixture does not start) or timeout.
// It builds nothing: run `npm run build:ts` first. Docs: docs/conformance.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeScenario, readBaseline, unrunEntries } from './baseline.mjs';
import { startFixture, stopProcess } from './fixture.mjs';
import { formatRevision } from './report.mjs';
import { REVISIONS, readRequirementSet, scenariosOf, scoringOf, yamlParser } from './requirements.mjs';
import { announcedScenarios, readResults, runSuite } from './suite.mjs';
import { resolveSuiteNode, SuiteNodeError } from './suite-node.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_FIXTURE = path.join(ROOT, 'test/conformance/everything-server.mjs');
const SUITE_PKG = path.join(ROOT, 'node_modules/@modelcontextprotocol/conformance');
const CLI = path.join(SUITE_PKG, 'dist/index.js');
const DIST_ENTRY = path.join(ROOT, 'dist/index.mjs');
const NODE_CACHE = path.join(ROOT, 'node_modules/.cache/erlmcp-node');
const baselineFile = (revision) => path.join(ROOT, `test/conformance/expected-failures.${revision}.yml`);

const DEFAULT_TIMEOUT_MS = 180_000;
/** Child processes to stop if the runner is interrupted. */
const live = new Set();
const track = (child) => {
  live.add(child);
  child.once('exit', () => live.delete(child));
};
const USAGE = `node scripts/conformance/run.mjs [--spec-version ${REVISIONS.join('|')}] [--scenario NAME]
    [--timeout-ms N] [--scenario-timeout-ms N] [--verbose] [--keep-results] [--fixture FILE]
  --spec-version V        run one revision only (default: ${REVISIONS.join(', then ')}); "draft" = 2026-07-28
  --scenario NAME         run one scenario, at V, or at every revision whose requirement set lists it
  --timeout-ms N          time limit of each revision's suite run (default ${DEFAULT_TIMEOUT_MS})
  --scenario-timeout-ms N the suite's per-scenario limit (its --timeout; default 30000)
  --verbose               stream the suite's output; list the failed checks of expected failures too
  --keep-results          keep (and print) the directory with the checks.json files
  --fixture FILE          another server script that prints {"url": ...} on its first stdout line
  env ERLMCP_CONFORMANCE_NODE=/path/to/node  the Node (>= 22) that runs the suite
`;

function fail(message, code = 2) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {
    specVersion: undefined,
    scenario: undefined,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    scenarioTimeoutMs: undefined,
    verbose: false,
    keep: false,
    fixture: DEFAULT_FIXTURE,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--spec-version') opts.specVersion = value();
    else if (a === '--scenario') opts.scenario = value();
    else if (a === '--timeout-ms') opts.timeoutMs = Number(value());
    else if (a === '--scenario-timeout-ms') opts.scenarioTimeoutMs = Number(value());
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--keep-results') opts.keep = true;
    else if (a === '--fixture') opts.fixture = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}\n${USAGE}`);
  }
  if (opts.specVersion === 'draft') opts.specVersion = '2026-07-28';
  if (opts.specVersion !== undefined && !REVISIONS.includes(opts.specVersion)) {
    fail(`--spec-version must be one of ${REVISIONS.join(', ')} (or draft), not ${opts.specVersion}`);
  }
  if (!(opts.timeoutMs > 0)) fail('--timeout-ms must be a positive number');
  if (opts.scenarioTimeoutMs !== undefined && !(opts.scenarioTimeoutMs > 0)) {
    fail('--scenario-timeout-ms must be a positive number');
  }
  return opts;
}

/** The revisions to run, each with its requirement set and baseline. */
function plan(opts, yaml) {
  const chosen = opts.specVersion ? [opts.specVersion] : REVISIONS;
  const runs = chosen.map((revision) => {
    const file = baselineFile(revision);
    if (!fs.existsSync(file)) fail(`${path.relative(ROOT, file)} not found: each revision needs its baseline`);
    return {
      revision,
      set: readRequirementSet(SUITE_PKG, revision),
      baselineFile: file,
      baseline: readBaseline(path.relative(ROOT, file), fs.readFileSync(file, 'utf8'), yaml),
    };
  });
  // One scenario: at the revision asked for (forced, like a requirement-set run), or at every
  // revision whose requirement set runs it.
  if (!opts.scenario || opts.specVersion) return runs;
  const listing = runs.filter((r) => scoringOf(r.set, opts.scenario) !== null);
  if (listing.length === 0) {
    fail(`no requirement set of ${chosen.join(', ')} runs scenario ${opts.scenario}; pass --spec-version to force it`);
  }
  return listing;
}

async function runRevision(run, opts, node, resultsRoot) {
  const { revision, set } = run;
  const started = Date.now();
  const outDir = path.join(resultsRoot, revision);
  fs.mkdirSync(outDir, { recursive: true });
  const reasons = [];
  const fixture = startFixture(opts.fixture, ROOT);
  track(fixture.child);
  let url;
  try {
    url = await fixture.ready;
  } catch (err) {
    await stopProcess(fixture.child);
    const stderr = fixture.stderr().trim();
    return { revision, exitCode: 2, reasons: [stderr ? `${err.message}:\n${stderr}` : err.message] };
  }
  const what = opts.scenario ? `scenario ${opts.scenario} at ${revision}` : `requirements ${revision}`;
  process.stdout.write(`\n== ${revision} == fixture at ${url}; running ${what}\n`);
  if (opts.scenario && scoringOf(set, opts.scenario) === null) {
    process.stdout.write(`note: ${opts.scenario} is not in the ${revision} requirement set; forced\n`);
  }
  const suite = await runSuite({
    node: node.bin,
    cli: CLI,
    url,
    outDir,
    baseline: run.baselineFile,
    ...(opts.scenario ? { scenario: opts.scenario, specVersion: revision } : { revision }),
    scenarioTimeoutMs: opts.scenarioTimeoutMs,
    verbose: opts.verbose,
    deadline: started + opts.timeoutMs,
    onSpawn: track,
  });
  const fixtureDied = fixture.exited();
  await stopProcess(fixture.child);

  const results = readResults(outDir, suite.output);
  const expected = opts.scenario ? [opts.scenario] : scenariosOf(set);
  const announced = announcedScenarios(suite.output);
  const order = [...new Set([...announced, ...expected])];
  const entries = opts.scenario ? run.baseline.filter((e) => e.scenario === opts.scenario) : run.baseline;
  const rows = order.filter((s) => results.has(s)).map((s) => judgeScenario(s, results.get(s), entries));
  for (const s of results.keys()) if (!order.includes(s)) rows.push(judgeScenario(s, results.get(s), entries));
  // A not_scored name this build of the suite does not have is skipped by the CLI itself.
  const notInBuild = set.notScored.map((e) => e.scenario).filter((s) => !announced.includes(s) && !results.has(s));
  const missing = order.filter((s) => !results.has(s) && !(notInBuild.includes(s) && !opts.scenario));
  const unrun = unrunEntries(entries, new Set(results.keys()));

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const { lines, tally, totals } = formatRevision({
    revision,
    rows,
    missing,
    scoring: (s) => scoringOf(set, s),
    seconds,
    verbose: opts.verbose,
  });
  for (const s of notInBuild)
    if (!opts.scenario) lines.push(`note: ${s} (not_scored) is not in this build of the suite`);

  const rel = path.relative(ROOT, run.baselineFile);
  let exitCode = 0;
  if (suite.timedOut) {
    exitCode = 2;
    reasons.push(`the suite did not finish within ${opts.timeoutMs} ms`);
  } else {
    const failed = rows.filter((r) => r.verdict === 'FAIL').map((r) => r.scenario);
    const stale = rows.flatMap((r) => r.stale);
    if (failed.length > 0) reasons.push(`unexpected failures: ${failed.join(', ')}`);
    if (stale.length > 0) reasons.push(`now passing, remove from ${rel}: ${stale.join(', ')}`);
    if (unrun.length > 0)
      reasons.push(`baseline entries for scenarios that did not run, remove from ${rel}: ${unrun.join(', ')}`);
    if (missing.length > 0) reasons.push(`no results for: ${missing.join(', ')}`);
    if (rows.length === 0) reasons.push('the suite produced no results');
    // The CLI's own verdict covers the scored scenarios only; a non-zero exit is a failure
    // whatever this runner found (a crash, or a disagreement worth looking into).
    if (suite.code !== 0) reasons.push(`the suite's CLI exited with ${suite.code}`);
    if (reasons.length > 0) exitCode = 1;
  }
  if (fixtureDied) {
    exitCode = Math.max(exitCode, 1);
    reasons.push(`the fixture exited during the run:\n${fixture.stderr()}`);
  }
  if (exitCode !== 0 && !opts.verbose) {
    process.stdout.write(`\n---- suite output (${revision}) ----\n${suite.output}\n---- end ----\n`);
  }
  lines.push(reasons.length > 0 ? `${revision}: FAILED\n  ${reasons.join('\n  ')}` : `${revision}: OK`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return { revision, exitCode, reasons, tally, totals, seconds };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const [file, hint] of [
    [DIST_ENTRY, 'run `npm run build:ts` first'],
    [CLI, 'run `npm install` (devDependency @modelcontextprotocol/conformance)'],
    [opts.fixture, 'the fixture script is missing'],
  ]) {
    if (!fs.existsSync(file)) fail(`${path.relative(ROOT, file)} not found: ${hint}`);
  }
  const suiteVersion = JSON.parse(fs.readFileSync(path.join(SUITE_PKG, 'package.json'), 'utf8')).version;
  let runs;
  try {
    runs = plan(opts, yamlParser(SUITE_PKG));
  } catch (err) {
    fail(err.message);
  }

  const nodeStarted = Date.now();
  let node;
  try {
    node = await resolveSuiteNode({ cacheRoot: NODE_CACHE, log: (l) => process.stdout.write(`conformance: ${l}\n`) });
  } catch (err) {
    fail(err instanceof SuiteNodeError ? err.message : (err?.stack ?? String(err)));
  }
  const nodeSeconds = ((Date.now() - nodeStarted) / 1000).toFixed(1);
  process.stdout.write(
    `conformance: @modelcontextprotocol/conformance ${suiteVersion} on Node ${node.version} (${node.source}: ${node.bin}${node.source === 'download' ? `, ${nodeSeconds} s` : ''})\n`,
  );

  const resultsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'erlmcp-conformance-'));
  const onSignal = async (sig) => {
    await Promise.all([...live].map((child) => stopProcess(child)));
    if (!opts.keep) fs.rmSync(resultsRoot, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const outcomes = [];
  for (const run of runs) outcomes.push(await runRevision(run, opts, node, resultsRoot));

  process.stdout.write('\n');
  for (const o of outcomes) {
    const t = o.tally;
    const detail = t
      ? `${t.passed} passed, ${t.expected} expected failures, ${t.failed + t.stale + t.missing} problems; ${o.totals.SUCCESS} checks passed, ${o.totals.FAILURE} failed, ${o.totals.WARNING} warnings; ${o.seconds} s`
      : o.reasons.join('; ');
    process.stdout.write(`conformance ${o.revision}: ${o.exitCode === 0 ? 'OK' : 'FAILED'} (${detail})\n`);
  }
  const exitCode = Math.max(0, ...outcomes.map((o) => o.exitCode));
  process.stdout.write(`conformance: ${exitCode === 0 ? 'OK' : 'FAILED'}\n`);
  if (opts.keep) process.stdout.write(`results kept in ${resultsRoot}\n`);
  else fs.rmSync(resultsRoot, { recursive: true, force: true });
  process.exit(exitCode);
}

main().catch((err) => {
  process.stderr.write(`conformance: ${err?.stack ?? err}\n`);
  process.exit(2);
});
