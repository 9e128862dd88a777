// Table and number formatting shared by the bench reports (the stateless group here, and
// bench/cores): a Markdown table, thousands, milliseconds, ratios, the median round of a case,
// and per-round ratios between two cases.

/** @param {string[]} header @param {string[][]} rows @param {number} left columns left-aligned */
export function table(header, rows, left) {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r) =>
    `| ${r.map((c, i) => (i < left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i < left ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '-');
export const num = (n) => (n === undefined || n === null ? '-' : String(n));
export const ratio = (a, b) => (a && b ? Number((a / b).toPrecision(3)) : undefined);
export const x = (r) => (r === undefined ? '-' : `${r}x`);

/** The round with the median req/s of one case (its latencies and CPU come along), with every round's rate. */
export function median(list) {
  const ok = list.filter((r) => r.status === 'ok');
  if (ok.length === 0) return { ...list[0], rounds: list.length };
  const sorted = [...ok].sort((p, q) => p.load.reqPerSec - q.load.reqPerSec);
  const pick = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...pick,
    roundsReqPerSec: ok.map((r) => r.load.reqPerSec),
    failedRounds: list.length - ok.length,
    notOk: list.filter((r) => r.status !== 'ok').map((r) => `round ${r.round}: ${r.status} (${r.reason})`),
  };
}

/**
 * The rounds of each case (runs with the same `key(run)`), and each case's median round.
 * @param {any[]} runs @param {(r: any) => string} key
 */
export function byCase(runs, key) {
  /** @type {Map<string, any[]>} */
  const groups = new Map();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return { groups, medians: [...groups.values()].map(median) };
}

/**
 * a ÷ b req/s, round by round, for the rounds where both cases ran; `key` as in {@link byCase}.
 * @param {any[]} runs @param {(r: any) => string} key @param {any} a @param {any} b
 */
export function roundRatios(runs, key, a, b) {
  return runs
    .filter((r) => key(r) === key(a) && r.status === 'ok')
    .map((ra) => {
      const rb = runs.find((r) => key(r) === key(b) && r.round === ra.round);
      return rb?.status === 'ok' ? ratio(ra.load.reqPerSec, rb.load.reqPerSec) : undefined;
    })
    .filter((v) => v !== undefined);
}
