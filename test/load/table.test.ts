import { describe, expect, it } from 'vitest';
import { type LoadReport, REPORT_SCHEMA, validateReport } from '../../src/load/report.js';
import { formatColumns, formatFixed, formatInt, formatShare, renderTable } from '../../src/load/table.js';

function report(): LoadReport {
  const step = (label: string, sessions: number, achieved: number, p95: number, errors: number, passed: boolean) => ({
    label,
    sessions,
    offeredPerSec: sessions * 33,
    achievedPerSec: achieved,
    latencyMs: { p50: 1.5, p95, p99: p95 + 1, p999: p95 + 2, max: 1234.5 },
    errors,
    serverMemoryMb: passed ? 250.25 : null,
    passed,
  });
  return {
    schema: REPORT_SCHEMA,
    scenario: 'steps',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationSec: 61.25,
    command: 'erlmcp load --scenario steps',
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGb: 7.75, node: 'v20.17.0', platform: 'linux', fdLimit: 65_536 },
    target: { url: 'ws://127.0.0.1:9999/mcp', transport: 'ws', startedByHarness: true, sourceAddresses: ['127.0.0.2'] },
    params: { rate: 33 },
    summary: {
      sessions: { attempted: 16_000, established: 15_990, refused: 7, failed: 3, peak: 15_000 },
      requests: {
        sent: 2_000_000,
        ok: 1_989_000,
        errors: { rate_limited: 10_000, overloaded: 0, circuit_open: 0, timeout: 990, transport: 0, protocol: 0 },
        lost: 10,
        duplicated: 2,
      },
      throughput: { offeredPerSec: 33_000, achievedPerSec: 32_456.78 },
      latencyMs: { p50: 1.234, p95: 12.5, p99: 48, p999: 120, max: 1234.5, mean: 3.25, count: 1_989_000 },
      rejectLatencyMs: null,
      server: null,
    },
    steps: [step('1k', 1000, 32_999.9, 4, 0, true), step('15k', 15_000, 30_000, 75.5, 12_345, false)],
    timeline: [],
    findings: { maxSessionsUnder50ms: 10_000, recovered: false, p95AtPeakMs: 75.5, note: null },
    warnings: ['fd limit 65536: \x1b[31mlowered\x1b[0m the target'],
  };
}

/** The lines of the block that starts with a line beginning with `head`, up to the next blank line. */
function block(text: string, head: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(head));
  expect(start, `no block ${head}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start, end);
}

describe('number formatting', () => {
  it('groups thousands and keeps the decimals', () => {
    expect(formatInt(0)).toBe('0');
    expect(formatInt(999)).toBe('999');
    expect(formatInt(1000)).toBe('1,000');
    expect(formatInt(1_234_567.5)).toBe('1,234,568');
    expect(formatInt(-1234)).toBe('-1,234');
    expect(formatFixed(1234.5, 2)).toBe('1,234.50');
    expect(formatFixed(-0.001, 2)).toBe('0.00');
    expect(formatFixed(1_000_000, 1)).toBe('1,000,000.0');
    expect(formatShare(1, 3)).toBe('33.33%');
    expect(formatShare(1, 1_000_000)).toBe('<0.01%');
    expect(formatShare(999_999, 1_000_000)).toBe('>99.99%');
    expect(formatShare(5, 5)).toBe('100.00%');
    expect(formatShare(0, 0)).toBe('-');
  });

  it('aligns columns: text left, numbers right, a rule under the heading', () => {
    expect(
      formatColumns(
        [
          { head: 'name', align: 'left' },
          { head: 'n', align: 'right' },
        ],
        [
          ['a', '1,000'],
          ['long name', '5'],
        ],
      ),
    ).toEqual(['name           n', '---------  -----', 'a          1,000', 'long name      5']);
  });
});

describe('renderTable', () => {
  it('prints the summary block', () => {
    const r = report();
    expect(validateReport(r)).toEqual([]);
    const text = renderTable(r);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').slice(0, 7)).toEqual([
      'erlmcp load: steps (2026-11-23T10:00:00.000Z, 61.3 s)',
      'command     erlmcp load --scenario steps',
      'target      ws://127.0.0.1:9999/mcp (ws, started by the harness, from 1 source address)',
      'machine     2 cpus (Test CPU), 7.8 GB, node v20.17.0, linux, fd limit 65,536',
      'sessions    16,000 attempted, 15,990 established, 7 refused, 3 failed, peak 15,000',
      'throughput  33,000.0/s offered, 32,456.8/s achieved',
      'server      not observed',
    ]);
  });

  it('prints requests by outcome and latency with right-aligned grouped numbers', () => {
    const text = renderTable(report());
    expect(block(text, 'requests')).toEqual([
      'requests          count    share',
      '------------  ---------  -------',
      'ok            1,989,000   99.45%',
      'rate_limited     10,000    0.50%',
      'overloaded            0    0.00%',
      'circuit_open          0    0.00%',
      'timeout             990    0.05%',
      'transport             0    0.00%',
      'protocol              0    0.00%',
      'lost                 10   <0.01%',
      'sent          2,000,000  100.00%',
      'duplicated            2',
    ]);
    expect(block(text, 'latency ms')).toEqual([
      'latency ms      count   p50    p95    p99   p99.9       max  mean',
      '----------  ---------  ----  -----  -----  ------  --------  ----',
      'ok          1,989,000  1.23  12.50  48.00  120.00  1,234.50  3.25',
    ]);
  });

  it('prints one aligned row per step with PASS or FAIL', () => {
    const lines = block(renderTable(report()), 'step');
    expect(lines).toEqual([
      'step  sessions  offered/s  achieved/s  p50 ms  p95 ms  p99 ms  p99.9 ms    max ms  errors  server MB  result',
      '----  --------  ---------  ----------  ------  ------  ------  --------  --------  ------  ---------  ------',
      '1k       1,000   33,000.0    32,999.9    1.50    4.00    5.00      6.00  1,234.50       0      250.3  PASS',
      '15k     15,000  495,000.0    30,000.0    1.50   75.50   76.50     77.50  1,234.50  12,345          -  FAIL',
    ]);
    // Every right-aligned column ends at the same offset on every line.
    const ends = (l: string) => [...l.matchAll(/\S+/g)].map((m) => m.index + m[0].length);
    expect(ends(lines[2] as string).slice(1, -1)).toEqual(ends(lines[3] as string).slice(1, -1));
  });

  it('prints findings, warnings with control characters neutralised, a rejected row and the server line', () => {
    const r = report();
    r.summary.rejectLatencyMs = { p50: 0.1, p95: 0.2, p99: 0.3, p999: 0.4, max: 0.5, mean: 0.15, count: 10_990 };
    r.summary.server = {
      memoryMb: { start: 80, peak: 400.04, end: 300 },
      memoryPerSessionKb: 20.5,
      eventLoopDelayP99Ms: { max: 12.25 },
      gcPauseMs: { max: 8.1, total: 120.4 },
    };
    const text = renderTable(r);
    expect(text).toContain(
      'server      memory 80.0 -> peak 400.0 -> 300.0 MB, 20.5 KB/session; event-loop p99 max 12.25 ms; ' +
        'GC pause max 8.10 ms, total 120.40 ms\n',
    );
    expect(text).toContain('\nrejected       10,990  0.10   0.20   0.30    0.40      0.50  0.15\n');
    expect(block(text, 'findings')).toEqual([
      'findings',
      '  maxSessionsUnder50ms  10,000',
      '  recovered             false',
      '  p95AtPeakMs           75.50',
      '  note                  -',
    ]);
    expect(text.endsWith('warnings\n  ! fd limit 65536: \ufffd[31mlowered\ufffd[0m the target\n')).toBe(true);
    expect(text).not.toContain('\x1b');
  });

  it('leaves out steps, findings and warnings when there are none', () => {
    const r = report();
    r.steps = [];
    r.findings = {};
    r.warnings = [];
    const text = renderTable(r);
    expect(text).not.toMatch(/^step /m);
    expect(text).not.toContain('findings');
    expect(text).not.toContain('warnings');
    expect(text.endsWith('ok          1,989,000  1.23  12.50  48.00  120.00  1,234.50  3.25\n')).toBe(true);
  });

  it('colours only when asked, without changing the layout', () => {
    const r = report();
    const plain = renderTable(r);
    const colored = renderTable(r, { color: true });
    expect(plain).not.toContain('\x1b[');
    expect(colored).toContain('\x1b[32mPASS\x1b[0m');
    expect(colored).toContain('\x1b[31mFAIL\x1b[0m');
    expect(colored).toContain('\x1b[33m  ! fd limit');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI sequences
    expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });
});
