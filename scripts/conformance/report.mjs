// The runner's per-revision table and totals.

const COLUMNS = ['SUCCESS', 'FAILURE', 'WARNING', 'INFO', 'SKIPPED'];

/**
 * @param {{ revision: string, rows: object[], missing: string[], scoring: (s: string) => string | null,
 *   seconds: string, verbose: boolean }} r
 * @returns {{ lines: string[], tally: Record<string, number>, totals: Record<string, number> }}
 */
export function formatRevision({ revision, rows, missing, scoring, seconds, verbose }) {
  const names = [...rows.map((r) => r.scenario), ...missing];
  const width = Math.max(10, ...names.map((s) => s.length));
  const label = (s) => scoring(s) ?? 'not in set';
  const sw = Math.max(7, ...names.map((s) => label(s).length));
  const lines = ['', `${'Scenario'.padEnd(width)}  ${'scoring'.padEnd(sw)} result          pass fail warn info skip`];
  const totals = Object.fromEntries(COLUMNS.map((k) => [k, 0]));
  for (const r of rows) {
    for (const k of COLUMNS) totals[k] += r.count[k];
    const counts = COLUMNS.map((k) => String(r.count[k]).padStart(5)).join('');
    lines.push(`${r.scenario.padEnd(width)}  ${label(r.scenario).padEnd(sw)} ${r.verdict.padEnd(14)}${counts}`);
    // Expected failures are listed in the baseline with their reason; their checks only on --verbose.
    if (r.verdict === 'FAIL' || (verbose && r.verdict === 'expected-fail')) {
      for (const p of r.problems) lines.push(`    ${p}`);
    }
    for (const s of r.stale) lines.push(`    stale baseline entry ${s}: it passes now`);
  }
  for (const s of missing) lines.push(`${s.padEnd(width)}  ${label(s).padEnd(sw)} NO RESULTS`);
  const tally = {
    passed: rows.filter((r) => r.verdict.startsWith('pass')).length,
    expected: rows.filter((r) => r.verdict === 'expected-fail').length,
    failed: rows.filter((r) => r.verdict === 'FAIL').length,
    stale: rows.filter((r) => r.verdict === 'STALE').length,
    missing: missing.length,
  };
  lines.push(
    '',
    `${revision} scenarios: ${tally.passed} passed, ${tally.expected} expected failures, ${tally.failed} unexpected failures, ${tally.stale} stale baseline entries, ${tally.missing} without results (of ${rows.length + missing.length})`,
    `${revision} checks:    ${totals.SUCCESS} passed, ${totals.FAILURE} failed, ${totals.WARNING} warnings, ${totals.INFO} info, ${totals.SKIPPED} skipped`,
    `${revision} time:      ${seconds} s (fixture start included)`,
  );
  return { lines, tally, totals };
}
