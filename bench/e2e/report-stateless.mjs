// Tables of the stateless group (stateless.mjs): per case the median round with every round's
// req/s, latency, errors and the CPU of the server and of wrk; the ratios to the ceiling and
// between erlmcp and the SDK v2; the targets with pass/fail. Ratios only compare cases of the
// same run, and per round as well as of the medians (a round's cases ran minutes apart at most).
import { byCase, int, ms, num, ratio, roundRatios, table, x } from './format.mjs';
import { CONTENDED_PCT, STATELESS_SERVERS } from './stateless.mjs';

const TARGETS = { vsCeiling: 0.9, vsSdk1: 10, vsSdk50: 40, authVsOpen: 0.9 };

/** ours ÷ theirs pairs printed as ratios (both must have run); `target` marks the checked ones. */
const PAIRS = [
  { a: 'ours-stateless', b: 'sdk2-1', target: TARGETS.vsSdk1 },
  { a: 'ours-stateless', b: 'sdk2-50' },
  { a: 'ours-stateless-50', b: 'sdk2-50', target: TARGETS.vsSdk50 },
  { a: 'ours-session', b: 'sdk2-1' },
  { a: 'ours-session', b: 'sdk2-50' },
  { a: 'ours-stateless', b: 'ours-session' },
  // Authorization's cost: the same call with a cached JWT vs without auth.
  { a: 'ours-stateless-auth', b: 'ours-stateless', target: TARGETS.authVsOpen },
  // Only when the opt-in case ran.
  { a: 'ours-stateless-50', b: 'sdk2-50-hoisted' },
  { a: 'ours-session', b: 'sdk2-50-hoisted' },
];

/**
 * @param {any[]} runs every round of every case, as runStateless returns them
 * @param {{ connections: number[], servers: string[], skipped?: string }} opts
 */
export function reportStateless(runs, opts) {
  if (opts.skipped) {
    const summary = { skipped: opts.skipped, cases: [], ratios: [], targets: [], problems: [], contended: [] };
    return { text: `\nstateless Streamable HTTP: SKIPPED: ${opts.skipped}`, summary };
  }
  const key = (r) => `${r.connections}|${r.server}`;
  const { medians: cases } = byCase(runs, key);
  const find = (server, n) => cases.find((c) => c.server === server && c.connections === n);
  const rate = (c) => (c?.status === 'ok' ? c.load.reqPerSec : undefined);
  /** Per-round ratio of two cases (same round number, both ok). */
  const roundRatiosOf = (a, b) => roundRatios(runs, key, a, b);

  const rows = [];
  /** @type {string[]} */
  const notes = [];
  for (const c of cases) {
    const ceiling = find('ceiling', c.connections);
    if (c.status !== 'ok') {
      notes.push(`${c.connections} conns ${c.server}: ${c.status} (${c.reason})`);
      rows.push([String(c.connections), c.server, c.status, ...Array(11).fill('-')]);
      continue;
    }
    for (const n of c.notOk ?? []) notes.push(`${c.connections} conns ${c.server}: ${n}`);
    const l = c.load;
    rows.push([
      String(c.connections),
      c.server,
      int(l.reqPerSec),
      c.roundsReqPerSec.map(int).join(' / '),
      ms(l.latencyUs.p50),
      ms(l.latencyUs.p99),
      int(l.errorCount),
      num(l.serverCpuPct),
      num(l.serverCpuUsPerReq),
      num(l.wrkCpuPct),
      num(l.wrkCpuUsPerReq),
      num(l.otherCpuPct),
      c.server === 'ceiling' ? '-' : x(ratio(rate(c), rate(ceiling))),
      x(ratio(ceiling?.load?.serverCpuUsPerReq, l.serverCpuUsPerReq)),
    ]);
  }

  const ratios = [];
  const ratioRows = [];
  for (const n of opts.connections) {
    for (const s of Object.keys(STATELESS_SERVERS).filter((k) => k !== 'ceiling')) {
      const a = find(s, n);
      const ceiling = find('ceiling', n);
      if (a?.status === 'ok' && ceiling?.status === 'ok') {
        const r = { connections: n, a: s, b: 'ceiling', reqPerSec: ratio(rate(a), rate(ceiling)) };
        ratios.push({ ...r, rounds: roundRatiosOf(a, ceiling) });
      }
    }
    for (const p of PAIRS) {
      const a = find(p.a, n);
      const b = find(p.b, n);
      if (!a || !b) continue;
      const ok = a.status === 'ok' && b.status === 'ok';
      const entry = {
        connections: n,
        a: p.a,
        b: p.b,
        reqPerSec: ok ? ratio(rate(a), rate(b)) : undefined,
        serverCpuPerReq: ok ? ratio(b.load.serverCpuUsPerReq, a.load.serverCpuUsPerReq) : undefined,
        rounds: ok ? roundRatiosOf(a, b) : [],
        why: ok
          ? undefined
          : [a, b]
              .filter((c) => c.status !== 'ok')
              .map((c) => `${c.server} ${c.status}`)
              .join(', '),
      };
      ratios.push(entry);
      ratioRows.push([
        String(n),
        `${p.a} ÷ ${p.b}`,
        entry.why ? `n/a (${entry.why})` : x(entry.reqPerSec),
        entry.rounds.map((v) => `${v}x`).join(' / ') || '-',
        x(entry.serverCpuPerReq),
      ]);
    }
  }

  const targets = [];
  for (const n of opts.connections) {
    const check = (name, a, b, min) => {
      if (!a || !b) return;
      const v = a.status === 'ok' && b.status === 'ok' ? ratio(rate(a), rate(b)) : undefined;
      targets.push(
        v === undefined
          ? {
              target: name,
              measured: [a, b]
                .filter((c) => c.status !== 'ok')
                .map((c) => `${c.server} ${c.status}`)
                .join(', '),
              pass: null,
            }
          : { target: name, measured: `${v}x`, pass: v >= min },
      );
    };
    const ours = find('ours-stateless', n);
    check(`${n} conns: ours-stateless >= ${TARGETS.vsCeiling}x ceiling`, ours, find('ceiling', n), TARGETS.vsCeiling);
    check(`${n} conns: ours-stateless >= ${TARGETS.vsSdk1}x sdk2-1`, ours, find('sdk2-1', n), TARGETS.vsSdk1);
    check(
      `${n} conns: ours-stateless-50 >= ${TARGETS.vsSdk50}x sdk2-50`,
      find('ours-stateless-50', n),
      find('sdk2-50', n),
      TARGETS.vsSdk50,
    );
    check(
      `${n} conns: ours-stateless-auth >= ${TARGETS.authVsOpen}x ours-stateless`,
      find('ours-stateless-auth', n),
      ours,
      TARGETS.authVsOpen,
    );
  }

  const problems = [];
  /** @type {string[]} */
  const contended = [];
  for (const r of runs) {
    const tag = `stateless ${r.server} ${r.connections} conns round ${r.round}`;
    if (r.status === 'failed') problems.push(`${tag}: FAILED: ${r.reason}`);
    for (const d of r.discardedAttempts ?? []) {
      if (d.errorCount > 0)
        problems.push(`${tag} (a re-measured window): ${d.errorCount} errors: ${JSON.stringify(d.errors)}`);
    }
    if (r.status === 'ok' && r.load.ok === 0) problems.push(`${tag}: no correct response in the measured window`);
    if (r.status === 'ok' && r.load.errorCount > 0)
      problems.push(`${tag}: ${r.load.errorCount} errors: ${JSON.stringify(r.load.errors)}`);
    if (r.status === 'ok' && (r.load.otherCpuPct ?? 0) > CONTENDED_PCT)
      contended.push(`${tag} (${r.load.otherCpuPct} % of a core)`);
  }
  const warmupErrors = runs
    .filter((r) => r.warmup?.errors?.total > 0)
    .map((r) => `${r.server} ${r.connections} conns round ${r.round}: ${r.warmup.errors.total}`);

  const text = [
    '',
    'stateless Streamable HTTP: tools/call echo driven by wrk (req/s = correct responses / measured seconds; median round, every round in "rounds"; CPU 100 % = one core)',
    table(
      [
        'conns',
        'server',
        'req/s',
        'rounds',
        'p50 ms',
        'p99 ms',
        'errors',
        'srv CPU %',
        'srv µs/req',
        'wrk CPU %',
        'wrk µs/req',
        'other CPU %',
        'vs ceiling',
        'CPU/req vs ceiling',
      ],
      rows,
      2,
    ),
    ...opts.servers.map(
      (k) => `  ${k}: ${STATELESS_SERVERS[/** @type {keyof typeof STATELESS_SERVERS} */ (k)]?.what ?? k}`,
    ),
    ...notes,
    ...(warmupErrors.length ? [`errors during warm-up (not counted): ${warmupErrors.join(', ')}`] : []),
    '',
    'ratios (req/s of the median rounds; per round; server CPU per request, theirs ÷ ours)',
    table(['conns', 'pair', 'req/s', 'per round', 'CPU/req'], ratioRows, 2),
    '',
    'targets',
    table(
      ['target', 'measured', 'result'],
      targets.map((t) => [t.target, t.measured, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL']),
      2,
    ),
    '',
    contended.length
      ? `WARNING: other processes used CPU during: ${contended.join(', ')}; ratios involving them are unreliable`
      : 'no other load seen during the measured windows',
    problems.length ? `ERRORS in the stateless group:\n  ${problems.join('\n  ')}` : 'no errors',
  ].join('\n');
  return { text, summary: { cases, ratios, targets, problems, contended } };
}
