/**
 * The text `erlmcp load` prints at the end of a run: a summary block, outcome and latency
 * tables, the per-step table, findings and warnings. Numbers are right-aligned with thousands
 * separators; colour (ANSI) only when asked, so piped output and logs stay plain.
 */
import { ERROR_KINDS, type LatencySummaryMs, type LoadReport, type StepLatencyMs } from './report.js';

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** ANSI colours (bold headings, green PASS, red FAIL, yellow warnings). Default false. */
  color?: boolean;
}

/** A column of {@link formatColumns}. */
export interface TableColumn {
  /** Heading text. */
  head: string;
  /** Numbers right, text left. */
  align: 'left' | 'right';
}

const ANSI = { bold: '\x1b[1m', green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[0m' };

/** The end-of-run text of `report`, lines joined with `\n` and a final newline. */
export function renderTable(report: LoadReport, options: TableOptions = {}): string {
  const paint = painter(options.color ?? false);
  const s = report.summary;
  const out: string[] = [];
  out.push(
    paint.bold(`erlmcp load: ${plain(report.scenario)}`) +
      ` (${plain(report.startedAt)}, ${formatFixed(report.durationSec, 1)} s)`,
  );
  out.push(
    ...keyValues([
      ['command', plain(report.command)],
      ['target', targetLine(report)],
      ['machine', machineLine(report)],
      [
        'sessions',
        `${formatInt(s.sessions.attempted)} attempted, ${formatInt(s.sessions.established)} established, ` +
          `${formatInt(s.sessions.refused)} refused, ${formatInt(s.sessions.failed)} failed, peak ${formatInt(s.sessions.peak)}`,
      ],
      [
        'throughput',
        `${formatFixed(s.throughput.offeredPerSec, 1)}/s offered, ${formatFixed(s.throughput.achievedPerSec, 1)}/s achieved`,
      ],
      ['server', serverLine(report)],
    ]),
  );
  out.push('', ...outcomeTable(report, paint), '', ...latencyTable(report, paint));
  if (report.steps.length > 0) out.push('', ...stepsTable(report, paint));
  const findings = Object.entries(report.findings);
  if (findings.length > 0) {
    out.push(
      '',
      paint.bold('findings'),
      ...keyValues(
        findings.map(([k, v]) => [plain(k), formatValue(v)]),
        '  ',
      ),
    );
  }
  if (report.warnings.length > 0) {
    out.push('', paint.bold('warnings'), ...report.warnings.map((w) => paint.yellow(`  ! ${plain(w)}`)));
  }
  return `${out.join('\n')}\n`;
}

/**
 * Rows laid out in columns separated by two spaces, with a heading row and a rule under it.
 * Widths count characters of the uncoloured text; `paintCell` colours a cell's text, the
 * padding stays outside the colour so trailing blanks can still be trimmed.
 */
export function formatColumns(
  columns: readonly TableColumn[],
  rows: readonly string[][],
  paintCell: (text: string, column: number, row: number) => string = (t) => t,
): string[] {
  const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number, paint: (t: string) => string) => {
    const fill = ' '.repeat((widths[i] as number) - text.length);
    return columns[i]?.align === 'right' ? fill + paint(text) : paint(text) + fill;
  };
  const line = (cells: string[]) => cells.join('  ').trimEnd();
  return [
    line(columns.map((c, i) => cell(c.head, i, (t) => t))),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r, row) => line(columns.map((_, i) => cell(r[i] ?? '', i, (t) => paintCell(t, i, row))))),
  ];
}

/** `n` rounded to an integer with `,` between thousands: 1234567.8 -> `1,234,568`. */
export function formatInt(n: number): string {
  return formatFixed(n, 0);
}

/** `n` with `digits` decimals and `,` between thousands: (1234.5, 2) -> `1,234.50`. */
export function formatFixed(n: number, digits: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [whole = '', fraction] = Math.abs(n).toFixed(digits).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // -0.00 reads as a sign error; print zero unsigned.
  const sign = n < 0 && Number(Math.abs(n).toFixed(digits)) !== 0 ? '-' : '';
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A finding or parameter value: numbers grouped (2 decimals unless whole), null as `-`. */
export function formatValue(v: number | string | boolean | null): string {
  if (v === null) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? formatInt(v) : formatFixed(v, 2);
  return plain(String(v));
}

/** `count` as a share of `total`, e.g. `99.95%`; `<0.01%` / `>99.99%` rather than rounding to none / all; `-` when total is 0. */
export function formatShare(count: number, total: number): string {
  if (total <= 0) return '-';
  const pct = (count / total) * 100;
  // A few lost requests among millions must not read as none.
  if (count > 0 && pct < 0.005) return '<0.01%';
  if (count < total && pct >= 99.995) return '>99.99%';
  return `${formatFixed(pct, 2)}%`;
}

/** Control characters (escape sequences included) from a report shown as U+FFFD, so a report cannot drive the terminal. */
function plain(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

function keyValues(pairs: Array<[string, string]>, indent = ''): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`);
}

function targetLine(r: LoadReport): string {
  const t = r.target;
  const who = t.startedByHarness ? 'started by the harness' : 'external';
  const addrs = t.sourceAddresses.length;
  const from = addrs > 0 ? `, from ${formatInt(addrs)} source address${addrs === 1 ? '' : 'es'}` : '';
  return `${plain(t.url)} (${t.transport}, ${who}${from})`;
}

function machineLine(r: LoadReport): string {
  const m = r.machine;
  const fd = m.fdLimit === null ? 'unknown' : formatInt(m.fdLimit);
  return (
    `${formatInt(m.cpus)} cpus (${plain(m.cpuModel)}), ${formatFixed(m.memoryGb, 1)} GB, node ${plain(m.node)}, ` +
    `${plain(m.platform)}, fd limit ${fd}`
  );
}

function serverLine(r: LoadReport): string {
  const srv = r.summary.server;
  if (srv === null) return 'not observed';
  const perSession = srv.memoryPerSessionKb === null ? '' : `, ${formatFixed(srv.memoryPerSessionKb, 1)} KB/session`;
  return (
    `memory ${formatFixed(srv.memoryMb.start, 1)} -> peak ${formatFixed(srv.memoryMb.peak, 1)} -> ` +
    `${formatFixed(srv.memoryMb.end, 1)} MB${perSession}; event-loop p99 max ` +
    `${formatFixed(srv.eventLoopDelayP99Ms.max, 2)} ms; GC pause max ${formatFixed(srv.gcPauseMs.max, 2)} ms, ` +
    `total ${formatFixed(srv.gcPauseMs.total, 2)} ms`
  );
}

function outcomeTable(r: LoadReport, paint: Painter): string[] {
  const q = r.summary.requests;
  const rows: Array<[string, number]> = [
    ['ok', q.ok],
    ...ERROR_KINDS.map((k): [string, number] => [k, q.errors[k]]),
    ['lost', q.lost],
    ['sent', q.sent],
  ];
  const cells = rows.map(([name, n]) => [name, formatInt(n), formatShare(n, q.sent)]);
  // Duplicates are answers beyond the sent requests, so a share of `sent` would mislead.
  cells.push(['duplicated', formatInt(q.duplicated), '']);
  return formatColumns(
    [
      { head: 'requests', align: 'left' },
      { head: 'count', align: 'right' },
      { head: 'share', align: 'right' },
    ],
    cells,
    (text, col, row) => {
      const name = cells[row]?.[0];
      const bad = name !== 'ok' && name !== 'sent' && (rows[row]?.[1] ?? q.duplicated) > 0;
      return col === 0 ? paint.bold(text) : bad ? paint.red(text) : text;
    },
  );
}

const PERCENTILE_COLUMNS: TableColumn[] = [
  { head: 'p50', align: 'right' },
  { head: 'p95', align: 'right' },
  { head: 'p99', align: 'right' },
  { head: 'p99.9', align: 'right' },
  { head: 'max', align: 'right' },
];

function percentileCells(l: StepLatencyMs): string[] {
  return [l.p50, l.p95, l.p99, l.p999, l.max].map((v) => formatFixed(v, 2));
}

function latencyTable(r: LoadReport, paint: Painter): string[] {
  const row = (name: string, l: LatencySummaryMs) => [
    name,
    formatInt(l.count),
    ...percentileCells(l),
    formatFixed(l.mean, 2),
  ];
  const rows = [row('ok', r.summary.latencyMs)];
  if (r.summary.rejectLatencyMs !== null) rows.push(row('rejected', r.summary.rejectLatencyMs));
  return formatColumns(
    [
      { head: 'latency ms', align: 'left' },
      { head: 'count', align: 'right' },
      ...PERCENTILE_COLUMNS,
      { head: 'mean', align: 'right' },
    ],
    rows,
    (text, col) => (col === 0 ? paint.bold(text) : text),
  );
}

function stepsTable(r: LoadReport, paint: Painter): string[] {
  const rows = r.steps.map((s) => [
    plain(s.label),
    formatInt(s.sessions),
    formatFixed(s.offeredPerSec, 1),
    formatFixed(s.achievedPerSec, 1),
    ...percentileCells(s.latencyMs),
    formatInt(s.errors),
    s.serverMemoryMb === null ? '-' : formatFixed(s.serverMemoryMb, 1),
    s.passed ? 'PASS' : 'FAIL',
  ]);
  const result = rows[0] ? rows[0].length - 1 : 0;
  return formatColumns(
    [
      { head: 'step', align: 'left' },
      { head: 'sessions', align: 'right' },
      { head: 'offered/s', align: 'right' },
      { head: 'achieved/s', align: 'right' },
      ...PERCENTILE_COLUMNS.map((c) => ({ ...c, head: `${c.head} ms` })),
      { head: 'errors', align: 'right' },
      { head: 'server MB', align: 'right' },
      { head: 'result', align: 'left' },
    ],
    rows,
    (text, col, row) => {
      if (col !== result) return col === 0 ? paint.bold(text) : text;
      return r.steps[row]?.passed ? paint.green(text) : paint.red(text);
    },
  );
}

interface Painter {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

function painter(color: boolean): Painter {
  // Blank cells stay unpainted so trailing padding can still be trimmed.
  const wrap = (code: string) => (s: string) => (color && s.trim() !== '' ? `${code}${s}${ANSI.reset}` : s);
  return { bold: wrap(ANSI.bold), green: wrap(ANSI.green), red: wrap(ANSI.red), yellow: wrap(ANSI.yellow) };
}
