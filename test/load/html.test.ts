import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/load/html.js';
import { type LoadReport, REPORT_SCHEMA, type TimelinePoint, validateReport } from '../../src/load/report.js';
import { escapeHtml, renderBarChart, renderLineChart } from '../../src/load/svg-chart.js';

const EVIL = `<script>alert("x")</script>'`;
const EVIL_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;';

/** One timeline window; latency null means no ok answer in it. */
function point(t: number, latency: [number, number, number] | null, memory: number | null): TimelinePoint {
  return {
    t,
    sessions: 10 * t,
    sentPerSec: 100 * t,
    okPerSec: latency ? 90 * t : 0,
    errorsPerSec: latency ? 10 * t : 100 * t,
    p50Ms: latency ? latency[0] : null,
    p95Ms: latency ? latency[1] : null,
    p99Ms: latency ? latency[2] : null,
    serverMemoryMb: memory,
    serverEventLoopP99Ms: memory === null ? null : memory / 100,
  };
}

/** A valid report whose free-text fields all carry markup and quotes. */
function report(): LoadReport {
  return {
    schema: REPORT_SCHEMA,
    scenario: 'steps',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationSec: 4,
    command: `erlmcp load --scenario steps --label ${EVIL}`,
    machine: { cpus: 2, cpuModel: EVIL, memoryGb: 8, node: 'v20.17.0', platform: 'linux', fdLimit: null },
    target: { url: `ws://127.0.0.1:1/${EVIL}`, transport: 'ws', startedByHarness: false, sourceAddresses: [] },
    params: { [EVIL]: EVIL },
    summary: {
      sessions: { attempted: 40, established: 40, refused: 0, failed: 0, peak: 40 },
      requests: {
        sent: 1000,
        ok: 900,
        errors: { rate_limited: 100, overloaded: 0, circuit_open: 0, timeout: 0, transport: 0, protocol: 0 },
        lost: 0,
        duplicated: 0,
      },
      throughput: { offeredPerSec: 250, achievedPerSec: 225 },
      latencyMs: { p50: 1, p95: 2, p99: 3, p999: 4, max: 5, mean: 1.1, count: 900 },
      rejectLatencyMs: { p50: 0.1, p95: 0.2, p99: 0.3, p999: 0.4, max: 0.5, mean: 0.15, count: 100 },
      server: {
        memoryMb: { start: 50, peak: 70, end: 60 },
        memoryPerSessionKb: 512,
        eventLoopDelayP99Ms: { max: 0.7 },
        gcPauseMs: { max: 1, total: 3 },
      },
    },
    steps: [
      {
        label: EVIL,
        sessions: 20,
        offeredPerSec: 200,
        achievedPerSec: 190,
        latencyMs: { p50: 1, p95: 2, p99: 3, p999: 4, max: 5 },
        errors: 0,
        serverMemoryMb: 60,
        passed: true,
      },
      {
        label: '40',
        sessions: 40,
        offeredPerSec: 400,
        achievedPerSec: 300,
        latencyMs: { p50: 10, p95: 60, p99: 70, p999: 80, max: 90 },
        errors: 100,
        serverMemoryMb: null,
        passed: false,
      },
    ],
    timeline: [
      point(1, [1, 2, 3], 55),
      point(2, null, null),
      point(3, [1.5, 2.5, 3.5], 70),
      point(4, [1.2, 2.2, 2.9], 60),
    ],
    findings: { [EVIL]: EVIL, best: 1234.5 },
    warnings: [EVIL],
  };
}

interface Chart {
  title: string;
  svg: string;
  series: Array<{ name: string; points: number; moves: number; coordinates: number }>;
}

/** The charts of a page: their titles and, per line series, its declared and drawn points. */
function charts(html: string): Chart[] {
  return (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).map((svg) => ({
    title: /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? '',
    svg,
    series: [...svg.matchAll(/<path class="series" data-series="([^"]*)" data-points="(\d+)" d="([^"]*)"/g)].map(
      (m) => ({
        name: m[1] as string,
        points: Number(m[2]),
        moves: (m[3]?.match(/M/g) ?? []).length,
        coordinates: (m[3]?.match(/[ML]-?[\d.]+ -?[\d.]+/g) ?? []).length,
      }),
    ),
  }));
}

describe('renderHtmlReport', () => {
  it('is a complete document with the summary, machine, findings and a visible warnings box', () => {
    const r = report();
    expect(validateReport(r)).toEqual([]);
    const html = renderHtmlReport(r);
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<title>erlmcp load: steps, 2026-11-23T10:00:00.000Z</title>');
    expect(html).toContain('<h1>erlmcp load: steps</h1>');
    expect(html).toContain(`<pre><code>erlmcp load --scenario steps --label ${EVIL_ESCAPED}</code></pre>`);
    expect(html).toContain('<tr><th>rate_limited</th><td class="num bad">100</td><td class="num">10.00%</td></tr>');
    expect(html).toContain('<tr><th>fd limit</th><td>unknown</td></tr>');
    expect(html).toContain('<tr><th>memory per session</th><td>512.00 KB</td></tr>');
    expect(html).toContain(`<tr><th>best</th><td>1,234.50</td></tr>`);
    expect(html).toMatch(/<div class="warnings" role="alert"><h2>Warnings<\/h2><ul><li>[^<]*<\/li><\/ul><\/div>/);
    expect(html).toContain(`<li>${EVIL_ESCAPED}</li>`);
  });

  it('draws one chart per measure with one line per series and one point per timeline window', () => {
    const r = report();
    const found = charts(renderHtmlReport(r));
    expect(found.map((c) => c.title)).toEqual([
      'Latency of ok answers',
      'Throughput',
      'Open sessions',
      'Server memory (RSS)',
      'Server event-loop delay p99',
      'Rate per step',
    ]);
    const [latency, throughput, sessions, memory] = found as [Chart, Chart, Chart, Chart];
    // Window 2 had no ok answer: each latency line has 3 points in 2 pieces.
    expect(latency.series).toEqual(
      ['p50', 'p95', 'p99'].map((name) => ({ name, points: 3, moves: 2, coordinates: 3 })),
    );
    expect(throughput.series).toEqual(
      ['sent/s', 'ok/s', 'errors/s'].map((name) => ({ name, points: 4, moves: 1, coordinates: 4 })),
    );
    expect(sessions.series).toEqual([{ name: 'sessions', points: 4, moves: 1, coordinates: 4 }]);
    expect(memory.series).toEqual([{ name: 'RSS MB', points: 3, moves: 2, coordinates: 3 }]);
    for (const c of found) {
      expect(c.svg).toMatch(/<g class="x-axis">|<rect class="bar"/);
      expect(c.svg).toContain('<g class="y-axis">');
      expect(c.svg).toContain('<g class="legend">');
    }
    // The bar chart: offered and achieved for each of the 2 steps.
    expect(found[5]?.svg.match(/<rect class="bar"/g)).toHaveLength(4);
  });

  it('escapes every report string and keeps the markup free of scripts and external references', () => {
    const html = renderHtmlReport(report());
    expect(html).not.toContain('<script');
    expect(html).not.toContain(`alert("x")`);
    expect(html).not.toContain(`</script>'`);
    expect(html.split(EVIL_ESCAPED).length - 1).toBeGreaterThanOrEqual(9);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b|@import|url\(/i);
  });

  it('has a steps table and rate chart only when the report has steps', () => {
    const withSteps = renderHtmlReport(report());
    expect(withSteps).toContain('<h2>Steps</h2>');
    expect(withSteps.match(/<tr class="passed">/g)).toHaveLength(1);
    expect(withSteps.match(/<tr class="failed">/g)).toHaveLength(1);
    expect(withSteps).toContain(`<tr class="passed"><th>${EVIL_ESCAPED}</th><td class="num">20</td>`);
    expect(withSteps).toContain('<td class="result">failed</td></tr>');

    const r = report();
    r.steps = [];
    const without = renderHtmlReport(r);
    expect(without).not.toContain('<h2>Steps</h2>');
    expect(without).not.toContain('class="steps"');
    expect(charts(without).map((c) => c.title)).not.toContain('Rate per step');
  });

  it('writes no NaN or Infinity when windows, server figures or all latencies are null', () => {
    const r = report();
    r.summary.server = null;
    r.summary.rejectLatencyMs = null;
    r.timeline = [point(1, null, null), point(2, null, null)];
    const html = renderHtmlReport(r);
    expect(html).not.toMatch(/NaN|Infinity/);
    const found = charts(html);
    expect(found.map((c) => c.title)).toEqual([
      'Latency of ok answers',
      'Throughput',
      'Open sessions',
      'Rate per step',
    ]);
    expect(found[0]?.series.map((s) => s.points)).toEqual([0, 0, 0]);
    expect(found[0]?.svg).toContain('>no data</text>');
    expect(html).toContain('The server was not observed');
    expect(html).toContain('no error answers');
  });

  it('uses a log latency axis when latencies span decades, leaving zero values as gaps', () => {
    const r = report();
    r.timeline = [point(1, [0, 0.5, 1], 50), point(2, [0.05, 90, 400], 50), point(3, [0.1, 1, 2], 50)];
    const html = renderHtmlReport(r);
    expect(html).not.toMatch(/NaN|Infinity/);
    const latency = charts(html)[0] as Chart;
    expect(latency.series.map((s) => s.points)).toEqual([2, 3, 3]);
    // Decade ticks 0.01 .. 1000 (the data spans 0.05 .. 400).
    for (const tick of ['0.01', '0.1', '1', '10', '100', '1000']) expect(latency.svg).toContain(`>${tick}</text>`);
  });

  it('shows an empty timeline as a note, not as charts', () => {
    const r = report();
    r.timeline = [];
    r.steps = [];
    const html = renderHtmlReport(r);
    expect(charts(html)).toEqual([]);
    expect(html).toContain('The run recorded no timeline.');
  });
});

describe('svg-chart', () => {
  it('escapes series names and titles in attribute and text context', () => {
    expect(escapeHtml(`a&b<c>"d"'e'`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;');
    const svg = renderLineChart({
      title: `t"<x>`,
      x: [0, 1],
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: `n"><script>`, values: [1, 2] }],
    });
    expect(svg).toContain('aria-label="t&quot;&lt;x&gt;"');
    expect(svg).toContain('data-series="n&quot;&gt;&lt;script&gt;"');
    expect(svg).not.toContain('<script');
  });

  it('draws a lone point between gaps as a zero-length piece and scales y from 0 to a round maximum', () => {
    const svg = renderLineChart({
      title: 't',
      x: [0, 1, 2, 3, 4],
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 'a', values: [1, null, 37, null, 5] }],
    });
    expect(svg).toMatch(/data-points="3" d="M[^ML]+M[^ML]+M[^ML]+"/);
    expect(svg).toContain('stroke-linecap="round"');
    for (const tick of ['0', '10', '20', '30', '40']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).not.toContain('>50</text>');
  });

  it('draws bars only for non-null values', () => {
    const svg = renderBarChart({
      title: 'b',
      categories: ['a', 'b', 'c'],
      yLabel: 'y',
      series: [{ name: 's', values: [1, null, 3] }],
    });
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
