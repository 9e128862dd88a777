// `npm run bench:load -- [--only NAMES] [--transport ws|http] [--out DIR]`: runs every
// `erlmcp load` scenario at the sizes docs/benchmarks.md publishes, one after the other (they
// would disturb each other), each against its own self-started server, and writes
// bench/results/load-<scenario>-<stamp>.json and .html. Compare them with a baseline with
// `npm run bench:check -- bench/results/load-*-<stamp>.json`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'erlmcp.js');

/** Publication sizes: the defaults of each scenario, lengthened so the numbers settle. */
const PUBLICATION = [
  { scenario: 'baseline', args: ['--duration', '30'] },
  { scenario: 'flood', args: ['--sessions', '2000', '--duration', '5'] },
  { scenario: 'bombing', args: ['--duration', '30'] },
  { scenario: 'steps', args: ['--steps', '1000,5000,10000,15000', '--duration', '3'] },
  { scenario: 'idle', args: ['--sessions', '100000', '--duration', '10', '--ramp-rate', '1000'] },
  { scenario: 'chaos', args: ['--duration', '30'] },
  { scenario: 'recovery', args: ['--duration', '5'] },
];
/** No scenario at these sizes takes this long; a run that does is stopped. */
const RUN_LIMIT_MS = 20 * 60_000;

const USAGE = `usage: npm run bench:load -- [--only NAMES] [--transport ws|http] [--out DIR]
  --only NAMES      comma-separated scenarios (default: ${PUBLICATION.map((p) => p.scenario).join(',')})
  --transport T     ws (default) or http
  --out DIR         where the reports go (default bench/results)
Needs the compiled TypeScript: run \`npm run build:ts\` first.`;

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: 'string' },
        transport: { type: 'string', default: 'ws' },
        out: { type: 'string', default: path.join(root, 'bench', 'results') },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`bench:load: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return Promise.resolve(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  const known = new Set(PUBLICATION.map((p) => p.scenario));
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((s) => !known.has(s)) ?? [];
  if (unknown.length > 0 || (values.transport !== 'ws' && values.transport !== 'http')) {
    process.stderr.write(
      `bench:load: unknown scenario or transport: ${unknown.join(', ') || values.transport}\n${USAGE}\n`,
    );
    return Promise.resolve(2);
  }
  if (!fs.existsSync(cli)) {
    process.stderr.write(
      `bench:load: ${path.relative(process.cwd(), cli)} not found: run \`npm run build:ts\` first\n`,
    );
    return Promise.resolve(2);
  }
  fs.mkdirSync(values.out, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const runs = PUBLICATION.filter((p) => only === undefined || only.includes(p.scenario));
  return runAll(runs, values.transport, values.out, stamp);
}

/** Runs `runs` one by one; resolves with 0 when every run exited 0, else 1. */
async function runAll(runs, transport, out, stamp) {
  const results = [];
  for (const { scenario, args } of runs) {
    const base = path.join(out, `load-${scenario}-${stamp}`);
    const argv = [
      'load',
      '--scenario',
      scenario,
      '--transport',
      transport,
      ...args,
      '--json',
      `${base}.json`,
      '--html',
      `${base}.html`,
    ];
    process.stderr.write(`\n== erlmcp ${argv.join(' ')}\n`);
    const code = await run(argv);
    results.push({ scenario, code, json: `${base}.json` });
  }
  process.stderr.write('\n');
  for (const r of results) {
    const status = r.code === 0 ? 'ok' : `exit ${r.code}`;
    process.stderr.write(`${r.scenario.padEnd(9)} ${status.padEnd(8)} ${path.relative(process.cwd(), r.json)}\n`);
  }
  const written = results.filter((r) => r.code === 0).map((r) => path.relative(process.cwd(), r.json));
  if (written.length > 0)
    process.stderr.write(`\ncompare with the baseline: npm run bench:check -- ${written.join(' ')}\n`);
  return results.every((r) => r.code === 0) ? 0 : 1;
}

/** One `erlmcp load` run with its output passed through, stopped after RUN_LIMIT_MS. */
function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...argv], { stdio: 'inherit' });
    const timer = setTimeout(() => {
      process.stderr.write(`bench:load: stopping a run that took over ${RUN_LIMIT_MS / 60_000} min\n`);
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, RUN_LIMIT_MS);
    // Ctrl-C reaches the child too (same process group); it stops its server and exits.
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

main().then((code) => {
  process.exitCode = code;
});
