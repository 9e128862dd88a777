// Tables of `npm run bench:cores`: per case and server the median round (by req/s) with every
// round's rate, latency, errors, the server's and the load generator's CPU per request; then the
// ratios: erlmcp with N workers ÷ 1 worker, erlmcp ÷ the single-thread ceiling of its transport,
// the echo on N threads ÷ on 1 (the machine's bound), erlmcp ÷ that N-thread echo, and server CPU
// per request N vs 1, also net of the echo's own growth (what the shared core adds). Ratios come
// from the same run, as medians and per round.
import { byCase, int, ms, num, ratio, roundRatios, table, x } from '../e2e/format.mjs';
import { CONTENDED_PCT } from '../e2e/stateless.mjs';

/** The load generator should cost at most this share of the server's CPU per request. */
export const GEN_SHARE_MAX = 1 / 3;

const CASE_NAME = { http: 'HTTP stateless (wrk)', ws: 'WebSocket (wsgen)' };

/**
 * @param {any[]} runs every round of every (case, server)
 * @param {{ cases: ('http' | 'ws')[], workers: number[], wrkThreads: number, wsgenThreads: number }} o
 */
export function report(runs, o) {
  const key = (r) => `${r.case}|${r.server}`;
  const { groups, medians } = byCase(runs, key);
  const find = (kase, server) => medians.find((m) => m.case === kase && m.server === server);
  const ok = (m) => m?.status === 'ok';

  /** @type {string[]} errors and failed rounds (exit code 1) */
  const problems = [];
  /** @type {string[]} figures to distrust (contended machine, saturated generator) */
  const warnings = [];
  /** @type {string[]} why a row has no figures */
  const notes = [];
  const threadsOf = (kase) => (kase === 'http' ? o.wrkThreads : o.wsgenThreads);
  const rows = [];
  for (const m of medians) {
    const where = `${m.case} ${m.label}`;
    for (const n of m.notOk ?? []) problems.push(`${where}: ${n}`);
    if (!ok(m)) {
      rows.push([CASE_NAME[m.case], m.label, m.status, ...Array(9).fill('-')]);
      notes.push(`${CASE_NAME[m.case]}, ${m.label}: ${m.status} (${m.reason})`);
      continue;
    }
    const l = m.load;
    const roundsWithErrors = groups.get(key(m))?.filter((r) => r.load?.errorCount > 0) ?? [];
    for (const r of roundsWithErrors)
      problems.push(`${where} round ${r.round}: ${r.load.errorCount} errors ${JSON.stringify(r.load.errors)}`);
    // The ceilings cost little more than the sockets, so a load generator's share of them is
    // naturally higher; what would distort them is a generator that saturates its core.
    if (m.server.startsWith('erlmcp-') && l.genShare !== undefined && l.genShare > GEN_SHARE_MAX) {
      warnings.push(`${where}: the load generator cost ${l.genShare}x the server's CPU per request (> 1/3)`);
    }
    if ((l.genCpuPct ?? 0) > 90 * threadsOf(m.case)) {
      warnings.push(`${where}: the load generator used ${l.genCpuPct} % of a core: it may set the rate`);
    }
    if ((l.otherCpuPct ?? 0) > CONTENDED_PCT) {
      warnings.push(
        `${where}: other processes took ${l.otherCpuPct} % of a core in the median round: ratios unreliable`,
      );
    }
    rows.push([
      CASE_NAME[m.case],
      m.label,
      int(l.reqPerSec),
      m.roundsReqPerSec.map(int).join(' / '),
      ms(l.latencyUs.p50),
      ms(l.latencyUs.p99),
      int(l.errorCount),
      num(l.serverCpuPct),
      num(l.serverCpuUsPerReq),
      num(l.genCpuUsPerReq),
      num(l.genShare),
      num(l.otherCpuPct),
    ]);
  }

  const ratios = [];
  const ratioRows = [];
  const add = (kase, what, a, b, cpu) => {
    if (!a || !b) return;
    const both = ok(a) && ok(b);
    const entry = {
      case: kase,
      what,
      a: a.server,
      b: b.server,
      reqPerSec: both ? ratio(a.load.reqPerSec, b.load.reqPerSec) : undefined,
      // a's server CPU per request ÷ b's (< 1: a spends less per request).
      serverCpuPerReq: both && cpu ? ratio(a.load.serverCpuUsPerReq, b.load.serverCpuUsPerReq) : undefined,
      rounds: both ? roundRatios(runs, key, a, b) : [],
    };
    ratios.push(entry);
    ratioRows.push([
      CASE_NAME[kase],
      what,
      x(entry.reqPerSec),
      entry.rounds.map((r) => `${r}x`).join(' / ') || '-',
      x(entry.serverCpuPerReq),
    ]);
  };
  /**
   * erlmcp's growth in CPU per request from 1 to N workers ÷ the echo's growth from 1 to N
   * threads: above 1 is what erlmcp's threads cost each other (the shared native core, the
   * mesh) beyond what N busy threads cost each other on this machine anyway.
   */
  const addNet = (kase, n, one, many, ceiling, echo) => {
    if (![one, many, ceiling, echo].every(ok)) return;
    const cpu = (m) => m.load.serverCpuUsPerReq;
    const growth = ratio(cpu(many), cpu(one));
    const echoGrowth = ratio(cpu(echo), cpu(ceiling));
    const net = ratio(growth, echoGrowth);
    ratios.push({ case: kase, what: `erlmcp CPU/req growth 1 -> ${n} ÷ the echo's`, growth, echoGrowth, net });
    ratioRows.push([
      CASE_NAME[kase],
      `CPU/req growth 1 -> ${n}: erlmcp ${x(growth)} ÷ echo ${x(echoGrowth)}`,
      '-',
      '-',
      x(net),
    ]);
  };
  for (const kase of o.cases) {
    const one = find(kase, 'erlmcp-1');
    const ceiling = find(kase, 'ceiling');
    for (const n of o.workers.filter((w) => w !== 1)) {
      const many = find(kase, `erlmcp-${n}`);
      const echo = find(kase, `echo-${n}`);
      add(kase, `erlmcp ${n} workers ÷ 1 worker`, many, one, true);
      add(kase, `${echo?.label ?? `echo on ${n} threads`} ÷ 1 thread (the bound)`, echo, ceiling, true);
      add(kase, `erlmcp ${n} workers ÷ ${echo?.label ?? `echo on ${n} threads`}`, many, echo, true);
      addNet(kase, n, one, many, ceiling, echo);
    }
    for (const n of o.workers) {
      add(
        kase,
        `erlmcp ${n} worker${n > 1 ? 's' : ''} ÷ ${ceiling?.label ?? 'ceiling'}`,
        find(kase, `erlmcp-${n}`),
        ceiling,
        true,
      );
    }
  }

  const text = [
    '',
    table(
      [
        'case',
        'server',
        'req/s (median)',
        'rounds',
        'p50 ms',
        'p99 ms',
        'errors',
        'srv CPU %',
        'srv µs/req',
        'gen µs/req',
        'gen/srv',
        'other %',
      ],
      rows,
      2,
    ),
    ...notes.map((n) => `  ${n}`),
    '',
    table(['case', 'ratio', 'req/s (medians)', 'per round', 'srv CPU/req (a ÷ b)'], ratioRows, 2),
    hostProbeLine(runs),
    problems.length ? `\nPROBLEMS in this run:\n${problems.map((p) => `  - ${p}`).join('\n')}` : '\nno errors',
    ...(warnings.length ? [`WARNINGS:\n${warnings.map((w) => `  - ${w}`).join('\n')}`] : []),
  ].join('\n');
  return { text, summary: { cases: medians.map(({ notOk, ...m }) => m), ratios, problems, warnings } };
}

/**
 * The spread of the host probes taken before each measurement (host-probe.mjs): a wide one
 * means the host's speed drifted during the run, and ratios carry that drift.
 */
function hostProbeLine(runs) {
  const ms = runs.map((r) => r.hostProbeMs).filter((v) => typeof v === 'number');
  if (ms.length === 0) return '';
  const [lo, hi] = [Math.min(...ms), Math.max(...ms)];
  return `\nhost probe (the same JS loop before each measurement): ${lo}-${hi} ms, max ÷ min ${(hi / lo).toFixed(2)}x`;
}
