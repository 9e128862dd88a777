/**
 * The HTML report of one `erlmcp load` run (`--html FILE`): one self-contained file with no
 * script and no external style, font or image, so it opens offline and is safe to attach to
 * an issue. Every string taken from the report is escaped; charts are inline SVG.
 */
import type { LatencySummaryMs, LoadReport, TimelinePoint } from './report.js';
import { ERROR_KINDS } from './report.js';
import { escapeHtml, renderBarChart, renderLineChart } from './svg-chart.js';
import { formatFixed, formatInt, formatShare, formatValue } from './table.js';

// Above this spread between the lowest p50 and the highest p99 a linear axis flattens the
// ordinary latencies into the floor, so the latency chart switches to log10.
const LOG_LATENCY_SPREAD = 100;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; margin: 0; background: #fafafa; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #555; margin: 0 0 16px; }
pre { background: #f0f0f0; padding: 8px 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: 4px 0 12px; background: #fff; }
th, td { border: 1px solid #ddd; padding: 3px 10px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 0 24px; }
.warnings { border: 2px solid #d08700; background: #fff6e0; border-radius: 4px; padding: 8px 14px; margin: 16px 0; }
.warnings h2 { border: 0; margin: 0 0 4px; }
.warnings ul { margin: 0; padding-left: 20px; }
tr.passed td.result { background: #dff3e4; color: #11602a; font-weight: 600; }
tr.failed td { background: #fde7e7; }
tr.failed td.result { color: #a11414; font-weight: 600; }
.bad { color: #a11414; font-weight: 600; }
.chart { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #e4e4e4; margin: 8px 0 16px; }
.note { color: #666; }
footer { color: #777; margin-top: 32px; font-size: 12px; }
`;

/** The complete HTML document for `report`. */
export function renderHtmlReport(report: LoadReport): string {
  const title = `erlmcp load: ${report.scenario}, ${report.startedAt}`;
  const body = [
    `<h1>erlmcp load: ${escapeHtml(report.scenario)}</h1>`,
    `<p class="meta">Started ${escapeHtml(report.startedAt)} · ${formatFixed(report.durationSec, 1)} s · ` +
      `${escapeHtml(report.target.transport)} · ${escapeHtml(report.schema)}</p>`,
    warningsBox(report.warnings),
    `<h2>Command</h2><pre><code>${escapeHtml(report.command)}</code></pre>`,
    machineSection(report),
    summarySection(report),
    chartsSection(report),
    stepsSection(report),
    findingsSection(report),
    `<footer>Report schema ${escapeHtml(report.schema)}, written by <code>erlmcp load</code>.</footer>`,
  ];
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n` +
    `${body.filter((part) => part !== '').join('\n')}\n</main>\n</body>\n</html>\n`
  );
}

/** A table cell; numbers right-aligned. The caller passes already-escaped markup. */
function td(html: string, numeric = false, cls = ''): string {
  const classes = [numeric ? 'num' : '', cls].filter(Boolean).join(' ');
  return classes ? `<td class="${classes}">${html}</td>` : `<td>${html}</td>`;
}

function th(text: string, numeric = false): string {
  return numeric ? `<th class="num">${escapeHtml(text)}</th>` : `<th>${escapeHtml(text)}</th>`;
}

/** A two-column table of label -> value; values are escaped here. */
function keyValueTable(rows: Array<[string, string]>): string {
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th>${td(escapeHtml(v))}</tr>`).join('');
  return `<table>${body}</table>`;
}

function warningsBox(warnings: string[]): string {
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  return `<div class="warnings" role="alert"><h2>Warnings</h2><ul>${items}</ul></div>`;
}

function machineSection(r: LoadReport): string {
  const m = r.machine;
  const t = r.target;
  const machine = keyValueTable([
    ['CPUs', formatInt(m.cpus)],
    ['CPU model', m.cpuModel],
    ['memory', `${formatFixed(m.memoryGb, 1)} GB`],
    ['Node.js', m.node],
    ['platform', m.platform],
    ['fd limit', m.fdLimit === null ? 'unknown' : formatInt(m.fdLimit)],
  ]);
  const target = keyValueTable([
    ['URL', t.url],
    ['transport', t.transport],
    ['server', t.startedByHarness ? 'started by the harness' : 'external'],
    ['source addresses', t.sourceAddresses.length > 0 ? t.sourceAddresses.join(', ') : 'default'],
  ]);
  const params = Object.entries(r.params);
  const paramsTable =
    params.length > 0
      ? `<div><h3>Parameters</h3>${keyValueTable(params.map(([k, v]) => [k, formatValue(v)]))}</div>`
      : '';
  return (
    `<h2>Machine, target and parameters</h2><div class="grid"><div><h3>Machine</h3>${machine}</div>` +
    `<div><h3>Target</h3>${target}</div>${paramsTable}</div>`
  );
}

function summarySection(r: LoadReport): string {
  const s = r.summary;
  const sessions = keyValueTable([
    ['attempted', formatInt(s.sessions.attempted)],
    ['established', formatInt(s.sessions.established)],
    ['refused', formatInt(s.sessions.refused)],
    ['failed', formatInt(s.sessions.failed)],
    ['peak open', formatInt(s.sessions.peak)],
  ]);
  const throughput = keyValueTable([
    ['offered', `${formatFixed(s.throughput.offeredPerSec, 1)} req/s`],
    ['achieved (ok)', `${formatFixed(s.throughput.achievedPerSec, 1)} req/s`],
  ]);
  return (
    `<h2>Summary</h2><div class="grid"><div><h3>Sessions</h3>${sessions}</div>` +
    `<div><h3>Requests by outcome</h3>${outcomeTable(r)}</div>` +
    `<div><h3>Throughput</h3>${throughput}</div></div>` +
    `<h3>Latency (ms)</h3>${latencyTable(s.latencyMs, s.rejectLatencyMs)}` +
    `<h3>Server</h3>${serverTable(r)}`
  );
}

function outcomeTable(r: LoadReport): string {
  const q = r.summary.requests;
  const row = (name: string, n: number, share: string, alarm: boolean) =>
    `<tr><th>${escapeHtml(name)}</th>${td(formatInt(n), true, alarm && n > 0 ? 'bad' : '')}${td(share, true)}</tr>`;
  const rows = [
    row('ok', q.ok, formatShare(q.ok, q.sent), false),
    ...ERROR_KINDS.map((k) => row(k, q.errors[k], formatShare(q.errors[k], q.sent), true)),
    row('lost', q.lost, formatShare(q.lost, q.sent), true),
    row('sent', q.sent, formatShare(q.sent, q.sent), false),
    // Not a share of `sent`: duplicates are answers beyond the requests sent.
    row('duplicated', q.duplicated, '', true),
  ];
  return `<table><tr>${th('outcome')}${th('requests', true)}${th('of sent', true)}</tr>${rows.join('')}</table>`;
}

function latencyTable(ok: LatencySummaryMs, rejected: LatencySummaryMs | null): string {
  const heads = ['answers', 'count', 'p50', 'p95', 'p99', 'p99.9', 'max', 'mean'];
  const row = (name: string, l: LatencySummaryMs) =>
    `<tr><th>${name}</th>${td(formatInt(l.count), true)}${[l.p50, l.p95, l.p99, l.p999, l.max, l.mean]
      .map((v) => td(formatFixed(v, 2), true))
      .join('')}</tr>`;
  const rejectedRow =
    rejected === null
      ? `<tr><th>rejected</th><td colspan="7" class="note">no error answers</td></tr>`
      : row('rejected', rejected);
  return `<table><tr>${heads.map((h, i) => th(h, i > 0)).join('')}</tr>${row('ok', ok)}${rejectedRow}</table>`;
}

function serverTable(r: LoadReport): string {
  const srv = r.summary.server;
  if (srv === null)
    return '<p class="note">The server was not observed (external target): no memory, GC or event-loop figures.</p>';
  return keyValueTable([
    ['memory start', `${formatFixed(srv.memoryMb.start, 1)} MB`],
    ['memory peak', `${formatFixed(srv.memoryMb.peak, 1)} MB`],
    ['memory end', `${formatFixed(srv.memoryMb.end, 1)} MB`],
    ['memory per session', srv.memoryPerSessionKb === null ? '-' : `${formatFixed(srv.memoryPerSessionKb, 2)} KB`],
    ['event-loop delay p99, max', `${formatFixed(srv.eventLoopDelayP99Ms.max, 2)} ms`],
    ['GC pause, longest', `${formatFixed(srv.gcPauseMs.max, 2)} ms`],
    ['GC pause, total', `${formatFixed(srv.gcPauseMs.total, 2)} ms`],
  ]);
}

function chartsSection(r: LoadReport): string {
  const tl = r.timeline;
  if (tl.length === 0) return '<h2>Over time</h2><p class="note">The run recorded no timeline.</p>';
  const x = tl.map((p) => p.t);
  const pick = (f: (p: TimelinePoint) => number | null) => tl.map(f);
  const charts = [
    renderLineChart({
      title: 'Latency of ok answers',
      x,
      xLabel: 'time (s)',
      yLabel: 'latency (ms)',
      logY: wantsLogLatency(tl),
      series: [
        { name: 'p50', values: pick((p) => p.p50Ms) },
        { name: 'p95', values: pick((p) => p.p95Ms) },
        { name: 'p99', values: pick((p) => p.p99Ms) },
      ],
    }),
    renderLineChart({
      title: 'Throughput',
      x,
      xLabel: 'time (s)',
      yLabel: 'requests/s',
      series: [
        { name: 'sent/s', values: pick((p) => p.sentPerSec) },
        { name: 'ok/s', values: pick((p) => p.okPerSec) },
        { name: 'errors/s', values: pick((p) => p.errorsPerSec), color: '#d55e00' },
      ],
    }),
    renderLineChart({
      title: 'Open sessions',
      x,
      xLabel: 'time (s)',
      yLabel: 'sessions',
      series: [{ name: 'sessions', values: pick((p) => p.sessions) }],
    }),
  ];
  if (tl.some((p) => p.serverMemoryMb !== null)) {
    charts.push(
      renderLineChart({
        title: 'Server memory (RSS)',
        x,
        xLabel: 'time (s)',
        yLabel: 'MB',
        series: [{ name: 'RSS MB', values: pick((p) => p.serverMemoryMb) }],
      }),
    );
  }
  if (tl.some((p) => p.serverEventLoopP99Ms !== null)) {
    charts.push(
      renderLineChart({
        title: 'Server event-loop delay p99',
        x,
        xLabel: 'time (s)',
        yLabel: 'ms',
        series: [{ name: 'event-loop p99', values: pick((p) => p.serverEventLoopP99Ms) }],
      }),
    );
  }
  return `<h2>Over time</h2>\n${charts.join('\n')}`;
}

function wantsLogLatency(tl: TimelinePoint[]): boolean {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const p of tl) {
    if (p.p50Ms !== null && p.p50Ms > 0 && p.p50Ms < lo) lo = p.p50Ms;
    if (p.p99Ms !== null && p.p99Ms > hi) hi = p.p99Ms;
  }
  return hi / lo > LOG_LATENCY_SPREAD;
}

function stepsSection(r: LoadReport): string {
  if (r.steps.length === 0) return '';
  const heads = [
    'step',
    'sessions',
    'offered/s',
    'achieved/s',
    'p50',
    'p95',
    'p99',
    'p99.9',
    'max',
    'errors',
    'server MB',
  ];
  const rows = r.steps.map((s) => {
    const l = s.latencyMs;
    const cells = [
      `<th>${escapeHtml(s.label)}</th>`,
      td(formatInt(s.sessions), true),
      td(formatFixed(s.offeredPerSec, 1), true),
      td(formatFixed(s.achievedPerSec, 1), true),
      ...[l.p50, l.p95, l.p99, l.p999, l.max].map((v) => td(formatFixed(v, 2), true)),
      td(formatInt(s.errors), true, s.errors > 0 ? 'bad' : ''),
      td(s.serverMemoryMb === null ? '-' : formatFixed(s.serverMemoryMb, 1), true),
      td(s.passed ? 'passed' : 'failed', false, 'result'),
    ];
    return `<tr class="${s.passed ? 'passed' : 'failed'}">${cells.join('')}</tr>`;
  });
  const table =
    `<table class="steps"><tr>${heads.map((h, i) => th(h, i > 0)).join('')}${th('result')}</tr>` +
    `${rows.join('')}</table><p class="note">Latencies in ms, ok answers of the step.</p>`;
  const chart = renderBarChart({
    title: 'Rate per step',
    categories: r.steps.map((s) => s.label),
    yLabel: 'requests/s',
    series: [
      { name: 'offered/s', values: r.steps.map((s) => s.offeredPerSec), color: '#b8c7d6' },
      { name: 'achieved/s', values: r.steps.map((s) => s.achievedPerSec), color: '#0072b2' },
    ],
  });
  return `<h2>Steps</h2>\n${table}\n${chart}`;
}

function findingsSection(r: LoadReport): string {
  const entries = Object.entries(r.findings);
  if (entries.length === 0) return '';
  return `<h2>Findings</h2>${keyValueTable(entries.map(([k, v]) => [k, formatValue(v)]))}`;
}
