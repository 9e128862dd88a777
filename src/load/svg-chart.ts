/**
 * Small inline-SVG charts for the HTML load report: a line chart (several series, axes with
 * ticks, legend, optional log y axis, gaps where a value is null) and a grouped bar chart.
 * Hand-written because the report must open offline with no script or library: the output is
 * plain markup, every number in it finite.
 */
import { ErlmcpError } from '../core/errors.js';

/** One line of a {@link LineChart}. */
export interface LineSeries {
  /** Legend label. */
  name: string;
  /** y value per x of {@link LineChart.x}; null (or a value <= 0 on a log axis) breaks the line. */
  values: ReadonlyArray<number | null>;
  /** CSS colour; default: the next colour of the palette. */
  color?: string;
}

/** Options of {@link renderLineChart}. */
export interface LineChart {
  /** Heading inside the chart and its accessible name. */
  title: string;
  /** x values, increasing (e.g. seconds since the start). */
  x: readonly number[];
  /** The lines; each has one value per x. */
  series: readonly LineSeries[];
  /** Label of the x axis, e.g. `time (s)`. */
  xLabel: string;
  /** Label of the y axis, e.g. `latency (ms)`. */
  yLabel: string;
  /** Logarithmic y axis (for values spanning decades). Default false. */
  logY?: boolean;
  /** Width in px. Default 760. */
  width?: number;
  /** Height in px. Default 300. */
  height?: number;
}

/** One group of bars of a {@link BarChart}. */
export interface BarSeries {
  /** Legend label. */
  name: string;
  /** One value per category; null draws no bar. */
  values: ReadonlyArray<number | null>;
  /** CSS colour; default: the next colour of the palette. */
  color?: string;
}

/** Options of {@link renderBarChart}. */
export interface BarChart {
  /** Heading inside the chart and its accessible name. */
  title: string;
  /** Category labels along x. */
  categories: readonly string[];
  /** One bar per category per series, side by side. */
  series: readonly BarSeries[];
  /** Label of the y axis. */
  yLabel: string;
  /** Width in px. Default 760. */
  width?: number;
  /** Height in px. Default 300. */
  height?: number;
}

/**
 * `s` safe in HTML text and in a quoted attribute value: & < > " and ' become entities.
 * Every string that reaches markup goes through it, whether it came from a report or not.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Series colours, distinguishable for the common colour-vision deficiencies (Okabe-Ito). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#000000'];

const MARGIN = { top: 44, right: 20, bottom: 44, left: 64 };
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
const TITLE_FONT = 'font-family="system-ui, sans-serif" font-size="13" font-weight="600"';

interface Scale {
  /** Pixel position of a value (finite for every value the scale accepts). */
  at(v: number): number;
  ticks: number[];
}

/** An inline `<svg>` line chart; empty series show axes and a "no data" note. */
export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 300;
  const plot = plotArea(width, height);
  const logY = chart.logY ?? false;
  const usable = (v: number | null | undefined): v is number =>
    typeof v === 'number' && Number.isFinite(v) && (!logY || v > 0);
  const xs = extent(chart.x.filter(Number.isFinite));
  const ys = extent(chart.series.flatMap((s) => s.values.filter(usable)));

  // Time axes start at 0 so charts of one run line up with each other.
  const xScale = linearScale(Math.min(xs.min, 0), Math.max(xs.max, 1), plot.left, plot.right, false);
  const yScale = logY
    ? logScale(ys.count ? ys.min : 1, ys.count ? ys.max : 10, plot.bottom, plot.top)
    : linearScale(0, ys.count ? ys.max : 1, plot.bottom, plot.top, true);

  const lines = chart.series.map((s, i) => {
    const color = s.color ?? (PALETTE[i % PALETTE.length] as string);
    let d = '';
    let points = 0;
    let penDown = false;
    chart.x.forEach((x, j) => {
      const v = s.values[j];
      if (!Number.isFinite(x) || !usable(v)) {
        penDown = false;
        return;
      }
      d += `${penDown ? 'L' : 'M'}${num(xScale.at(x))} ${num(yScale.at(v))}`;
      penDown = true;
      points++;
    });
    // A point with no neighbour is a zero-length subpath: round caps draw it as a dot.
    return (
      `<path class="series" data-series="${escapeHtml(s.name)}" data-points="${points}" d="${d}" fill="none" ` +
      `stroke="${escapeHtml(color)}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>`
    );
  });

  return svg(chart.title, width, height, [
    yAxis(yScale, plot, chart.yLabel),
    xAxis(xScale, plot, chart.xLabel),
    ...lines,
    ys.count === 0 ? noData(plot) : '',
    legend(
      chart.series.map((s, i) => ({ name: s.name, color: s.color ?? (PALETTE[i % PALETTE.length] as string) })),
      plot,
    ),
  ]);
}

/** An inline `<svg>` bar chart: for each category, one bar per series side by side. */
export function renderBarChart(chart: BarChart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 300;
  const plot = plotArea(width, height);
  const values = extent(
    chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v) && v >= 0)),
  );
  const yScale = linearScale(0, Math.max(values.max, 1), plot.bottom, plot.top, true);
  const n = Math.max(chart.categories.length, 1);
  const band = (plot.right - plot.left) / n;
  const groups = Math.max(chart.series.length, 1);
  const barWidth = (band * 0.8) / groups;
  const parts: string[] = [yAxis(yScale, plot, chart.yLabel), baseline(plot)];
  chart.categories.forEach((label, i) => {
    const left = plot.left + i * band + band * 0.1;
    parts.push(
      `<text x="${num(plot.left + (i + 0.5) * band)}" y="${num(plot.bottom + 16)}" text-anchor="middle" ${FONT}>` +
        `${escapeHtml(label)}</text>`,
    );
    chart.series.forEach((s, k) => {
      const v = s.values[i];
      if (v === null || v === undefined || !Number.isFinite(v) || v < 0) return;
      const top = yScale.at(v);
      const color = s.color ?? (PALETTE[k % PALETTE.length] as string);
      parts.push(
        `<rect class="bar" x="${num(left + k * barWidth)}" y="${num(top)}" width="${num(barWidth * 0.92)}" ` +
          `height="${num(plot.bottom - top)}" fill="${escapeHtml(color)}"><title>${escapeHtml(
            `${label} ${s.name}: ${formatTick(v)}`,
          )}</title></rect>`,
      );
    });
  });
  parts.push(
    legend(
      chart.series.map((s, i) => ({ name: s.name, color: s.color ?? (PALETTE[i % PALETTE.length] as string) })),
      plot,
    ),
  );
  if (values.count === 0) parts.push(noData(plot));
  return svg(chart.title, width, height, parts);
}

/** A tick label: at most 3 significant digits, k/M suffixes for large values. */
export function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${trim(v / 1e6)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3)}k`;
  if (abs >= 1 || abs === 0) return trim(v);
  return String(Number(v.toPrecision(2)));
}

function trim(v: number): string {
  return String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)));
}

/** Smallest and largest of `values` without spreading them into arguments (long timelines). */
function extent(values: readonly number[]): { min: number; max: number; count: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, count: values.length };
}

interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function plotArea(width: number, height: number): Plot {
  return { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
}

/** `lo..hi` onto pixels `p0..p1`; `nice` widens the domain to round ticks (y axes). */
function linearScale(lo: number, hi: number, p0: number, p1: number, nice: boolean): Scale {
  if (hi <= lo) hi = lo + 1;
  const step = niceStep((hi - lo) / 5);
  if (nice) {
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
  }
  const ticks: number[] = [];
  // Integer multiples of the step, so 0.1 + 0.2 drift never adds or drops a tick.
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) ticks.push(k * step);
  const span = hi - lo;
  return { at: (v) => p0 + ((v - lo) / span) * (p1 - p0), ticks };
}

/** Log10 scale over whole decades around `lo..hi` (both > 0). */
function logScale(lo: number, hi: number, p0: number, p1: number): Scale {
  const d0 = Math.floor(Math.log10(lo));
  let d1 = Math.ceil(Math.log10(hi));
  if (d1 <= d0) d1 = d0 + 1;
  const ticks: number[] = [];
  for (let d = d0; d <= d1; d++) {
    ticks.push(10 ** d);
    // Few decades: 2x and 5x marks too, or the axis has only two or three labels.
    if (d1 - d0 <= 2 && d < d1) ticks.push(2 * 10 ** d, 5 * 10 ** d);
  }
  return { at: (v) => p0 + ((Math.log10(v) - d0) / (d1 - d0)) * (p1 - p0), ticks };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function yAxis(scale: Scale, plot: Plot, label: string): string {
  const ticks = scale.ticks.map((t) => {
    const y = num(scale.at(t));
    return (
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>` +
      `<text x="${plot.left - 6}" y="${y}" dy="0.32em" text-anchor="end" ${FONT}>${formatTick(t)}</text>`
    );
  });
  const mid = num((plot.top + plot.bottom) / 2);
  return (
    `<g class="y-axis">${ticks.join('')}` +
    `<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#333"/>` +
    `<text transform="translate(14 ${mid}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeHtml(label)}</text></g>`
  );
}

function xAxis(scale: Scale, plot: Plot, label: string): string {
  const ticks = scale.ticks.map((t) => {
    const x = num(scale.at(t));
    return (
      `<line x1="${x}" x2="${x}" y1="${plot.bottom}" y2="${plot.bottom + 5}" stroke="#333"/>` +
      `<text x="${x}" y="${plot.bottom + 17}" text-anchor="middle" ${FONT}>${formatTick(t)}</text>`
    );
  });
  return (
    `<g class="x-axis">${baseline(plot)}${ticks.join('')}` +
    `<text x="${num((plot.left + plot.right) / 2)}" y="${plot.bottom + 36}" text-anchor="middle" ${FONT}>` +
    `${escapeHtml(label)}</text></g>`
  );
}

function baseline(plot: Plot): string {
  return `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#333"/>`;
}

function legend(items: Array<{ name: string; color: string }>, plot: Plot): string {
  let x = plot.left;
  const parts = items.map((item) => {
    const part =
      `<rect x="${num(x)}" y="${plot.top - 18}" width="12" height="4" fill="${escapeHtml(item.color)}"/>` +
      `<text x="${num(x + 16)}" y="${plot.top - 16}" dy="0.32em" ${FONT}>${escapeHtml(item.name)}</text>`;
    // Width of the label estimated from its length: no text measurement without a browser.
    x += 16 + item.name.length * 6.5 + 18;
    return part;
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

function noData(plot: Plot): string {
  return (
    `<text x="${num((plot.left + plot.right) / 2)}" y="${num((plot.top + plot.bottom) / 2)}" ` +
    `text-anchor="middle" fill="#888" ${FONT}>no data</text>`
  );
}

function svg(title: string, width: number, height: number, parts: string[]): string {
  const t = escapeHtml(title);
  return (
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="${t}"><title>${t}</title>` +
    `<text x="${MARGIN.left}" y="16" ${TITLE_FONT}>${t}</text>${parts.join('')}</svg>`
  );
}

/** A coordinate with one decimal; refuses to write NaN or Infinity into the markup. */
function num(v: number): string {
  // Only a non-finite width or height can get here: every plotted value was checked finite.
  if (!Number.isFinite(v)) throw new ErlmcpError('ERR_INVALID_ARG', `svg-chart: non-finite coordinate ${v}`);
  return String(Math.round(v * 10) / 10);
}
