// `npm run bench`: runs the suites (all, or those named: registry bucket breaker ring router),
// prints ours vs peer per row and writes bench/results/latest.json (+ latest-env.json).
// `--quick` shortens every measurement for a smoke run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { options } from './lib.mjs';

const SUITES = ['registry', 'bucket', 'breaker', 'ring', 'router'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SUITES.includes(n));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; choose from ${SUITES.join(', ')}`);
  process.exit(2);
}
options.maxTime = quick ? 0.25 : 1;

const here = path.dirname(fileURLToPath(import.meta.url));
const rows = [];
for (const name of names.length ? names : SUITES) {
  const { default: suite } = await import(`./suites/${name}.mjs`);
  process.stderr.write(`running ${name}...\n`);
  rows.push(...(await suite({ quick })));
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const table = rows.map((r) => ({
  benchmark: r.name,
  'ours ops/s': fmt(r.opsPerSec),
  peer: r.peer,
  'peer ops/s': fmt(r.peerOpsPerSec),
  'ours/peer': `${r.ratio}x`,
}));
console.table(table);
for (const r of rows) {
  if (r.p99Ns !== undefined) {
    console.log(
      `${r.name}: p50 ${r.p50Ns} ns, p99 ${r.p99Ns} ns per lookup from JS (hrtime overhead p50 ${r.timerOverheadP50Ns} ns)`,
    );
  }
  if (r.nsPerOp !== undefined) console.log(`${r.name}: ${r.nsPerOp} ns per call (ours)`);
}

const out = path.join(here, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
fs.writeFileSync(
  path.join(out, 'latest-env.json'),
  `${JSON.stringify(
    { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, quick },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${path.relative(process.cwd(), path.join(out, 'latest.json'))}`);
