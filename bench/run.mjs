// `npm run bench` (= node bench/run.mjs [suite ...] [--quick]): runs the suites (all, or those
// named: registry bucket breaker ring router legacy), prints ours vs peer per row and writes
// bench/results/latest.json (the rows) and bench/results/latest-env.json (the machine).
// `--quick` shortens every measurement for a smoke run; its numbers are noisier.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineEnv } from './e2e/cpu.mjs';
import { options, sink } from './lib.mjs';

const SUITES = ['registry', 'bucket', 'breaker', 'ring', 'router', 'legacy'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flags = args.filter((a) => a.startsWith('--') && a !== '--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SUITES.includes(n));
if (flags.length || unknown.length) {
  console.error(`usage: node bench/run.mjs [--quick] [${SUITES.join('|')} ...]`);
  if (unknown.length) console.error(`unknown suite(s): ${unknown.join(', ')}`);
  if (flags.length) console.error(`unknown flag(s): ${flags.join(', ')}`);
  process.exit(2);
}
options.maxTime = quick ? 0.25 : 1;
options.minSamples = 5;

const here = path.dirname(fileURLToPath(import.meta.url));
const selected = names.length ? SUITES.filter((s) => names.includes(s)) : SUITES;
const started = Date.now();
const rows = [];
for (const name of selected) {
  const { default: suite } = await import(`./suites/${name}.mjs`);
  process.stderr.write(`running ${name}...\n`);
  const t0 = Date.now();
  const suiteRows = await suite({ quick });
  for (const r of suiteRows) rows.push({ suite: name, ...r });
  process.stderr.write(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.table(
  rows.map((r) => ({
    name: r.name,
    'ours ops/s': fmt(r.opsPerSec),
    peer: r.peer,
    'peer ops/s': fmt(r.peerOpsPerSec),
    'ours/peer': `${r.ratio}x`,
  })),
);
const seen = new Set();
for (const r of rows) {
  if (seen.has(r.name)) continue;
  seen.add(r.name);
  if (r.p99Ns !== undefined) {
    console.log(
      `${r.name}: p50 ${r.p50Ns} ns, p99 ${r.p99Ns} ns per lookup (target p99 < ${r.targetP99Ns} ns; ` +
        `Map.get p50 ${r.peerP50Ns} ns, p99 ${r.peerP99Ns} ns; single calls timed one by one: ` +
        `p50 ${r.singleCallP50Ns} ns, p99 ${r.singleCallP99Ns} ns incl. a ~${r.timerOverheadP50Ns} ns timer read)`,
    );
  }
  if (r.routeP99Ns !== undefined) {
    console.log(
      `${r.name}: p50 ${r.routeP50Ns} ns, p99 ${r.routeP99Ns} ns per route (central JS registry p50 ` +
        `${r.peerRouteP50Ns} ns, p99 ${r.peerRouteP99Ns} ns); single routes timed one by one: ours p99 ` +
        `${r.singleRouteP99Ns} ns, central p99 ${r.peerSingleRouteP99Ns} ns`,
    );
  }
  if (r.claimP99Ns !== undefined) {
    console.log(`${r.name}: ${r.ratio}x the claimed ops/s; claimed p99 / our p99 = ${r.p99VsClaim}x (${r.peer})`);
  }
  if (r.nsPerOp !== undefined) {
    const target = r.targetNs === undefined ? '' : ` (target < ${r.targetNs} ns)`;
    console.log(`${r.name}: ${r.nsPerOp} ns per op, ours${target}`);
  }
}

const out = path.join(here, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
fs.writeFileSync(
  path.join(out, 'latest-env.json'),
  `${JSON.stringify(
    {
      ...machineEnv(),
      v8: process.versions.v8,
      napi: process.versions.napi,
      suites: selected,
      quick,
      maxTimeSec: options.maxTime,
      durationSec: Number(((Date.now() - started) / 1000).toFixed(1)),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${path.relative(process.cwd(), path.join(out, 'latest.json'))} (sink ${sink.value & 1})`);
