// `npm run bench:check -- [--baseline FILE] [--update] REPORT.json...`: compares `erlmcp load`
// JSON reports with bench/baseline.json by the seeds' regression rule. A thin CLI: the
// comparison, update and formatting live in src/load/regression.ts (imported from dist/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', '..', 'dist', 'load');
const DEFAULT_BASELINE = path.join(here, '..', 'baseline.json');

const USAGE = `usage: npm run bench:check -- [--baseline FILE] [--update] REPORT.json...
       node bench/scenarios/check.mjs [--baseline FILE] [--update] REPORT.json...

Compares \`erlmcp load --json\` reports with a baseline (default bench/baseline.json), per
scenario: a report FAILS when its achieved throughput is below 0.95x the baseline, its p95
latency above 1.2x, or its server peak memory above 1.1x (memory is skipped when either side
has no server figures). One line per metric with baseline, current, ratio and PASS/FAIL; a
warning when this machine differs from the baseline's (cpus, CPU model, Node.js version).

This is a tool for people, not a CI gate: load figures on shared or noisy machines move by
more than these margins from run to run. Rerun before believing a FAIL, and compare only on
the machine the baseline was recorded on.

Options:
  --baseline FILE  the baseline file (default bench/baseline.json)
  --update         write or replace the baseline entries of these reports' scenarios (other
                   scenarios are kept) instead of comparing
  -h, --help       this help

Exit status: 0 every metric passed (or --update wrote the file), 1 a metric failed,
2 a scenario missing from the baseline (record it with --update), an invalid report or
baseline, or a usage error.

Needs the compiled TypeScript: run \`npm run build:ts\` first.`;

/** @param {string} message */
function fail(message) {
  process.stderr.write(`bench:check: ${message}\n`);
  process.exit(2);
}

/** @param {string} name */
async function load(name) {
  const file = path.join(dist, `${name}.js`);
  if (!fs.existsSync(file)) fail(`${path.relative(process.cwd(), file)} not found: run \`npm run build:ts\` first`);
  return (await import(pathToFileURL(file).href)).default;
}

/** @param {string} file */
function readJson(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return JSON.parse(/** @type {string} */ (text));
  } catch (err) {
    fail(`${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      baseline: { type: 'string', default: DEFAULT_BASELINE },
      update: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  fail(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
}
const { values, positionals } = /** @type {NonNullable<typeof args>} */ (args);
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (positionals.length === 0) fail(`no report given\n\n${USAGE}`);

const regression = await load('regression');
const { validateReport } = await load('report');

const reports = positionals.map((file) => {
  const report = readJson(file);
  const problems = validateReport(report);
  if (problems.length > 0) fail(`${file} is not a valid load report:\n  ${problems.join('\n  ')}`);
  return { file, report };
});

const baselineFile = values.baseline;
const exists = fs.existsSync(baselineFile);
let baseline = null;
if (exists) {
  try {
    baseline = regression.parseBaseline(readJson(baselineFile), baselineFile);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

if (values.update) {
  if (baseline !== null) {
    const differences = regression.compareMachines(baseline.machine, reports[reports.length - 1].report.machine);
    const kept = Object.keys(baseline.scenarios).filter((s) => !reports.some((r) => r.report.scenario === s));
    if (differences.length > 0 && kept.length > 0) {
      process.stdout.write(
        `warning: this machine differs from the baseline's (${differences.join('; ')}); ` +
          `the kept entries (${kept.join(', ')}) were recorded on the other one\n`,
      );
    }
  }
  const updated = regression.updateBaseline(
    baseline,
    reports.map((r) => r.report),
  );
  fs.writeFileSync(baselineFile, regression.serializeBaseline(updated));
  for (const { report } of reports) {
    process.stdout.write(`${regression.formatRecorded(report.scenario, updated.scenarios[report.scenario])}\n`);
  }
  process.stdout.write(`wrote ${baselineFile}\n`);
  process.exit(0);
}

if (baseline === null) {
  fail(`no baseline at ${baselineFile}; record one with: npm run bench:check -- --update ${positionals.join(' ')}`);
}
const comparisons = reports.map(({ file, report }) => {
  const c = regression.compareReport(baseline, report);
  process.stdout.write(`${regression.formatComparison(c, file).join('\n')}\n`);
  return c;
});
const code = regression.checkExitCode(comparisons);
const verdict = ['all metrics within the limits', 'REGRESSION', 'scenario missing from the baseline'][code];
process.stdout.write(`bench:check: ${verdict}\n`);
process.exit(code);
